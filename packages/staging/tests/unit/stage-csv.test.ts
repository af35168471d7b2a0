import { gzipSync } from "node:zlib";
import { lines, ordersContract, stage } from "../../src/testing/fixtures";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";

describe("stageStream with CSV", () => {
  it("stages quoted fields with delimiters, doubled quotes and embedded newlines in COPY form", async () => {
    // prepare
    const csv = lines(
      "\n",
      HEADER,
      '1,10,paid,12.50,EUR,2026-11-27T10:00:00Z,"gift, wrapped"',
      '2,11,new,0.99,USD,2026-11-27 11:30:00,"said ""hi""\nthen left"',
      "3,12,shipped,5,GBP,2026-11-27T12:00:00+01:00,",
    );

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe(
      lines(
        "\n",
        '2,1,10,paid,12.50,EUR,2026-11-27T10:00:00.000Z,"gift, wrapped"',
        '3,2,11,new,0.99,USD,2026-11-27T11:30:00.000Z,"said ""hi""\nthen left"',
        "5,3,12,shipped,5,GBP,2026-11-27T11:00:00.000Z,",
      ),
    );
    expect(result.rejects()).toEqual([]);
  });

  it("reads CRLF line endings and a UTF-8 byte order mark", async () => {
    // prepare
    const csv = `\uFEFF${lines("\r\n", HEADER, "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,café", "2,10,new,2.00,EUR,2026-11-27T10:00:00Z,")}`;

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    expect(result.rows()).toBe(
      lines(
        "\n",
        "2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,café",
        "3,2,10,new,2.00,EUR,2026-11-27T10:00:00.000Z,",
      ),
    );
  });

  it("maps header columns by name in any order and ignores extra columns", async () => {
    // prepare
    const csv = lines(
      "\n",
      "currency,extra,ordered_at,order_id,status,customer_id,amount",
      "EUR,ignored,2026-11-27T10:00:00Z,7,paid,70,3.10",
    );

    // act
    const result = await stage(ordersContract(), csv);

    // assert: note (optional) has no column, so it is NULL (an unquoted empty field)
    expect(result.rows()).toBe("2,7,70,paid,3.10,EUR,2026-11-27T10:00:00.000Z,\n");
  });

  it("uses the contract's delimiter and quote, and a field's source column name", async () => {
    // prepare
    const contract = ordersContract({
      format: { type: "csv", delimiter: ";", quote: "'", header: true },
      fields: ordersContract().fields.map((f) => (f.name === "amount" ? { ...f, source: "Total" } : f)),
    });
    const csv = lines(
      "\n",
      "order_id;customer_id;status;Total;currency;ordered_at;note",
      "1;10;paid;1.25;EUR;2026-11-27T10:00:00Z;'a;b ''quoted'' \"x\"'",
    );

    // act
    const result = await stage(contract, csv);

    // assert
    expect(result.rows()).toBe(`2,1,10,paid,1.25,EUR,2026-11-27T10:00:00.000Z,"a;b 'quoted' ""x"""\n`);
  });

  it("detects gzip by its magic bytes, not by the object's name", async () => {
    // prepare
    const csv = lines("\n", HEADER, "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,zipped");
    const plainNamedGz = lines("\n", HEADER, "2,10,paid,1.00,EUR,2026-11-27T10:00:00Z,plain");

    // act
    const gzipped = await stage(ordersContract(), gzipSync(csv), { key: "orders/misleading.csv" });
    const plain = await stage(ordersContract(), plainNamedGz, { key: "orders/misleading.csv.gz" });

    // assert
    expect(gzipped.rows()).toBe("2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,zipped\n");
    expect(plain.rows()).toBe("2,2,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,plain\n");
  });

  it("gives the same result when chunks cut characters, quotes and CRLFs apart", async () => {
    // prepare
    const csv = `\uFEFF${lines(
      "\r\n",
      HEADER,
      '1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"naïve 日本語 😀, ""q""\r\nnext"',
      "2,10,bogus,1.00,EUR,2026-11-27T10:00:00Z,€",
    )}`;
    const whole = await stage(ordersContract(), csv);

    // act
    const results = await Promise.all(
      [1, 2, 3, 5, 7].map((chunkSize) => stage(ordersContract(), csv, { chunkSize })),
    );

    // assert
    for (const result of results) {
      expect(result.rows()).toBe(whole.rows());
      expect(result.rejects()).toEqual(whole.rejects());
    }
    expect(whole.rows()).toBe(
      '2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,"naïve 日本語 😀, ""q""\r\nnext"\n',
    );
  });

  it("reports each rejected and staged record at the physical line it starts on", async () => {
    // prepare: line 1 header, 2-4 a three-line record, 5 blank, 6 bad, 7-8 a two-line record, 9 bad
    const csv = lines(
      "\r\n",
      HEADER,
      '1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"one\r\ntwo\r\nthree"',
      "",
      "2,10,lost,1.00,EUR,2026-11-27T10:00:00Z,",
      '3,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"a\nb"',
      "4,x,paid,1.00,EUR,2026-11-27T10:00:00Z,",
    );

    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 1 } }), csv);

    // assert
    expect(result.rejects()).toEqual([
      { line: 6, field: "status", reason: "not one of new, paid, shipped, cancelled", value: "lost" },
      { line: 9, field: "customer_id", reason: "not an integer", value: "x" },
    ]);
    expect(result.rows()).toBe(
      lines(
        "\n",
        '2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,"one\r\ntwo\r\nthree"',
        '7,3,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,"a\nb"',
      ),
    );
    expect(result.outcome.status).toBe("staged");
    if (result.outcome.status === "staged") {
      expect(result.outcome.manifest.counts).toEqual({ rows: 4, staged: 2, rejected: 2 });
    }
  });

  it("rejects a value holding a NUL byte at its line, which Postgres text cannot hold, and stages the rest", async () => {
    // prepare
    const csv = lines(
      "\n",
      HEADER,
      "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,ok",
      "2,10,paid,1.00,EUR,2026-11-27T10:00:00Z,bad\0byte",
    );

    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 1 } }), csv);

    // assert
    expect(result.rejects()).toEqual([
      {
        line: 3,
        field: "note",
        reason: "contains a NUL character, which Postgres text cannot hold",
        value: "bad\0byte",
      },
    ]);
    expect(result.rows()).toBe("2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,ok\n");
  });

  it("rejects a record with the wrong number of fields as a whole row", async () => {
    // prepare
    const csv = lines(
      "\n",
      HEADER,
      "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z",
      "2,10,paid,1.00,EUR,2026-11-27T10:00:00Z,ok",
    );

    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 1 } }), csv);

    // assert
    expect(result.rejects()).toEqual([
      {
        line: 2,
        field: "(row)",
        reason: "has 6 fields, expected 7",
        value: "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z",
      },
    ]);
    expect(result.rows()).toBe("3,2,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,ok\n");
  });

  it("keeps a stray quote inside an unquoted value as data", async () => {
    // prepare
    const csv = lines("\n", HEADER, '1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,5" screen');

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    expect(result.rows()).toBe('2,1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,"5"" screen"\n');
  });

  it("reads a headerless CSV by position in contract field order", async () => {
    // prepare
    const contract = ordersContract({ format: { type: "csv", header: false } });

    // act
    const result = await stage(contract, "9,90,new,0,EUR,2026-11-27T10:00:00Z,\n");

    // assert
    expect(result.rows()).toBe("1,9,90,new,0,EUR,2026-11-27T10:00:00.000Z,\n");
  });
});
