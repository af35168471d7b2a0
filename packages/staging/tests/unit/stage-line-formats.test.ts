import { gzipSync } from "node:zlib";
import { parseDatasetContract } from "@sluice/core";
import { lines, registry, stage } from "../../src/testing/fixtures";

describe("stageStream with NDJSON", () => {
  const customers = registry.get("customers");

  it("stages valid lines and rejects invalid JSON and non-objects at their line", async () => {
    // prepare
    const ndjson = lines(
      "\r\n",
      '{"customer_id": 1, "email": "a@example.com", "name": "Ann", "country": "FR", "vip": true, "signed_up": "2026-01-02"}',
      "",
      '{"customer_id": 2, "email": "b@example.com", "name": "Bob"',
      "[1, 2, 3]",
      '{"customer_id": "3", "email": "c@example.com", "name": "Cy", "signed_up": "2026-01-03", "unknown": {"x": 1}}',
      '{"customer_id": 4, "email": "no-at-sign", "name": "Di", "signed_up": "2026-01-04"}',
    );

    // act
    const result = await stage({ ...customers, quarantine: { maxBadRowRatio: 1 } }, gzipSync(ndjson), {
      key: "crm/customers/2026/export.ndjson.gz",
    });

    // assert
    expect(result.rows()).toBe(
      lines("\n", "1,1,a@example.com,Ann,FR,true,2026-01-02", "5,3,c@example.com,Cy,,,2026-01-03"),
    );
    const rejects = result.rejects()!;
    expect(rejects.map((r) => [r.line, r.field])).toEqual([
      [3, "(row)"],
      [4, "(row)"],
      [6, "email"],
    ]);
    expect(rejects[0]!.reason).toMatch(/^invalid JSON: /);
    expect(rejects[0]!.value).toBe('{"customer_id": 2, "email": "b@example.com", "name": "Bob"');
    expect(rejects[1]!.reason).toBe("not a JSON object");
  });

  it("rejects a \\u0000 escape or a lone surrogate escape, which Postgres would refuse or alter", async () => {
    // prepare: escapes JSON allows, in lines 1 and 2; line 3 holds a surrogate pair, an emoji
    const ndjson = lines(
      "\n",
      '{"customer_id": 1, "email": "a@example.com", "name": "A\\u0000n", "signed_up": "2026-01-02"}',
      '{"customer_id": 2, "email": "b@example.com", "name": "B\\ud800b", "signed_up": "2026-01-02"}',
      '{"customer_id": 3, "email": "c@example.com", "name": "C\\ud83d\\ude00", "signed_up": "2026-01-02"}',
    );

    // act
    const result = await stage({ ...customers, quarantine: { maxBadRowRatio: 1 } }, ndjson, {
      key: "crm/customers/escapes.ndjson",
    });

    // assert
    expect(result.rejects()!.map((r) => [r.line, r.field, r.reason])).toEqual([
      [1, "name", "contains a NUL character, which Postgres text cannot hold"],
      [2, "name", expect.stringMatching(/^contains a lone UTF-16 surrogate/)],
    ]);
    expect(result.rows()).toBe("3,3,c@example.com,C😀,,,2026-01-02\n");
  });

  it("reads the last line when the file does not end with a line break", async () => {
    // act
    const result = await stage(
      customers,
      '{"customer_id": 9, "email": "z@example.com", "name": "Zed", "signed_up": "2026-02-03"}',
      { key: "crm/customers/x.ndjson" },
    );

    // assert
    expect(result.rows()).toBe("1,9,z@example.com,Zed,,,2026-02-03\n");
  });
});

describe("stageStream with fixed-width records", () => {
  const ledger = registry.get("ledger");
  const record = (id: string, account: string, date: string, amount: string, memo: string) =>
    id.padEnd(10) + account.padEnd(8) + date.padEnd(10) + amount.padStart(12) + memo.padEnd(30);

  it("cuts fields at their character offsets and trims them", async () => {
    // prepare
    const text = lines(
      "\r\n",
      record("1", "00012345", "2026-11-01", "-12.50", "rent ünïcødé"),
      "",
      record("2", "00012345", "2026-11-02", "3.1", ""),
      record("3", "ABC", "2026-11-03", "1.00", "bad account"),
      "4         00012345",
    );

    // act
    const result = await stage({ ...ledger, quarantine: { maxBadRowRatio: 1 } }, text, {
      key: "ledger/gl.txt",
    });

    // assert
    expect(result.rows()).toBe(
      lines("\n", "1,1,00012345,2026-11-01,-12.50,rent ünïcødé", "3,2,00012345,2026-11-02,3.1,"),
    );
    expect(result.rejects()).toEqual([
      { line: 4, field: "account", reason: "does not match pattern ^[0-9]{8}$", value: "ABC" },
      { line: 5, field: "posted_on", reason: "required value is empty", value: "" },
    ]);
  });

  it("counts a character outside the BMP as one, not as its two UTF-16 units", async () => {
    const icons = parseDatasetContract({
      name: "icons",
      version: 1,
      match: { prefix: "icons/" },
      format: {
        type: "fixed-width",
        columns: [
          { field: "icon", start: 0, length: 2 },
          { field: "label", start: 2, length: 10 },
        ],
      },
      fields: [
        { name: "icon", type: "string", required: true },
        { name: "label", type: "string", required: true },
      ],
      primaryKey: ["icon"],
      table: "icons",
    });

    const result = await stage(icons, lines("\n", "😀🥐croissant", "ab€ uro"), { key: "icons/a.txt" });

    expect(result.rows()).toBe(lines("\n", "1,😀🥐,croissant", "2,ab,€ uro"));
  });
});
