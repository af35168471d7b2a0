import { parseEvent, type SluiceEvent, unwrapSqsBody } from "@sluice/core";
import type { SqsFunctionHandler } from "@sluice/local";
import { LocalObjectStore, localStateLayout } from "@sluice/local";
import type { SQSEvent } from "aws-lambda";
import { parse } from "csv-parse/sync";
import { runtimeRunStatuses } from "../../src";
import { readRunRejects } from "../../src/status/run-rejects";
import {
  DRAIN_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  journalEntries,
  startRuntime,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const KIB = 1024;
/** Small parts, so a file of a few hundred KiB fans out over many of them. */
const FAN_OUT = { minBytes: 64 * KIB, partBytes: 24 * KIB, workers: 2 };
const STATUSES = ["new", "paid", "shipped", "cancelled"];

/**
 * Orders with notes that hold quoted line breaks (LF and CRLF), commas, doubled quotes and
 * multi-byte characters, so records and characters straddle part edges; every 97th order has a
 * status the contract refuses.
 */
function ordersCsv(count: number): string {
  const lines = ["order_id,customer_id,status,amount,currency,ordered_at,note"];
  const notes = ["", "plain", '"two\nlines, é"', '"say ""hi""\r\n中文 😀"', "naïve"];
  for (let n = 1; n <= count; n++) {
    const status = n % 97 === 0 ? "lost" : STATUSES[n % 4];
    lines.push(`${n},${n * 7},${status},${n % 1000}.25,EUR,2026-01-02T10:00:00Z,${notes[n % notes.length]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The records of `csv` by an independent parser, each with the line it starts on. */
function parsedOrders(csv: string): { line: number; values: Record<string, string> }[] {
  const records = parse(csv, { columns: true, info: true }) as {
    record: Record<string, string>;
    info: { lines: number; raw?: string };
  }[];
  let line = 2;
  return records.map(({ record }) => {
    const at = line;
    line +=
      1 +
      (Object.values(record)
        .join("")
        .match(/\r\n|\n|\r/g)?.length ?? 0);
    return { line: at, values: record };
  });
}

/** The part index of an SQS batch holding a `sluice.part.requested` event, else undefined. */
function requestedPart(event: SQSEvent): number | undefined {
  const message = parseEvent(unwrapSqsBody(event.Records[0]!.body));
  return message.type === "sluice.part.requested"
    ? (message as SluiceEvent<"sluice.part.requested">).data.part.index
    : undefined;
}

describe.each(testDatabases("fanout"))("an object fanned out over parts, on $kind", (database) => {
  let stateDir: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;

  beforeEach(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
    databaseUrl = await database.create(stateDir);
  });
  afterEach(async () => {
    await database.drop(databaseUrl);
    await cleanup();
  });

  it("loads once, value by value as an independent parse reads the file, with the whole file's lines in its rejections; a failed part retries alone", async () => {
    const csv = ordersCsv(4000);
    const deliveries = new Map<number, number>();
    let failedOnce = false;
    const flakyPart = (name: string, handler: SqsFunctionHandler): SqsFunctionHandler =>
      name !== "transform"
        ? handler
        : async (event, context) => {
            const index = requestedPart(event as SQSEvent);
            if (index !== undefined) deliveries.set(index, (deliveries.get(index) ?? 0) + 1);
            if (index === 2 && !failedOnce) {
              failedOnce = true;
              throw new Error("injected failure of part 2");
            }
            return handler(event, context);
          };
    const runtime = await startRuntime({
      stateDir,
      databaseUrl,
      settings: { fanOut: FAN_OUT },
      wrapHandler: flakyPart,
    });
    try {
      await runtime.ingest("orders/fanned.csv", csv);
      expect(await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS })).toBe(true);

      const [run] = await runtimeRunStatuses(runtime);
      const expected = parsedOrders(csv);
      const good = expected.filter((order) => order.values.status !== "lost");
      const parts = run?.parts?.total ?? 0;
      expect(parts).toBeGreaterThanOrEqual(8);
      expect(run).toMatchObject({
        state: "loaded",
        parts: { staged: parts, total: parts },
        rows: { total: expected.length, staged: good.length, rejected: expected.length - good.length },
        load: { inserted: good.length, alreadyLoaded: false },
      });
      // Part 2 was delivered twice (its first receive failed); every other part once.
      expect(deliveries.get(2)).toBe(2);
      expect([...deliveries.entries()].filter(([index, count]) => index !== 2 && count !== 1)).toEqual([]);
      expect(deliveries.size).toBe(parts);

      const table = await runtime.database.query<{
        order_id: string;
        status: string;
        amount: string;
        note: string | null;
      }>("SELECT order_id::text, status, amount::text, note FROM orders ORDER BY orders.order_id");
      expect(table.rows).toEqual(
        good.map(({ values }) => ({
          order_id: values.order_id,
          status: values.status,
          amount: Number(values.amount).toFixed(2),
          note: values.note === "" ? null : values.note,
        })),
      );
      // Two parts finishing at once may both complete the run (same manifest): rows load once.
      const journal = await journalEntries(stateDir);
      const stagedEvents = journal
        .filter((entry) => entry.event.type === "sluice.object.staged")
        .map((entry) => (entry.event.data as { parts?: number }).parts);
      expect(new Set(stagedEvents)).toEqual(new Set([parts]));
      const loads = journal
        .filter((entry) => entry.event.type === "sluice.object.loaded")
        .map((entry) => (entry.event.data as { alreadyLoaded: boolean }).alreadyLoaded);
      expect(loads.filter((already) => !already)).toHaveLength(1);
      const store = new LocalObjectStore({ rootDir: localStateLayout(stateDir).bucketsDir });
      const rejects = await readRunRejects(store, "sluice-staging", run!, 0);
      expect(rejects.rejections.map((r) => r.line)).toEqual(
        expected.filter((order) => order.values.status === "lost").map((order) => order.line),
      );
    } finally {
      await runtime.close();
    }
  });
});
