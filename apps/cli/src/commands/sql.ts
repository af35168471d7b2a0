import { readdir } from "node:fs/promises";
import { createLoadTarget } from "@sluice/loader";
import { localStateLayout } from "@sluice/local";
import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { formatTable } from "../report/table";
import { runtimeHolding, StateDirectoryInUseError } from "../runtime/state-lock";

/** Options of `sluice sql`. */
export interface SqlOptions {
  /** One SQL statement. */
  statement: string;
}

/**
 * `sluice sql`: runs one statement against the database the pipeline loads into (the embedded
 * one needs no runtime holding it) and prints its rows.
 */
export const sql: CommandHandler<SqlOptions> = async ({ statement }, { globals, reporter }) => {
  const layout = localStateLayout(globals.stateDir);
  const url = globals.databaseUrl ?? layout.pgliteDir;
  if (!globals.databaseUrl && !(await readdir(layout.pgliteDir).catch(() => undefined))) {
    throw new CliError(
      `no embedded database in ${layout.pgliteDir} yet: run \`sluice demo\` first`,
      EXIT.notFound,
    );
  }
  const holder = globals.databaseUrl ? undefined : await runtimeHolding(globals.stateDir);
  if (holder !== undefined) {
    throw new StateDirectoryInUseError(
      globals.stateDir,
      holder,
      "a running sluice runtime holds the embedded database: stop it first",
    );
  }
  const target = createLoadTarget(url);
  try {
    const { rows, rowCount } = await target.query<Record<string, unknown>>(statement);
    reporter.result(rows, () => {
      if (rows.length === 0) return `(${rowCount} rows)`;
      const header = Object.keys(rows[0]!);
      return formatTable(
        header,
        rows.map((row) =>
          header.map((h) => (row[h] instanceof Date ? (row[h] as Date).toISOString() : String(row[h] ?? ""))),
        ),
      );
    });
    return EXIT.ok;
  } finally {
    await target.close();
  }
};
