import { loadRegistry } from "../../src";

describe("the shipped dataset contracts", () => {
  it("all load and validate", () => {
    const registry = loadRegistry();
    expect(registry.all().map((c) => c.name)).toEqual(["customers", "ledger", "orders"]);
  });

  it("claim the keys their teams expect", () => {
    const registry = loadRegistry();
    expect(registry.claim("orders/2026/11/orders-1.csv")?.name).toBe("orders");
    expect(registry.claim("crm/customers/export 1.ndjson.gz")?.name).toBe("customers");
    expect(registry.claim("ledger/gl-2026-11.dat")?.name).toBe("ledger");
    expect(registry.claim("unknown/file.csv")).toBeUndefined();
  });
});
