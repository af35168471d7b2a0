import { contractsDir, loadRegistry, resolveContractsDir } from "../../src";

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

describe("resolveContractsDir", () => {
  it("prefers SLUICE_CONTRACTS_DIR, and falls back to the package's own contracts", () => {
    expect(resolveContractsDir({ SLUICE_CONTRACTS_DIR: "/opt/contracts" })).toBe("/opt/contracts");
    expect(resolveContractsDir({})).toBe(contractsDir);
  });
});
