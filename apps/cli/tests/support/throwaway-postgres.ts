import { execFile, execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LoadTarget } from "@sluice/core";
import { createLoadTarget } from "@sluice/loader";

const run = promisify(execFile);

/** The repository's script that starts a throwaway server (what CI runs), from apps/cli/tests/support. */
const START_SCRIPT = join(__dirname, "..", "..", "..", "..", ".ci", "start-postgres.sh");

/** How long a start or stop of the server may take on a loaded 2-core machine: a deadline against hangs. */
const PG_CTL_TIMEOUT_S = 120;

/** Why the fault tests cannot run here (`initdb` or `pg_ctl` missing), or `undefined` when they can. */
export function postgresToolsMissing(): string | undefined {
  for (const tool of ["initdb", "pg_ctl"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not on PATH`;
    }
  }
  return undefined;
}

/** A localhost port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A PostgreSQL server of the test's own, in a temporary data directory on a free port, started
 * by `.ci/start-postgres.sh` (which, run as root, makes the cluster the `postgres` user's), so a
 * fault test can stop and start it without touching the server other tests share.
 */
export class ThrowawayPostgres {
  private constructor(
    /** The cluster's data directory. */
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** Initialises and starts a server; {@link destroy} removes it. */
  static async start(): Promise<ThrowawayPostgres> {
    const port = await freePort();
    const { stdout } = await run("bash", [START_SCRIPT], {
      env: { ...process.env, SLUICE_PG_PORT: String(port) },
      timeout: PG_CTL_TIMEOUT_S * 1000,
    });
    const dataDir = /SLUICE_PG_DATA='([^']+)'/.exec(stdout)?.[1];
    if (!dataDir) throw new Error(`start-postgres.sh printed no data directory:\n${stdout}`);
    return new ThrowawayPostgres(dataDir, port);
  }

  /** The URL of `database` on this server. */
  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Stops the server as an administrator would (`-m fast`: open connections are terminated). */
  async stop(): Promise<void> {
    await this.#pgCtl("-m", "fast", "stop");
  }

  /** Starts the stopped server again on the same port; resolves once it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.#pgCtl("-o", options, "-l", `${this.dataDir}.log`, "start");
  }

  /** Runs `work` on `database` (the loader's own target: a stop meanwhile is an error, never a crash), closed afterwards. */
  async withDatabase<T>(work: (database: LoadTarget) => Promise<T>, database = "postgres"): Promise<T> {
    const target = createLoadTarget(this.url(database));
    try {
      return await work(target);
    } finally {
      await target.close();
    }
  }

  /** Stops the server (if running) and removes its data directory and logs. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    for (const path of [this.dataDir, `${this.dataDir}.log`, `${this.dataDir}.initdb.log`])
      await rm(path, { recursive: true, force: true });
  }

  async #pgCtl(...args: string[]): Promise<void> {
    // PostgreSQL refuses to run as root: as root the cluster belongs to `postgres` (see the script).
    const asOwner = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
    const command = [...asOwner, "pg_ctl", "-D", this.dataDir, "-w", "-t", String(PG_CTL_TIMEOUT_S), ...args];
    await run(command[0]!, command.slice(1), { timeout: (PG_CTL_TIMEOUT_S + 10) * 1000 });
  }
}
