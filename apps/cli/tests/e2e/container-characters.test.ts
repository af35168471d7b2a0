import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, type RunStatus } from "../../src";
import { useCliSession } from "../support/cli-session";
import { E2E_TEST_TIMEOUT_MS, testDatabases } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** Fixed-width desserts, converted by the shipped legacy program in the container task. */
const DESSERTS = {
  name: "desserts",
  version: 1,
  match: { prefix: "desserts/" },
  format: {
    type: "fixed-width",
    columns: [
      { field: "dessert", start: 0, length: 20 },
      { field: "origin", start: 20, length: 10 },
      { field: "sku", start: 30, length: 6 },
      { field: "price", start: 36, length: 7 },
    ],
  },
  fields: [
    { name: "sku", type: "string", required: true, pattern: "^DS[0-9]{4}$" },
    { name: "dessert", type: "string", required: true },
    { name: "origin", type: "string" },
    { name: "price", type: "decimal", required: true, scale: 2 },
  ],
  primaryKey: ["sku"],
  table: "desserts",
  route: "container",
  quarantine: { maxBadRowRatio: 0.5 },
};

/** A record in the layout above: widths in characters. */
function record(dessert: string, origin: string, sku: string, price: string): string {
  return `${dessert.padEnd(20)}${origin.padEnd(10)}${sku.padEnd(6)}${price.padStart(7)}`;
}

/** CRLF lines; line 3 is blank and line 6 holds a bad SKU. "Crème brûlée à l'été" fills its 20 characters. */
const TODAY = `${[
  record("café crème brûlée", "Lyon", "DS0001", "6.50"),
  record("Crème brûlée à l'été", "Paris", "DS0002", "7.00"),
  "",
  record("Pastel de nata", "Lisboa", "DS0003", "2.10"),
  record("抹茶パフェ", "京都", "DS0004", "9.80"),
  record("Śmietanowiec", "Kraków", "??", "4.00"),
  record("Sachertorte", "Wien", "DS0005", "5.40"),
].join("\r\n")}\r\n`;

interface RejectsJson {
  rejections: { source: string; line: number; field: string; value?: string }[];
}

describe.each(testDatabases("container_chars"))("the container route on $kind", (database) => {
  const session = useCliSession(database);
  let inbox: string;

  beforeEach(async () => {
    inbox = join(session().root, "inbox");
    await mkdir(join(inbox, "desserts"), { recursive: true });
    await session().writeContracts(DESSERTS);
  });

  it("loads multi-byte text cut at column edges exactly and names the original file's lines", async () => {
    const { cli, sql } = session();
    await writeFile(join(inbox, "desserts", "today.dat"), TODAY);
    // Line 3 holds "café" in Latin-1: its "é" is the byte E9, not UTF-8.
    await writeFile(
      join(inbox, "desserts", "legacy.dat"),
      Buffer.concat([
        Buffer.from(`${record("Tarte Tatin", "Lamotte", "DS0101", "3.00")}\n\n`),
        Buffer.from(record("caf\u00e9 liégeois", "Paris", "DS0102", "4.00"), "latin1"),
        Buffer.from("\n"),
      ]),
    );

    const run = await cli("run", inbox);

    expect(run.code).toBe(EXIT.attention);
    const rows = await sql("select sku, dessert, origin, price::text as price from desserts order by sku");
    expect(rows).toEqual([
      { sku: "DS0001", dessert: "café crème brûlée", origin: "Lyon", price: "6.50" },
      { sku: "DS0002", dessert: "Crème brûlée à l'été", origin: "Paris", price: "7.00" },
      { sku: "DS0003", dessert: "Pastel de nata", origin: "Lisboa", price: "2.10" },
      { sku: "DS0004", dessert: "抹茶パフェ", origin: "京都", price: "9.80" },
      { sku: "DS0005", dessert: "Sachertorte", origin: "Wien", price: "5.40" },
    ]);
    const rejects = JSON.parse((await cli("rejects", "desserts/today.dat", "--json")).out) as RejectsJson[];
    expect(rejects[0]!.rejections).toEqual([expect.objectContaining({ line: 6, field: "sku", value: "??" })]);
    const [legacy] = JSON.parse((await cli("status", "desserts/legacy.dat", "--json")).out) as RunStatus[];
    expect(legacy).toMatchObject({ route: "container", state: "quarantined", reason: "not-utf8" });
    expect(legacy!.message).toMatch(/not valid UTF-8 on line 3 \(byte 4 of the line; byte offset \d+ /);
    expect((await cli("status", "desserts/legacy.dat")).out).toContain("on line 3");
  });
});
