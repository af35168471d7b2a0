import {
  ContractError,
  type DatasetContractInput,
  DatasetRegistry,
  parseDatasetContract,
  routeFor,
} from "../../src";

const base: DatasetContractInput = {
  name: "orders",
  version: 1,
  match: { prefix: "orders/" },
  format: { type: "csv" },
  fields: [
    { name: "id", type: "integer", required: true },
    { name: "amount", type: "decimal", min: 0 },
  ],
  primaryKey: ["id"],
  table: "sales.orders",
};

function errorOf(input: unknown): ContractError {
  try {
    parseDatasetContract(input, "orders.json");
  } catch (error) {
    if (error instanceof ContractError) return error;
    throw error;
  }
  throw new Error("expected a ContractError");
}

describe("dataset contracts", () => {
  it("apply defaults for csv options, route and quarantine policy", () => {
    const contract = parseDatasetContract(base);
    expect(contract.format).toEqual({ type: "csv", delimiter: ",", quote: '"', header: true });
    expect(contract.route).toBe("lambda");
    expect(contract.quarantine).toEqual({ maxBadRowRatio: 0 });
  });

  it("name the file and the wrong field path", () => {
    const error = errorOf({ ...base, fields: [base.fields[0], { name: "amount", type: "money" }] });
    expect(error.message).toMatch(/^orders\.json: fields\[1\]\.type/);
  });

  it("reject invalid JSON text with the file name", () => {
    expect(errorOf("{").message).toMatch(/^orders\.json: not valid JSON/);
  });

  it.each([
    ["a primary key that is not a field", { primaryKey: ["nope"] }, /primary key nope is not a field/],
    ["an optional primary key", { primaryKey: ["amount"] }, /primary key field amount must be required/],
    ["duplicate fields", { fields: [base.fields[0], base.fields[0]] }, /duplicate field id/],
    ["an unsafe identifier", { name: "Orders; drop" }, /name: must be a lower-case SQL identifier/],
    ["an unknown property", { colour: "blue" }, /colour/],
    [
      "min above max",
      { fields: [base.fields[0], { name: "amount", type: "decimal", min: 5, max: 1 }] },
      /min 5 is greater than max 1/,
    ],
    [
      "min on a string",
      { fields: [base.fields[0], { name: "amount", type: "string", min: 1 }] },
      /min\/max do not apply/,
    ],
    [
      "a bad pattern",
      { fields: [base.fields[0], { name: "amount", type: "string", pattern: "(" }] },
      /not a valid regular expression/,
    ],
    ["a ratio above 1", { quarantine: { maxBadRowRatio: 2 } }, /quarantine\.maxBadRowRatio/],
    [
      "a fixed-width field without a column",
      { format: { type: "fixed-width", columns: [{ field: "id", start: 0, length: 4 }] } },
      /field amount has no fixed-width column/,
    ],
  ])("reject %s", (_name, change, message) => {
    expect(errorOf({ ...base, ...change }).message).toMatch(message);
  });

  it("route auto contracts by size", () => {
    const contract = parseDatasetContract({ ...base, route: { auto: { thresholdBytes: 1000 } } });
    expect(routeFor(contract, 1000)).toBe("lambda");
    expect(routeFor(contract, 1001)).toBe("container");
    expect(routeFor(parseDatasetContract({ ...base, route: "container" }), 1)).toBe("container");
  });
});

describe("DatasetRegistry", () => {
  const orders = parseDatasetContract(base);
  const refunds = parseDatasetContract({ ...base, name: "refunds", match: { prefix: "orders/refunds/" } });
  const events = parseDatasetContract({
    ...base,
    name: "events",
    match: { glob: "events/**/*.ndjson" },
    format: { type: "ndjson" },
  });
  const registry = new DatasetRegistry([orders, refunds, events]);

  it("lets the most specific prefix claim a key", () => {
    expect(registry.claim("orders/2026/a.csv")?.name).toBe("orders");
    expect(registry.claim("orders/refunds/a.csv")?.name).toBe("refunds");
  });

  it("matches globs", () => {
    expect(registry.claim("events/2026/11/a b.ndjson")?.name).toBe("events");
    expect(registry.claim("events/2026/11/a.csv")).toBeUndefined();
  });

  it("refuses two contracts with the same name and ambiguous claims", () => {
    expect(() => new DatasetRegistry([orders, orders])).toThrow(/two contracts are named orders/);
    const twin = parseDatasetContract({ ...base, name: "twin" });
    expect(() => new DatasetRegistry([orders, twin]).claim("orders/x.csv")).toThrow(/claimed by both/);
  });

  it("finds contracts by name or says which is missing", () => {
    expect(registry.get("events").name).toBe("events");
    expect(() => registry.get("nope")).toThrow(/no dataset contract is named nope/);
  });
});
