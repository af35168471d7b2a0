import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EventData } from "@sluice/core";
import { EXIT, type RunStatus, runCli } from "../../src";
import { bufferIo, journalEntries, type TestDatabase, tempStateDir } from "./harness";

/** What one `sluice` command did: its exit code and what it printed. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * One test's `sluice`: a fresh state directory, database and contracts folder (the pipeline
 * runs with those contracts only, through `SLUICE_CONTRACTS_DIR`), and the commands run on them.
 */
export interface CliSession {
  /** A temporary folder for the test's own files (removed after the test). */
  readonly root: string;
  readonly stateDir: string;
  /** Runs `sluice <args>` in process, with the session's state directory and database. */
  cli(...args: string[]): Promise<CliResult>;
  /** `sluice run|replay … --json` that must end well: its runs. */
  runs(...args: string[]): Promise<RunStatus[]>;
  /** Rows of one statement, through `sluice sql --json`. */
  sql<T extends Record<string, unknown>>(statement: string): Promise<T[]>;
  /** Writes contracts as `<name>.json` into the contracts folder (replacing those of the same name). */
  writeContracts(...contracts: { name: string }[]): Promise<void>;
  /** What every `sluice.object.loaded` published so far says, oldest first. */
  loadedEvents(): Promise<EventData<"sluice.object.loaded">[]>;
}

/**
 * Declares, in the enclosing `describe`, a fresh {@link CliSession} per test on `database`; the
 * returned function gives the current test's session.
 */
export function useCliSession(database: TestDatabase): () => CliSession {
  let session: CliSession | undefined;
  let teardown: (() => Promise<void>) | undefined;
  const previousContractsDir = process.env.SLUICE_CONTRACTS_DIR;

  beforeEach(async () => {
    const { dir: root, cleanup } = await tempStateDir();
    const stateDir = join(root, "state");
    const contractsDir = join(root, "contracts");
    await mkdir(stateDir);
    await mkdir(contractsDir);
    const databaseUrl = await database.create(stateDir);
    process.env.SLUICE_CONTRACTS_DIR = contractsDir;
    teardown = async () => {
      if (previousContractsDir === undefined) delete process.env.SLUICE_CONTRACTS_DIR;
      else process.env.SLUICE_CONTRACTS_DIR = previousContractsDir;
      await database.drop(databaseUrl);
      await cleanup();
    };
    const globals = ["--state-dir", stateDir, "--database-url", databaseUrl];
    const cli = async (...args: string[]): Promise<CliResult> => {
      const io = bufferIo();
      const code = await runCli([...globals, ...args], io);
      return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
    };
    session = {
      root,
      stateDir,
      cli,
      runs: async (...args) => {
        const result = await cli(...args, "--json");
        expect(result).toMatchObject({ code: EXIT.ok });
        return (JSON.parse(result.out) as { runs: RunStatus[] }).runs;
      },
      sql: async <T extends Record<string, unknown>>(statement: string) => {
        const result = await cli("sql", statement, "--json");
        expect(result).toMatchObject({ code: EXIT.ok });
        return JSON.parse(result.out) as T[];
      },
      writeContracts: async (...contracts) => {
        for (const contract of contracts)
          await writeFile(join(contractsDir, `${contract.name}.json`), JSON.stringify(contract));
      },
      loadedEvents: async () =>
        (await journalEntries(stateDir)).flatMap(({ event }) =>
          event.type === "sluice.object.loaded" ? [event.data as EventData<"sluice.object.loaded">] : [],
        ),
    };
  });
  afterEach(async () => {
    await teardown?.();
    session = undefined;
    teardown = undefined;
  });

  return () => {
    if (!session) throw new Error("a CliSession exists only inside a test");
    return session;
  };
}
