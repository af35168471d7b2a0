import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT } from "../../src";
import { cliWith, E2E_TEST_TIMEOUT_MS, tempStateDir, writeContracts } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** The real binary, built from the current sources by the global setup. */
const CLI_BUNDLE = join(__dirname, "..", "..", "dist", "sluice.cjs");

const notesContract = (fields: object[] = [{ name: "note_id", type: "integer", required: true }]) => ({
  name: "notes",
  version: 1,
  match: { prefix: "notes/" },
  format: { type: "csv" },
  fields,
  primaryKey: ["note_id"],
  table: "notes",
});

describe("contracts outside the repository, and what a folder holds that is not data", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let contractsDir: string;
  let inbox: string;
  const cli = cliWith(() => ["--state-dir", join(root, "state"), "--database-url", join(root, "pglite")]);

  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempStateDir());
    contractsDir = join(root, "contracts");
    inbox = join(root, "inbox");
    await mkdir(join(inbox, "notes"), { recursive: true });
  });
  afterEach(() => cleanup());

  it("contract validate lists every problem of every file and exits 2 without a stack trace", async () => {
    await writeContracts(contractsDir, {
      ...notesContract([{ name: "Note", type: "float" }]),
      table: "Notes",
    });
    await writeFile(join(contractsDir, "broken.json"), "{ nope");
    const events = { ...notesContract(), name: "events", match: { prefix: "events/" }, table: "events" };
    await writeContracts(contractsDir, events, { ...events, name: "events_copy" });
    await writeFile(join(contractsDir, "events_v2.json"), JSON.stringify(events));

    const validated = await cli("contract", "validate", contractsDir);

    expect(validated.code).toBe(EXIT.usage);
    const problems = validated.out.split("\n").filter((line) => line.startsWith("problem"));
    expect(
      problems.map((line) => line.replace(`${contractsDir}/`, "").split(":").slice(0, 2).join(":")),
    ).toEqual([
      "problem  broken.json: not valid JSON",
      "problem  events_v2.json: name",
      "problem  notes.json: fields[0].name",
      "problem  notes.json: fields[0].type",
      "problem  notes.json: table",
      "problem  events.json: match",
    ]);
    expect(validated.out).toContain("events and events_copy both claim keys like events/example.csv");
    expect(validated.out).toContain("ok       ");
    expect(validated.err).toBe("");
  });

  it("contract validate exits 0 for a good folder and says so, in JSON too", async () => {
    await writeContracts(contractsDir, notesContract());

    const validated = await cli("contract", "validate", contractsDir, "--json");

    expect(validated.code).toBe(EXIT.ok);
    expect(JSON.parse(validated.out)).toEqual({
      dir: contractsDir,
      contracts: [{ file: join(contractsDir, "notes.json"), name: "notes", table: "notes" }],
      problems: [],
    });
  });

  it("run with a folder of bad contracts exits 2 naming every problem, without a stack trace", async () => {
    await writeContracts(contractsDir, notesContract([{ name: "note_id", type: "float" }]));
    await writeContracts(contractsDir, { ...notesContract(), name: "other", table: "Other" });
    await writeFile(join(inbox, "notes", "a.csv"), "note_id\n1\n");

    const ran = await cli("--contracts", contractsDir, "run", inbox);

    expect(ran.code).toBe(EXIT.usage);
    expect(ran.err).toMatch(/^sluice: 2 problems in the dataset contracts of /);
    expect(ran.err).toContain("notes.json: fields[0].type");
    expect(ran.err).toContain("other.json: table");
    expect(ran.err).not.toMatch(/\n\s+at /);
  });

  it("the built binary runs with a contract written after the build, from --contracts or SLUICE_CONTRACTS_DIR", async () => {
    await writeFile(join(inbox, "notes", "a.csv"), "note_id\n1\n2\n");
    const binary = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [CLI_BUNDLE, "--state-dir", join(root, "state"), ...args], {
        encoding: "utf8",
        env: { ...process.env, SLUICE_CONTRACTS_DIR: "", ...env },
      });
    await writeContracts(contractsDir, { ...notesContract(), match: { prefix: "elsewhere/" } });
    const unclaimed = binary(["--contracts", contractsDir, "run", inbox]);
    await writeContracts(contractsDir, notesContract());

    const claimed = binary(["run", inbox], { SLUICE_CONTRACTS_DIR: contractsDir });
    const rows = binary(["sql", "select count(*) as n from notes", "--json"]);

    expect(unclaimed.status).toBe(EXIT.attention);
    expect(unclaimed.stdout).toContain("failed: no-dataset");
    expect(claimed.stderr).toBe("");
    expect(claimed.status).toBe(EXIT.ok);
    expect(Number(JSON.parse(rows.stdout)[0].n)).toBe(2);
  });

  it("run ingests dot-files and skips what is not data, saying how many and why", async () => {
    await writeContracts(contractsDir, notesContract());
    await writeFile(join(inbox, "notes", ".late.csv"), "note_id\n7\n");
    await writeFile(join(inbox, "notes", "a.csv"), "note_id\n1\n");
    await writeFile(join(inbox, "notes", ".DS_Store"), "\0\0\0\u0001Bud1");
    await writeFile(join(inbox, "notes", ".a.csv.swp"), "b0VIM");
    await mkdir(join(inbox, ".git"));
    await writeFile(join(inbox, ".git", "HEAD"), "ref: refs/heads/main\n");

    const ran = await cli("--contracts", contractsDir, "run", inbox, "--json");
    const rows = await cli("sql", "select note_id from notes order by 1", "--json");

    expect(ran.code).toBe(EXIT.ok);
    expect(ran.err).toContain(
      "skipped 3 file(s) that are not data: 1 version-control folder (.git); 1 editor swap, backup or lock file (.a.csv.swp); 1 macOS folder metadata (.DS_Store)",
    );
    const result = JSON.parse(ran.out) as { runs: { key: string }[]; skipped: { reason: string }[] };
    expect(result.runs.map((run) => run.key).sort()).toEqual(["notes/.late.csv", "notes/a.csv"]);
    expect(result.skipped).toHaveLength(3);
    expect(JSON.parse(rows.out).map((row: { note_id: string | number }) => Number(row.note_id))).toEqual([
      1, 7,
    ]);
  });
});
