import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  createEvent,
  DatasetRegistry,
  parseDatasetContract,
  runIdOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { stageStream } from "@sluice/staging";
import { DEFAULT_LEGACY_WRAPPER_CONFIG } from "../../src/config";
import { runLegacyJob } from "../../src/legacy-job";
import { silentLogger } from "../support/memory";

/** A fixed-width menu whose text columns are cut right after multi-byte characters. */
const menu = parseDatasetContract({
  name: "menu",
  version: 1,
  match: { prefix: "menu/" },
  format: {
    type: "fixed-width",
    columns: [
      { field: "code", start: 0, length: 4 },
      { field: "dish", start: 4, length: 17 },
      { field: "origin", start: 21, length: 8 },
      { field: "price", start: 29, length: 7 },
    ],
  },
  fields: [
    { name: "code", type: "string", required: true, pattern: "^[A-Z][0-9]{3}$" },
    { name: "dish", type: "string", required: true },
    { name: "origin", type: "string" },
    { name: "price", type: "decimal", required: true, scale: 2 },
  ],
  primaryKey: ["code"],
  table: "menu",
  route: "container",
  quarantine: { maxBadRowRatio: 0.5 },
});

const programDir = join(__dirname, "..", "..", "..", "..", "docker", "legacy-wrapper", "legacy");

/** `text` padded with spaces to `width` characters (code points: padEnd counts UTF-16 units). */
const pad = (text: string, width: number) => text + " ".repeat(width - [...text].length);

/** One record in the menu's layout; widths count characters. */
function dish(code: string, name: string, origin: string, price: string): string {
  return `${pad(code, 4)}${pad(name, 17)}${pad(origin, 8)}${price.padStart(7)}`;
}

/**
 * A BOM, CRLF endings, an empty line 2 and a bad code on line 6. "café crème brûlée" fills its
 * 17 characters, so its last "é" ends the column; "€", CJK, "Ærø" and emoji (outside the BMP:
 * two UTF-16 units, four bytes) sit on column edges too.
 */
const MENU_FILE = `\uFEFF${[
  dish("D001", "café crème brûlée", "Málaga", "12.50"),
  "",
  dish("D002", "日本語の料理と抹茶の和菓子セット", "京都市", "8.00"),
  dish("D003", 'naïve, "quoted"', "Zürich", "4.25"),
  dish("D004", "€ menu", "Ærø", "19.99"),
  dish("??", "rejected, line 6", "", "1.00"),
  dish("D005", "🍰 gâteau 😀", "🇫🇷 Nice", "3.00"),
].join("\r\n")}\r\n`;

async function runContainerRoute(body: Buffer | string) {
  const store = new MemoryObjectStore();
  const publisher = new MemoryEventPublisher();
  const put = await store.put("raw", "menu/today.dat", body);
  const object = { bucket: "raw", key: "menu/today.dat", size: Buffer.byteLength(body), eTag: put.eTag };
  const event = createEvent("sluice.object.received", "sluice/listener", {
    runId: runIdOf(object),
    object,
    dataset: "menu",
    contractVersion: 1,
    route: "container",
  });
  const outcome = await runLegacyJob(event, {
    store,
    publisher,
    registry: new DatasetRegistry([menu]),
    stagingBucket: "staging",
    stage: stageStream,
    logger: silentLogger(),
    config: { ...DEFAULT_LEGACY_WRAPPER_CONFIG, workDir: tmpdir(), programDir },
  });
  const keys = stagingKeysOf("menu", event.data.runId);
  return {
    outcome,
    event,
    store,
    publisher,
    staged: () => ({
      rows: gunzipSync(store.bytes("staging", keys.rowsKey)!).toString(),
      rejects: store.bytes("staging", keys.rejectsKey)?.toString() ?? "",
    }),
  };
}

/** What the lambda route (transform: staging reads the fixed-width object itself) stages. */
async function lambdaRoute(event: SluiceEvent<"sluice.object.received">, body: string) {
  const store = new MemoryObjectStore();
  await store.put("raw", event.data.object.key, body);
  const publisher = new MemoryEventPublisher();
  const deps = { store, publisher, stagingBucket: "staging", logger: silentLogger() };
  await stageStream({ event, contract: menu, producer: "transform" }, deps);
  const keys = stagingKeysOf("menu", event.data.runId);
  return {
    rows: gunzipSync(store.bytes("staging", keys.rowsKey)!).toString(),
    rejects: store.bytes("staging", keys.rejectsKey)?.toString() ?? "",
  };
}

describe("the shipped program on multi-byte text", () => {
  it("cuts columns by characters and names every row by its line in the original file", async () => {
    const { outcome, publisher, staged } = await runContainerRoute(MENU_FILE);

    expect(outcome.status).toBe("staged");
    expect(publisher.events[0]).toMatchObject({ data: { counts: { rows: 6, staged: 5, rejected: 1 } } });
    const { rows, rejects } = staged();
    expect(rows).toBe(
      [
        "1,D001,café crème brûlée,Málaga,12.50",
        "3,D002,日本語の料理と抹茶の和菓子セット,京都市,8.00",
        '4,D003,"naïve, ""quoted""",Zürich,4.25',
        "5,D004,€ menu,Ærø,19.99",
        "7,D005,🍰 gâteau 😀,🇫🇷 Nice,3.00",
        "",
      ].join("\n"),
    );
    expect(JSON.parse(rejects)).toMatchObject({ line: 6, field: "code", value: "??" });
  });

  it("stages exactly what the lambda route stages from the same file", async () => {
    const { event, staged } = await runContainerRoute(MENU_FILE);

    expect(staged()).toEqual(await lambdaRoute(event, MENU_FILE));
  });

  it("quarantines a file with invalid UTF-8 naming the line and byte of the original file", async () => {
    const good = dish("D001", "café", "Lyon", "1.00");
    const body = Buffer.concat([
      Buffer.from(`${good}\n\n${good.replace("D001", "D002")}\nD003caf`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(" broken\n"),
    ]);

    const { outcome, publisher, store } = await runContainerRoute(body);

    expect(outcome).toEqual({ status: "quarantined" });
    expect(publisher.events).toHaveLength(1);
    const offset = body.indexOf(0xc3, body.lastIndexOf(0x0a, body.length - 2));
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.quarantined",
      data: {
        reason: "not-utf8",
        message: `s3://raw/menu/today.dat: content is not valid UTF-8 on line 4 (byte 8 of the line; byte offset ${offset} of the decompressed content)`,
      },
    });
    expect(store.keys("staging")).toEqual([]);
  });
});
