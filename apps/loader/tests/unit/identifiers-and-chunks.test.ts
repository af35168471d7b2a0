import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { encodeCsvRow } from "@sluice/core";
import { createLoadTarget, PgLoadTarget, PgliteLoadTarget, quoteIdent, toBlobCopy } from "../../src";
import { FirstFieldRemover, RecordBoundaryScanner } from "../../src/targets/csv-records";
import { openTestPglite } from "../support/pglite-template";
import { OPEN_TARGET_TIMEOUT_MS, PGLITE_INITDB_TIMEOUT_MS } from "../support/targets";

describe("quoteIdent", () => {
  test("doubles embedded quotes so a name can never end the identifier early", () => {
    expect(quoteIdent('a"b; DROP TABLE x; --')).toBe('"a""b; DROP TABLE x; --"');
    expect(quoteIdent("select")).toBe('"select"');
  });

  test("rejects empty names and NUL characters", () => {
    expect(() => quoteIdent("")).toThrow(TypeError);
    expect(() => quoteIdent("a\u0000b")).toThrow(TypeError);
  });
});

describe("toBlobCopy", () => {
  test("rewrites only the final FROM STDIN, even when an identifier contains those words", () => {
    expect(toBlobCopy('COPY "from stdin" ("a") FROM STDIN (FORMAT csv)')).toBe(
      `COPY "from stdin" ("a") FROM '/dev/blob' (FORMAT csv)`,
    );
  });
});

describe("RecordBoundaryScanner", () => {
  test("finds the last newline outside quotes in CSV, across chunks", () => {
    const scanner = new RecordBoundaryScanner({ csv: true });
    const text = 'a,"multi\nline",b\nc,"open\n';
    const first = scanner.scan(Buffer.from(text));
    expect(first).toBe(text.indexOf("b\n") + 2);
    expect(scanner.scan(Buffer.from('still "" quoted\n'))).toBe(-1);
    expect(scanner.scan(Buffer.from('closed"\nnext\nlast'))).toBe('closed"\nnext\n'.length);
  });

  test("treats every newline as a boundary in text format", () => {
    const scanner = new RecordBoundaryScanner({ csv: false });
    expect(scanner.scan(Buffer.from('a\t"b\nc'))).toBe(5);
  });
});

describe("FirstFieldRemover", () => {
  test("drops the leading line number of every record, however the records are cut into chunks", async () => {
    const records = [
      ["2", "a", 'multi\nline, "quoted"'],
      ["4", "", null],
      ["5", "x,y", "z"],
    ];
    const csv = records.map((row) => encodeCsvRow(row)).join("");
    const expected = records.map((row) => encodeCsvRow(row.slice(1))).join("");

    for (const size of [1, 2, 3, 7, csv.length]) {
      const chunks = Array.from({ length: Math.ceil(csv.length / size) }, (_, i) =>
        Buffer.from(csv.slice(i * size, (i + 1) * size)),
      );
      const out: Buffer[] = [];
      for await (const chunk of Readable.from(chunks).pipe(new FirstFieldRemover())) out.push(chunk);
      expect(Buffer.concat(out).toString("utf8")).toBe(expected);
    }
  });

  test("gives the same records for long runs of unquoted records between quoted ones, at any chunk size", async () => {
    // A seeded generator: fields quoted now and then (commas, quotes, line breaks inside), so a
    // chunk holds many records whose next quote is far ahead, and cuts fall anywhere.
    let seed = 13;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ["a", "bb", "x,y", 'say "hi"', "two\nlines", "crlf\r\nhere", "é€😀", ""];
    const records = Array.from({ length: 400 }, (_, i) => [
      String(i + 2),
      ...Array.from({ length: 3 }, () =>
        random(9) === 0 ? pieces[random(pieces.length)]! : `v${random(1000)}`,
      ),
    ]);
    const csv = Buffer.from(records.map((row) => encodeCsvRow(row)).join(""));
    const expected = records.map((row) => encodeCsvRow(row.slice(1))).join("");

    for (const size of [5, 64, 333, 4096, csv.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < csv.length; at += size) chunks.push(csv.subarray(at, at + size));
      const out: Buffer[] = [];
      for await (const chunk of Readable.from(chunks).pipe(new FirstFieldRemover())) out.push(chunk);
      expect(Buffer.concat(out).toString("utf8")).toBe(expected);
    }
  });
});

describe("PgliteLoadTarget.copyFrom", () => {
  let target: PgliteLoadTarget;

  beforeAll(async () => {
    target = new PgliteLoadTarget(await openTestPglite(), { copyChunkBytes: 64 });
  }, OPEN_TARGET_TIMEOUT_MS);

  afterAll(async () => {
    await target?.close();
  });

  test("copies a stream cut into many small pieces with quoted newlines intact", async () => {
    const values = Array.from({ length: 200 }, (_, i) => [String(i), i % 3 === 0 ? `x\n"${i}",\ny` : null]);
    const csv = Buffer.from(values.map((row) => encodeCsvRow(row)).join(""));
    const pieces = Array.from({ length: Math.ceil(csv.length / 7) }, (_, i) =>
      csv.subarray(i * 7, i * 7 + 7),
    );

    const copied = await target.transaction(async (session) => {
      await session.query("CREATE TABLE t (id int PRIMARY KEY, v text)");
      return session.copyFrom("COPY t (id, v) FROM STDIN (FORMAT csv)", Readable.from(pieces));
    });

    expect(copied).toBe(200);
    const rows = await target.query<{ id: number; v: string | null }>("SELECT id, v FROM t ORDER BY id");
    expect(rows.rows.map((row) => [String(row.id), row.v])).toEqual(values);
  });
});

describe("createLoadTarget", () => {
  test(
    "chooses pg for postgres URLs and PGlite for memory:// or a data directory",
    async () => {
      const server = createLoadTarget("postgres://nobody@127.0.0.1:1/none");
      const memory = createLoadTarget("memory://");
      try {
        expect(server).toBeInstanceOf(PgLoadTarget);
        expect(createLoadTarget("postgresql://x@h/db")).toBeInstanceOf(PgLoadTarget);
        expect(memory).toBeInstanceOf(PgliteLoadTarget);
        const one = await memory.query<{ one: number }>("SELECT 1 AS one");
        expect(one.rows).toEqual([{ one: 1 }]);
      } finally {
        await server.close();
        await memory.close();
      }
    },
    PGLITE_INITDB_TIMEOUT_MS,
  );
});

describe("createLoadTarget with a data directory", () => {
  test(
    "keeps what was committed when the database is opened again",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "sluice-loader-pglite-"));
      try {
        const first = createLoadTarget(join(dir, "db"));
        await first.transaction(async (session) => {
          await session.query("CREATE TABLE kept (id int)");
          await session.query("INSERT INTO kept VALUES (42)");
        });
        await first.close();

        const second = createLoadTarget(join(dir, "db"));
        const rows = await second.query<{ id: number }>("SELECT id FROM kept");
        await second.close();

        expect(rows.rows).toEqual([{ id: 42 }]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    PGLITE_INITDB_TIMEOUT_MS,
  );
});
