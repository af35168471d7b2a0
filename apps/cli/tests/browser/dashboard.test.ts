import { createReadStream } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { EXIT, runCli, samplesDir } from "../../src";
import { findChromium, type RunningUi, screenshot, startUi } from "../support/browser";
import {
  bufferIo,
  DRAIN_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  startRuntimeWithBrokenLoader,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** How long the page may take to show something: a deadline against hangs on a loaded machine. */
const SHOWN_MS = 120_000;

const chromiumPath = findChromium();
if (!chromiumPath) {
  if (process.env.CI === "true") throw new Error("Chromium is missing in CI: .ci/run installs it");
  console.warn(
    "the dashboard's browser tests are skipped: no chromium on the PATH (apt-get install -y chromium, or set SLUICE_CHROMIUM)",
  );
}
const describeInBrowser = chromiumPath ? describe : describe.skip;
// One database is enough for the page: the real Postgres when there is one, else PGlite.
const database = testDatabases("ui").at(-1)!;

const PARKED_KEY = "orders/2026-05-orders.csv";
const QUARANTINED_KEY = "orders/2026-04-broken-export.csv";
const BAD_ROWS_KEY = "orders/2026-03 orders with bad rows.csv";

describeInBrowser(`sluice ui in Chromium (${database.kind})`, () => {
  let stateDir: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;
  let browser: Browser;
  let page: Page;
  let withActions: RunningUi;
  let readOnly: RunningUi;

  beforeAll(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
    databaseUrl = await database.create(stateDir);
    const globals = ["--state-dir", stateDir, "--database-url", databaseUrl];
    expect(await runCli([...globals, "demo"], bufferIo())).toBe(EXIT.ok);
    // A loader that always throws parks one more object in loader-dlq, as in the dlq e2e test.
    const broken = await startRuntimeWithBrokenLoader({ stateDir, databaseUrl });
    await broken.ingest(
      PARKED_KEY,
      createReadStream(join(samplesDir(), "raw", "orders", "2026-01-orders.csv")),
    );
    await broken.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    await broken.close();
    [withActions, readOnly] = await Promise.all([
      startUi(globals, ["--allow-actions"]),
      startUi(globals, []),
    ]);
    browser = await chromium.launch({ executablePath: chromiumPath!, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
    await withActions?.stop();
    await readOnly?.stop();
    await database.drop(databaseUrl);
    await cleanup();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterEach(async () => {
    await page.close();
  });

  /** The table row of the objects view holding `key`. */
  const objectRow = (key: string) => page.locator("tr", { has: page.locator(`a[data-key="${key}"]`) });

  it("shows every object with its state, and why a quarantined file was", async () => {
    await page.goto(`${withActions.url}#/objects`);

    await objectRow(PARKED_KEY).waitFor({ timeout: SHOWN_MS });
    expect(await page.locator("a[data-key]").count()).toBe(8);
    expect(await objectRow("orders/2026-01-orders.csv").textContent()).toContain("loaded");
    expect(await objectRow(PARKED_KEY).textContent()).toContain("dead-lettered");
    const quarantined = await objectRow(QUARANTINED_KEY).textContent();
    expect(quarantined).toContain("quarantined: bad-row-ratio");
    expect(quarantined).toContain("5 of 10 rows rejected");
    await screenshot(page, "objects");
  });

  it("shows the datasets with their contracts, throughput charts and phase durations", async () => {
    await page.goto(withActions.url);

    const orders = page.locator("tr", { has: page.locator("strong", { hasText: /^orders$/ }) });
    await orders.waitFor({ timeout: SHOWN_MS });
    expect(await orders.textContent()).toMatch(/csv → orders, 7 fields, key order_id.*1 quarantined/);
    expect(await page.locator("svg.chart").count()).toBe(2);
    expect(await page.locator("caption", { hasText: "Phase durations" }).count()).toBe(1);
    await screenshot(page, "overview");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "overview-dark");
  });

  it("opens an object from the keyboard: its timeline, rejected rows with line and field, its ledger entry", async () => {
    await page.goto(`${withActions.url}#/objects`);
    await objectRow(BAD_ROWS_KEY).waitFor({ timeout: SHOWN_MS });

    await page.locator(`a[data-key="${BAD_ROWS_KEY}"]`).focus();
    await page.keyboard.press("Enter");

    const rejected = page.locator("table", { has: page.locator("caption", { hasText: "Rejected rows" }) });
    await rejected.waitFor({ timeout: SHOWN_MS });
    const firstRow = await rejected.locator("tbody tr").first().locator("td").allTextContents();
    expect(firstRow.slice(0, 3)).toEqual(["transform", "6", "status"]);
    expect(firstRow[3]).toContain("not one of");
    expect(await page.locator(".timeline li").allTextContents()).toEqual([
      expect.stringContaining("received"),
      expect.stringContaining("staged"),
      expect.stringContaining("loaded"),
    ]);
    expect(await page.locator("caption", { hasText: "Ledger entry" }).count()).toBe(1);
    await screenshot(page, "object");
  });

  it("without --allow-actions shows the DLQ but its redrive button is off, and the API refuses", async () => {
    await page.goto(`${readOnly.url}#/dlq`);

    const button = page.locator('button[data-redrive="loader-dlq"]');
    await button.waitFor({ timeout: SHOWN_MS });
    expect(await button.isDisabled()).toBe(true);
    expect(await page.locator('[data-queue="loader-dlq"]').textContent()).toContain(PARKED_KEY);
    const refused = await page.evaluate(async () => {
      const response = await fetch("/api/dlq/loader-dlq/redrive", {
        method: "POST",
        headers: { "x-sluice-action": "1" },
      });
      return response.status;
    });
    expect(refused).toBe(403);
  });

  it("redrives the DLQ after the confirmation, which empties it and loads the object", async () => {
    await page.goto(`${withActions.url}#/dlq`);
    const queue = page.locator('[data-queue="loader-dlq"]');
    await queue.locator("button").waitFor({ timeout: SHOWN_MS });
    await screenshot(page, "dead-letter-queues");
    const asked: string[] = [];
    page.once("dialog", (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });

    await queue.locator("button").click();

    // The redrive runs the pipeline until drained, then says so.
    await page.locator("#notice", { hasText: "Done (exit 0)" }).waitFor({ timeout: DRAIN_TIMEOUT_MS });
    expect(asked).toEqual(["Redrive 1 message(s) from loader-dlq back to its queue?"]);
    await queue.locator("p", { hasText: "Empty." }).waitFor({ timeout: SHOWN_MS });
    await page.goto(`${withActions.url}#/objects`);
    await objectRow(PARKED_KEY)
      .locator(".badge", { hasText: /^loaded$/ })
      .waitFor({ timeout: SHOWN_MS });
  });
});
