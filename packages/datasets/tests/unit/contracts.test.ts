import { readdirSync } from "node:fs";
import { checkContractsDir, exampleKey, loadRegistry, resolveContractsDir } from "../../src";

// Validates whatever contracts are in the folder (or SLUICE_CONTRACTS_DIR): adding a dataset
// needs no edit here.
const dir = resolveContractsDir();

describe(`the dataset contracts in ${dir}`, () => {
  const check = checkContractsDir(dir);

  it("has at least one contract file", () => {
    expect(check.files.length).toBeGreaterThan(0);
  });

  it("has no problem in any file (schema, names, claims)", () => {
    expect(check.problems).toEqual([]);
  });

  it("loads every *.json file as a contract", () => {
    const files = readdirSync(dir).filter((name) => name.endsWith(".json"));
    expect(loadRegistry(dir).all()).toHaveLength(files.length);
  });

  it.each(check.contracts.map(({ file, contract }) => [file, contract] as const))(
    "%s claims the keys its match names",
    (_file, contract) => {
      expect(loadRegistry(dir).claim(exampleKey(contract.match))?.name).toBe(contract.name);
    },
  );
});
