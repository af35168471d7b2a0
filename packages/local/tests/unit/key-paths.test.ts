import { encodeKeySegment, keyPathOf } from "../../src";

describe("key segment encoding", () => {
  it("keeps plain names readable", () => {
    expect(encodeKeySegment("orders-2026_01.csv")).toBe("orders-2026_01.csv");
  });

  it("escapes spaces, plus, percent, tilde and unicode as UTF-8 percent bytes", () => {
    expect(encodeKeySegment("a b+c%d~é")).toBe("a%20b%2Bc%25d%7E%C3%A9");
  });

  it("never yields dot names, hidden names or empty names", () => {
    expect(encodeKeySegment(".")).toBe("%2E");
    expect(encodeKeySegment("..")).toBe("%2E.");
    expect(encodeKeySegment(".hidden")).toBe("%2Ehidden");
    expect(encodeKeySegment("")).toBe("~");
  });

  it("shortens long segments with a hash and keeps them distinct", () => {
    const long = "x".repeat(1000);
    const a = encodeKeySegment(long);
    const b = encodeKeySegment(`${long}y`);
    expect(a.length).toBeLessThan(200);
    expect(a).not.toBe(b);
  });

  it("maps distinct segments to distinct names", () => {
    const segments = [
      "a",
      "A",
      "a b",
      "a+b",
      "a%20b",
      "a%2Bb",
      "é",
      "e\u0301",
      "",
      "~",
      "%7E",
      ".",
      "%2E",
      "x".repeat(300),
    ];
    const encoded = new Set(segments.map(encodeKeySegment));
    expect(encoded.size).toBe(segments.length);
  });

  it("splits keys into directory segments and a base name", () => {
    expect(keyPathOf("orders/2026/jan feb.csv")).toEqual({ dirs: ["orders", "2026"], base: "jan%20feb.csv" });
    expect(keyPathOf("reports/")).toEqual({ dirs: ["reports"], base: "~" });
  });
});
