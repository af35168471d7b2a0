import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContractError } from "@sluice/core";
import {
  checkContractsDir,
  contractsDir,
  exampleKey,
  loadRegistry,
  resolveContractsDir,
  resolveLocalContractsDir,
} from "../../src";

const contract = (name: string, match: object, fields: object[] = [{ name: "id", type: "integer" }]) => ({
  name,
  version: 1,
  match,
  format: { type: "csv" },
  fields,
  table: name,
});

describe("checkContractsDir", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-contracts-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, value: unknown) =>
    writeFileSync(join(dir, file), typeof value === "string" ? value : JSON.stringify(value));

  it("lists every problem of every file, each schema issue on its own", () => {
    write(
      "a.json",
      contract("a", { prefix: "a/" }, [
        { name: "Bad Name", type: "integer" },
        { name: "x", type: "float" },
      ]),
    );
    write("b.json", "{ not json");
    write("c.json", contract("c", { prefix: "c/" }));

    const { problems, contracts } = checkContractsDir(dir);

    expect(contracts.map((c) => c.contract.name)).toEqual(["c"]);
    expect(problems.map((p) => [p.file.slice(dir.length + 1), p.message.split(":")[0]])).toEqual([
      ["a.json", "fields[0].name"],
      ["a.json", "fields[1].type"],
      ["b.json", "not valid JSON"],
    ]);
  });

  it("names a repeated dataset name with both files, and keys two contracts claim equally", () => {
    write("orders.json", contract("orders", { prefix: "orders/" }));
    write("orders-v2.json", contract("orders", { prefix: "orders/v2/" }));
    write("twin.json", contract("twin", { glob: "orders/v2/*" }));

    const { problems } = checkContractsDir(dir);

    expect(problems).toEqual([
      {
        file: join(dir, "orders.json"),
        message: `name: two contracts are named orders (also ${join(dir, "orders-v2.json")})`,
      },
      expect.objectContaining({
        file: join(dir, "orders-v2.json"),
        message: expect.stringMatching(/orders and twin both claim keys like orders\/v2\/example/),
      }),
    ]);
  });

  it("says when the folder does not exist", () => {
    expect(checkContractsDir(join(dir, "missing")).problems).toEqual([
      { file: join(dir, "missing"), message: "no such folder of dataset contracts" },
    ]);
  });

  it("makes loadRegistry fail with every problem in one ContractError", () => {
    write("a.json", contract("a", { prefix: "a/" }, [{ name: "x", type: "float" }]));
    write("b.json", contract("b", { prefix: "b/" }, [{ name: "y", type: "money" }]));

    const load = () => loadRegistry(dir);

    expect(load).toThrow(ContractError);
    expect(load).toThrow(
      /2 problems in the dataset contracts[\s\S]*a\.json: fields\[0\]\.type[\s\S]*b\.json: fields\[0\]\.type/,
    );
  });
});

describe("exampleKey", () => {
  it.each([
    [{ prefix: "orders/" }, "orders/example.csv"],
    [{ glob: "crm/customers/**/*.{ndjson,jsonl}" }, "crm/customers/a/b/example.ndjson"],
    [{ glob: "logs/202?/[ab]*.csv" }, "logs/202x/aexample.csv"],
  ])("makes a key %j claims", (match, key) => {
    expect(exampleKey(match)).toBe(key);
  });
});

describe("resolveContractsDir and resolveLocalContractsDir", () => {
  it("prefer SLUICE_CONTRACTS_DIR", () => {
    expect(resolveContractsDir({ SLUICE_CONTRACTS_DIR: "/opt/contracts" })).toBe("/opt/contracts");
    expect(resolveLocalContractsDir({ SLUICE_CONTRACTS_DIR: "/opt/contracts" })).toBe("/opt/contracts");
  });

  it("fall back to the package's own contracts", () => {
    expect(resolveContractsDir({})).toBe(contractsDir);
  });

  it("finds the repository's source folder from a bundle inside the checkout", () => {
    expect(resolveLocalContractsDir({}, join(contractsDir, "..", "..", "..", "apps", "cli", "dist"))).toBe(
      join(contractsDir, "..", "..", "..", "packages", "datasets", "contracts"),
    );
  });
});
