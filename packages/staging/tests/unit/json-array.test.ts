import { readJsonArray } from "../../src/parse/json-array";
import { seededRandom } from "../../src/testing/fixtures";

type Rng = ReturnType<typeof seededRandom>;

/** Text pieces that trip a bracket matcher: escapes, quotes and brackets inside strings, multi-byte characters. */
const STRING_PIECES = ["a", "\\\\", '\\"', "]", "}", "[", "{", ",", "é", "😀", "\\n", "\\u0041", " ", ":"];
const SPACES = ["", " ", "\n", "\r\n", "\r", "\t", "  \n  "];

function generateValue(rng: Rng, depth: number): string {
  const kind = rng.int(depth > 3 ? 4 : 6);
  if (kind === 0) return String(rng.int(1000) - 500);
  if (kind === 1) return rng.pick(["true", "false", "null", "1.5e3", "-0.25"]);
  if (kind < 4) {
    let text = '"';
    for (let i = rng.int(6); i > 0; i--) text += rng.pick(STRING_PIECES);
    return `${text}"`;
  }
  if (kind === 4) {
    const items = Array.from({ length: rng.int(4) }, () => generateValue(rng, depth + 1));
    return `[${items.join(`,${rng.pick(SPACES)}`)}]`;
  }
  return generateObject(rng, depth + 1);
}

function generateObject(rng: Rng, depth: number): string {
  const members = Array.from(
    { length: rng.int(4) },
    (_, i) =>
      `${rng.pick(SPACES)}"k${i}${rng.pick(STRING_PIECES)}"${rng.pick(SPACES)}:${rng.pick(SPACES)}${generateValue(rng, depth)}`,
  );
  return `{${members.join(",")}${rng.pick(SPACES)}}`;
}

/** A document with its elements and the line each starts on, as written. */
function generateDocument(rng: Rng, records: string | undefined) {
  let text = rng.pick(SPACES);
  const elements: { text: string; line: number }[] = [];
  const lineOf = () => text.split(/\r\n|\n|\r/).length;
  const before =
    records === undefined ? "" : `{"before": ${generateValue(rng, 0)}, "${records}":${rng.pick(SPACES)}`;
  text += `${before}[`;
  for (let i = rng.int(8); i > 0; i--) {
    text += rng.pick(SPACES);
    const element = rng.int(5) === 0 ? generateValue(rng, 0) : generateObject(rng, 0);
    elements.push({ text: element, line: lineOf() });
    text += element + rng.pick(SPACES);
    if (i > 1) text += ",";
  }
  text += `]${records === undefined ? "" : `, "after": ${generateValue(rng, 0)}}`}${rng.pick(SPACES)}`;
  return { text, elements };
}

async function read(text: string, cuts: number[], records: string | undefined) {
  const bytes = Buffer.from(text);
  async function* chunks() {
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      yield bytes.subarray(start, cut);
      start = cut;
    }
  }
  const seen: { text: string; line: number }[] = [];
  await readJsonArray(chunks(), { records, maxRecordChars: 1_000_000 }, (element, line) => {
    seen.push({ text: element, line });
    return true;
  });
  return seen;
}

describe("readJsonArray", () => {
  it("finds every element, as written and at its line, of generated documents cut into random chunks", async () => {
    for (const seed of [1, 2, 3]) {
      const rng = seededRandom(seed);
      for (let n = 0; n < 400; n++) {
        // prepare
        const records = rng.int(2) === 0 ? undefined : "features";
        const { text, elements } = generateDocument(rng, records);
        const length = Buffer.byteLength(text);
        const cuts = Array.from({ length: rng.int(6) }, () => rng.int(length + 1)).sort((a, b) => a - b);

        // act
        const seen = await read(text, cuts, records);

        // assert: every generated document is JSON, and each element reads back as written
        expect(() => JSON.parse(text)).not.toThrow();
        expect(seen).toEqual(elements);
      }
    }
  });

  it("stops at the first element when the handler says so, reading no further", async () => {
    // prepare: the document breaks off after its second element
    const text = '[{"a": 1}, {"a": 2}, {"a": ';
    const seen: string[] = [];

    // act
    await readJsonArray(
      (async function* () {
        yield Buffer.from(text);
      })(),
      { maxRecordChars: 100 },
      (element) => {
        seen.push(element);
        return seen.length < 2;
      },
    );

    // assert
    expect(seen).toEqual(['{"a": 1}', '{"a": 2}']);
  });
});
