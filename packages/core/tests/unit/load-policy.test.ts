import {
  ContractError,
  contractFingerprint,
  type DatasetContractInput,
  parseDatasetContract,
} from "../../src";

const base: DatasetContractInput = {
  name: "events",
  version: 1,
  match: { prefix: "events/" },
  format: { type: "csv" },
  fields: [
    { name: "id", type: "integer", required: true },
    { name: "kind", type: "string" },
    { name: "seen_at", type: "timestamp" },
    { name: "amount", type: "decimal", precision: 12, scale: 2 },
  ],
  table: "events",
};

function problemOf(input: DatasetContractInput): string {
  try {
    parseDatasetContract(input, "events.json");
  } catch (error) {
    if (error instanceof ContractError) return error.message;
    throw error;
  }
  throw new Error("expected a ContractError");
}

describe("a contract's load policy", () => {
  it("appends, with lineage, when the contract has no primary key", () => {
    expect(parseDatasetContract(base).load).toEqual({
      mode: "append",
      onDuplicateKey: "last",
      lineage: true,
      schema: "evolve",
    });
  });

  it("merges, without lineage, when the contract has a primary key (today's behaviour)", () => {
    expect(parseDatasetContract({ ...base, primaryKey: ["id"] }).load).toEqual({
      mode: "merge",
      onDuplicateKey: "last",
      lineage: false,
      schema: "evolve",
    });
  });

  it("keeps what the contract says over the defaults", () => {
    const contract = parseDatasetContract({
      ...base,
      primaryKey: ["id"],
      load: {
        mode: "merge",
        onDuplicateKey: "reject",
        orderBy: "seen_at",
        deleteWhen: { field: "kind", equals: "D" },
        lineage: true,
        schema: "freeze",
      },
    });
    expect(contract.load).toEqual({
      mode: "merge",
      onDuplicateKey: "reject",
      orderBy: "seen_at",
      deleteWhen: { field: "kind", equals: "D" },
      lineage: true,
      schema: "freeze",
    });
  });

  it.each<[string, DatasetContractInput, RegExp]>([
    [
      "merge without a key",
      { ...base, load: { mode: "merge" } },
      /primaryKey: load mode merge needs a primaryKey/,
    ],
    [
      "onDuplicateKey without a key",
      { ...base, load: { onDuplicateKey: "first" } },
      /onDuplicateKey needs a primaryKey/,
    ],
    [
      "orderBy naming no field",
      { ...base, primaryKey: ["id"], load: { orderBy: "nope" } },
      /load\.orderBy: nope is not a field/,
    ],
    ["orderBy on append", { ...base, load: { orderBy: "seen_at" } }, /orderBy applies to merge and replace/],
    [
      "deleteWhen outside merge",
      { ...base, load: { mode: "replace", deleteWhen: { field: "kind", equals: "D" } } },
      /deleteWhen applies to load mode merge only/,
    ],
    [
      "a field named like Sluice's own columns",
      { ...base, fields: [...base.fields, { name: "_sluice_run_id", type: "string" }] },
      /fields\[4\]\.name: names starting with _sluice_ are reserved/,
    ],
    [
      "a scale above the precision",
      { ...base, fields: [{ name: "amount", type: "decimal", precision: 3, scale: 4 }] },
      /scale 4 is greater than precision 3/,
    ],
    [
      "a precision on an integer",
      { ...base, fields: [{ name: "id", type: "integer", precision: 3 }] },
      /precision\/scale apply to type decimal/,
    ],
    ["an unknown mode", { ...base, load: { mode: "upsert" as "merge" } }, /load\.mode/],
  ])("refuses %s", (_name, input, message) => {
    expect(problemOf(input)).toMatch(message);
  });
});

describe("contractFingerprint", () => {
  it("is the same for the same rules written in another key order or description", () => {
    const a = parseDatasetContract({ ...base, description: "one" });
    const { table, ...rest } = base;
    const b = parseDatasetContract({ table, ...rest, description: "two" });
    expect(contractFingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(contractFingerprint(b)).toBe(contractFingerprint(a));
  });

  it("changes when a rule changes", () => {
    const a = parseDatasetContract(base);
    const b = parseDatasetContract({ ...base, load: { schema: "freeze" } });
    const c = parseDatasetContract({ ...base, quarantine: { maxBadRowRatio: 0.1 } });
    expect(new Set([a, b, c].map(contractFingerprint)).size).toBe(3);
  });
});
