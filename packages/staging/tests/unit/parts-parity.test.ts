import { parseDatasetContract } from "@sluice/core";
import { ordersContract, registry, seededRandom } from "../../src/testing/fixtures";
import { PartStager, stagedWhole } from "./parts-harness";

/** Orders staged whatever their share of bad rows: the rejections are compared too. */
const orders = ordersContract({ quarantine: { maxBadRowRatio: 1 } });
const customers = parseDatasetContract({ ...registry.get("customers"), quarantine: { maxBadRowRatio: 1 } });

/** Characters of 1 to 4 UTF-8 bytes, so a multi-byte one sits at a line's (and a part's) edges. */
const WIDE = ["é", "中", "😀", "a"];
const HEADER = ["memo", "order_id", "customer_id", "status", "amount", "currency", "ordered_at", "note"];

type Random = ReturnType<typeof seededRandom>;

/** A note: plain, or quoted with line breaks, doubled quotes, delimiters and wide characters. */
function note(random: Random, eols: string[]): string {
  const parts: string[] = [];
  for (let i = random.int(5); i > 0; i--)
    parts.push(random.pick([...WIDE, ",", '""', " ", random.pick(eols), "\r\n", "x"]));
  const text = parts.join("");
  if (random.int(5) === 0) return `${random.pick(WIDE)}5" screen`; // a stray quote inside an unquoted value is data
  if (random.int(3) === 0 && !/[",\r\n]/.test(text)) return text;
  return `"${text}"`;
}

/**
 * A CSV of orders with a header (after blank lines sometimes), one line ending or mixed ones (lone
 * CR too), a BOM sometimes, a memo column of wide characters first and a note column last (so a
 * wide character starts and ends lines), blank lines, `""` lines, rows of the wrong width, bad
 * values, and a last line with or without its line break.
 */
function randomCsv(random: Random): Buffer {
  const eols = random.pick([["\n"], ["\r\n"], ["\n", "\r\n", "\r"]]);
  const eol = () => random.pick(eols);
  let text = random.int(4) === 0 ? "\uFEFF" : "";
  if (random.int(5) === 0) text += `${eol()}${eol()}`;
  text += HEADER.join(",") + eol();
  for (let row = random.int(14); row > 0; row--) {
    const kind = random.int(12);
    if (kind === 0) text += eol();
    else if (kind === 1) text += `""${eol()}`;
    else if (kind === 2) text += `${random.pick(WIDE)},1,2${eol()}`;
    else {
      const amount = kind === 3 ? "-1" : `${random.int(100)}.${random.int(10)}0`;
      const memo = random.int(2) === 0 ? random.pick(WIDE).repeat(random.int(3)) : `"${random.pick(WIDE)}\n"`;
      text += `${memo},${random.int(50) + 1},7,paid,${amount},EUR,2026-11-27T10:00:00Z,${note(random, eols)}${eol()}`;
    }
  }
  if (random.int(3) === 0) text = text.replace(/(\r\n|\r|\n)$/, "");
  return Buffer.from(text);
}

/** NDJSON customers: LF or CRLF, a BOM sometimes, blank lines, wide characters, escaped line breaks, bad lines. */
function randomNdjson(random: Random): Buffer {
  const eol = random.pick(["\n", "\r\n"]);
  let text = random.int(4) === 0 ? "\uFEFF" : "";
  for (let row = random.int(14); row > 0; row--) {
    const kind = random.int(8);
    if (kind === 0) text += eol;
    else if (kind === 1) text += `{"customer_id": ${random.pick(WIDE)}${eol}`;
    else {
      const name = `${random.pick(WIDE)}\\n${random.pick(WIDE)}"`.replace('"', '\\"');
      const id = kind === 2 ? -1 : random.int(50) + 1;
      text += `{"customer_id":${id},"email":"a@b.c","name":"${name}","signed_up":"2026-01-02"}${eol}`;
    }
  }
  return Buffer.from(text);
}

/** Seeds, each a generated file; the test names the failing seed so it replays. */
const SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);

/**
 * Part sizes to split at: every size up to 160 bytes (every record boundary of a small file
 * starts a part for some size), then 40 random ones. While writing this, every size of 60 files
 * per format passed.
 */
function partSizes(random: Random, length: number): number[] {
  const sizes = Array.from({ length: Math.min(length, 160) }, (_, i) => i + 1);
  if (length > 160) for (let i = 0; i < 40; i++) sizes.push(161 + random.int(length - 160));
  return sizes;
}

describe("planParts and stagePart give the rows and lines of the single pass", () => {
  it.each(SEEDS)("CSV seed %i, split at any part size, scanned in random windows", async (seed) => {
    // prepare
    const random = seededRandom(seed);
    const content = randomCsv(random);
    const whole = await stagedWhole(orders, content);
    const stager = new PartStager(orders, content, 1 + random.int(9));

    for (const partBytes of partSizes(random, content.length)) {
      // act
      const plan = await stager.plan(partBytes, 4 + random.int(40));
      const parts = await stager.staged(plan);

      // assert
      expect(plan.parts.flatMap((part) => [part.start, part.end])).toEqual([
        0,
        ...plan.parts.slice(1).flatMap((part) => [part.start, part.start]),
        content.length,
      ]);
      expect({ seed, partBytes, ...parts }).toEqual({ seed, partBytes, ...whole });
    }
    expect(whole.quarantine).toBeUndefined();
  });

  it.each(SEEDS)("NDJSON seed %i, split at any part size", async (seed) => {
    // prepare
    const random = seededRandom(seed);
    const content = randomNdjson(random);
    const whole = await stagedWhole(customers, content);
    const stager = new PartStager(customers, content, 1 + random.int(9));

    for (const partBytes of partSizes(random, content.length)) {
      // act
      const parts = await stager.staged(await stager.plan(partBytes, 4 + random.int(40)));

      // assert
      expect({ seed, partBytes, ...parts }).toEqual({ seed, partBytes, ...whole });
    }
  });

  it("splits CSV whose every part holds rows, with each part's first line the whole file's", async () => {
    // prepare: line 2 opens a note holding two line breaks, so the next record starts on line 5;
    // the header alone passes 20 bytes, so the second part starts on line 2
    const content = Buffer.from(
      `${HEADER.join(",")}\n,1,7,paid,1.00,EUR,2026-11-27T10:00:00Z,"a\n,2,b\r\nc"\n,3,7,paid,1.00,EUR,2026-11-27T10:00:00Z,x\n`,
    );
    const stager = new PartStager(orders, content);

    // act
    const plan = await stager.plan(20, 16);

    // assert
    expect(plan.parts.map(({ firstLine, header }) => ({ firstLine, header }))).toEqual([
      { firstLine: 1, header: undefined },
      { firstLine: 2, header: HEADER },
      { firstLine: 5, header: HEADER },
    ]);
    expect((await stager.staged(plan)).rows).toBe(
      '2,1,7,paid,1.00,EUR,2026-11-27T10:00:00.000Z,"a\n,2,b\r\nc"\n5,3,7,paid,1.00,EUR,2026-11-27T10:00:00.000Z,x\n',
    );
  });

  it("quarantines a CSV whose quote never closes in the part that holds it, naming the same line", async () => {
    // prepare
    const content = Buffer.from(
      `${HEADER.join(",")}\n,1,7,paid,1.00,EUR,2026-11-27T10:00:00Z,x\n,2,"open\n,3\n,4\n`,
    );
    const whole = await stagedWhole(orders, content);
    const stager = new PartStager(orders, content);

    // act
    const plan = await stager.plan(10, 8);
    const parts = await stager.staged(plan);

    // assert
    expect(plan.parts.length).toBeGreaterThan(1);
    expect(whole.quarantine).toMatch(/^malformed-csv: CSV cannot be parsed from line 3/);
    expect(parts).toEqual(whole);
  });
});
