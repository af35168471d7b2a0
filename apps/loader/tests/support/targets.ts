import type { Readable } from "node:stream";
import type { LoadTarget, QueryResult, SqlSession } from "@sluice/core";
import { Client, Pool } from "pg";
import { PgLoadTarget, PgliteLoadTarget } from "../../src";
import { openTestPglite } from "./pglite-template";

/**
 * How long opening a test file's target may take: a PGlite started from the run's template data
 * directory (1-2 s of one core) or a fresh Postgres database (`CREATE DATABASE`), both
 * several times slower while another test suite loads both cores of the 2-core development
 * machine. Far above that, so only a hang fails here.
 */
export const OPEN_TARGET_TIMEOUT_MS = 60_000;

/**
 * How long a test that starts PGlite from scratch may take: initdb runs in WebAssembly, ~3 s of
 * one core when idle, measured 4-40 s while other suites (up to a second loader suite and two busy
 * loops) share the 2 cores: Jest's default 5 s is too short as soon as a second suite runs.
 */
export const PGLITE_INITDB_TIMEOUT_MS = 90_000;

/**
 * How long a test that loads many runs one after another may take (the every-order tests load
 * 18 files): each load is a transaction of a dozen statements, ~30-150 ms alone and several times
 * that while other suites load both cores. Far above that, so only a hang fails here.
 */
export const MANY_LOADS_TIMEOUT_MS = 120_000;

/** A kind of load target the suites run against. */
export interface TargetKind {
  name: "postgres" | "pglite";
  /** Opens the target for one test file (its own database). */
  open(): Promise<OpenTarget>;
}

/** An opened target and how to clean it up. */
export interface OpenTarget {
  target: LoadTarget;
  close(): Promise<void>;
}

const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;

/**
 * The kinds available here: PGlite always; the real Postgres when SLUICE_TEST_DATABASE_URL is
 * set. Without it the Postgres suites are skipped with a message, except in CI, where that is
 * a failure.
 */
export function targetKinds(fileTag: string): TargetKind[] {
  const kinds: TargetKind[] = [{ name: "pglite", open: openPglite }];
  if (serverUrl) kinds.unshift({ name: "postgres", open: () => openPostgres(serverUrl, fileTag) });
  else if (process.env.CI === "true") throw new Error("SLUICE_TEST_DATABASE_URL must be set in CI");
  else console.warn(`SLUICE_TEST_DATABASE_URL is not set: ${fileTag} runs against PGlite only`);
  return kinds;
}

async function openPglite(): Promise<OpenTarget> {
  const target = new PgliteLoadTarget(await openTestPglite(), { copyChunkBytes: 4096 });
  return { target, close: () => target.close() };
}

/** Creates a fresh database named after the test file (and process) on the server. */
async function openPostgres(url: string, fileTag: string): Promise<OpenTarget> {
  const database = `sluice_loader_${fileTag}_${process.pid}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const own = new URL(url);
  own.pathname = `/${database}`;
  const target = new PgLoadTarget(new Pool({ connectionString: own.toString(), max: 4 }));
  return {
    target,
    async close() {
      await target.close();
      const cleanup = new Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** Thrown by {@link CrashAfterCopyTarget} to simulate a crash between COPY and commit. */
export class InjectedCrash extends Error {}

/**
 * A target whose sessions fail right after the first COPY finishes, i.e. after the staged rows
 * reached the temporary table and before the merge and commit: a crash mid-load.
 */
export class CrashAfterCopyTarget implements LoadTarget {
  constructor(private readonly inner: LoadTarget) {}

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.inner.transaction((session) =>
      work({
        query: (text, params) => session.query(text, params),
        async copyFrom(copySql: string, source: Readable) {
          await session.copyFrom(copySql, source);
          throw new InjectedCrash("injected crash between COPY and commit");
        },
      }),
    );
  }

  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return this.inner.query<Row>(text, params);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
