import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, type RunStatus } from "../../src";
import { useCliSession } from "../support/cli-session";
import { E2E_TEST_TIMEOUT_MS, journalEntries, testDatabases } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** Parcels always go to the container (a CSV: the task stages it as it is, with no program). */
const PARCELS = {
  name: "parcels",
  version: 1,
  match: { prefix: "parcels/" },
  format: { type: "csv", header: true },
  fields: [
    { name: "parcel_id", type: "integer", required: true },
    { name: "weight_kg", type: "decimal", required: true, scale: 2 },
  ],
  primaryKey: ["parcel_id"],
  table: "parcels",
  route: "container",
};

const PARCELS_CSV = "parcel_id,weight_kg\n1,2.50\n2,0.75\n3,12.00\n";

/**
 * Issue 13: the container route takes what one loader invocation cannot finish, so in AWS the task
 * loads what it staged. Locally the task does so with a Postgres server; on PGlite (one
 * connection, in the runtime's process) the local loader does (`containerLoadsFor`).
 */
describe.each(testDatabases("container_load"))("a container-route object on $kind", (database) => {
  const session = useCliSession(database);
  const loadedBy = database.kind === "Postgres" ? "sluice/legacy-wrapper" : "sluice/loader";

  it(`is loaded once, by ${loadedBy}, and status says loaded; a replay loads nothing twice`, async () => {
    const { cli, sql, root, stateDir } = session();
    const inbox = join(root, "inbox");
    await mkdir(join(inbox, "parcels"), { recursive: true });
    await session().writeContracts(PARCELS);
    await writeFile(join(inbox, "parcels", "monday.csv"), PARCELS_CSV);

    const run = await cli("run", inbox);
    const replay = await cli("replay", "--prefix", "parcels/");

    expect(run.code).toBe(EXIT.ok);
    expect(replay.code).toBe(EXIT.ok);
    const rows = await sql("select parcel_id::text as id, weight_kg::text as kg from parcels order by 1");
    expect(rows).toEqual([
      { id: "1", kg: "2.50" },
      { id: "2", kg: "0.75" },
      { id: "3", kg: "12.00" },
    ]);
    const loads = (await journalEntries(stateDir))
      .filter((entry) => entry.event.type === "sluice.object.loaded")
      .map(({ event }) => ({ source: event.source, ...(event.data as { alreadyLoaded: boolean }) }));
    expect(loads).toEqual([
      expect.objectContaining({ source: loadedBy, inserted: 3, alreadyLoaded: false }),
      expect.objectContaining({ source: loadedBy, alreadyLoaded: true }),
    ]);
    const [status] = JSON.parse((await cli("status", "parcels/monday.csv", "--json")).out) as RunStatus[];
    expect(status).toMatchObject({ route: "container", state: "loaded" });
  });
});
