import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, type RunStatus } from "../../src";
import { useCliSession } from "../support/cli-session";
import { E2E_TEST_TIMEOUT_MS, testDatabases } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** A keyed dataset whose table keeps lineage (so its objects can be unloaded). */
function eventsContract(overrides: Record<string, unknown> = {}) {
  return {
    name: "events",
    version: 1,
    match: { prefix: "events/" },
    format: { type: "csv" },
    fields: [
      { name: "event_id", type: "integer", required: true },
      { name: "kind", type: "string", maxLength: 20 },
    ],
    primaryKey: ["event_id"],
    table: "events",
    load: { lineage: true },
    ...overrides,
  };
}

/** A dataset without lineage: its rows cannot be told apart by run. */
const NOTES_CONTRACT = {
  name: "notes",
  version: 1,
  match: { prefix: "notes/" },
  format: { type: "csv" },
  fields: [{ name: "note_id", type: "integer", required: true }],
  primaryKey: ["note_id"],
  table: "notes",
};

describe.each(testDatabases("unload"))(
  "unload, replay --dataset and failures in status on $kind",
  (database) => {
    const session = useCliSession(database);
    let inbox: string;

    beforeEach(async () => {
      inbox = join(session().root, "inbox");
      await mkdir(join(inbox, "events"), { recursive: true });
      await mkdir(join(inbox, "notes"), { recursive: true });
      await session().writeContracts(eventsContract(), NOTES_CONTRACT);
    });

    const cli = (...args: string[]) => session().cli(...args);
    const writeContracts = (...contracts: { name: string }[]) => session().writeContracts(...contracts);

    async function statusOf(key: string): Promise<RunStatus> {
      const { out } = await cli("status", key, "--json");
      return (JSON.parse(out) as RunStatus[])[0]!;
    }

    async function eventCount(where = "true"): Promise<number> {
      const rows = await session().sql<{ n: string | number }>(
        `select count(*) as n from events where ${where}`,
      );
      return Number(rows[0]!.n);
    }

    it("unload takes an object's rows out, status shows it unloaded, and replay --dataset loads it again", async () => {
      await writeFile(join(inbox, "events", "a.csv"), "event_id,kind\n1,open\n2,close\n");
      await writeFile(join(inbox, "events", "b.csv"), "event_id,kind\n3,open\n");
      await writeFile(join(inbox, "notes", "n.csv"), "note_id\n1\n");
      expect((await cli("run", inbox)).code).toBe(EXIT.ok);
      const loaded = await statusOf("events/a.csv");
      const traced = await eventCount(`_sluice_run_id = '${loaded.runId}'`);

      const unloaded = await cli("unload", "events/a.csv", "--json");

      expect(unloaded.code).toBe(EXIT.ok);
      expect(JSON.parse(unloaded.out)).toEqual({
        unloaded: [
          {
            runId: loaded.runId,
            key: "events/a.csv",
            dataset: "events",
            table: "public.events",
            deleted: traced,
          },
        ],
      });
      expect(await eventCount(`_sluice_run_id = '${loaded.runId}'`)).toBe(0);
      expect(await statusOf("events/a.csv")).toMatchObject({
        state: "unloaded",
        ledger: { status: "unloaded" },
      });
      expect((await cli("status", "events/a.csv")).out).toContain("status     unloaded");

      const again = await cli("unload", "events/a.csv");
      const untraced = await cli("unload", "notes/n.csv");
      const unknown = await cli("unload", "events/none.csv");

      expect(again).toMatchObject({ code: EXIT.refused, err: expect.stringContaining("is unloaded") });
      expect(untraced).toMatchObject({
        code: EXIT.refused,
        err: expect.stringContaining("has no _sluice_run_id column"),
      });
      expect(unknown.code).toBe(EXIT.notFound);

      const replayed = await cli("replay", "--dataset", "events", "--json");

      expect(replayed.code).toBe(EXIT.ok);
      expect((JSON.parse(replayed.out) as { replayed: string[] }).replayed.sort()).toEqual([
        "events/a.csv",
        "events/b.csv",
      ]);
      expect(await statusOf("events/a.csv")).toMatchObject({ state: "loaded", ledger: { status: "loaded" } });
      expect(await eventCount()).toBe(3);
    });

    it("a contract change the table refuses reaches status without -v, naming table, column and both types", async () => {
      await writeFile(join(inbox, "events", "a.csv"), "event_id,kind\n1,open\n");
      expect((await cli("run", inbox)).code).toBe(EXIT.ok);
      const frozen = eventContractWith({ kind: { name: "kind", type: "string", maxLength: 40 } });
      await writeContracts(frozen);
      const next = join(session().root, "next");
      await mkdir(join(next, "events"), { recursive: true });
      await writeFile(join(next, "events", "b.csv"), "event_id,kind\n2,a longer kind of event\n");

      const run = await cli("run", next);
      const status = await cli("status");

      expect(run.code).toBe(EXIT.attention);
      expect(await statusOf("events/b.csv")).toMatchObject({
        state: "dead-lettered",
        reason: "schema-mismatch (in loader-dlq)",
        message: expect.stringContaining(
          "table public.events column kind is character varying(20) but contract events v2 declares string (character varying(40)); schema policy freeze",
        ),
      });
      expect(status.out).toContain("dead-lettered: schema-mismatch (in loader-dlq)");
      expect(status.out).toContain("events/b.csv: table public.events column kind is character varying(20)");
      expect((await cli("unload", "events/b.csv")).code).toBe(EXIT.notFound);
    });
  },
);

/** The events contract v2 under `schema: "freeze"`, with its `kind` field replaced. */
function eventContractWith(fields: { kind: Record<string, unknown> }) {
  const base = eventsContract();
  return {
    ...base,
    version: 2,
    fields: [base.fields[0], fields.kind],
    load: { lineage: true, schema: "freeze" },
  };
}
