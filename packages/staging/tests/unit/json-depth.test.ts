import { lines, registry, stage } from "../../src/testing/fixtures";

describe("JSON nesting past the depth limit", () => {
  const customers = registry.get("customers");
  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it("rejects an NDJSON line nested past the limit as too-deep and stages the others", async () => {
    // prepare: a value nested 100,000 deep would overflow the stack of anything recursive
    const ndjson = lines(
      "\n",
      '{"customer_id": 1, "email": "a@example.com", "name": "Ann", "signed_up": "2026-01-02"}',
      `{"customer_id": 2, "email": "b@example.com", "name": ${deep(100_000)}, "signed_up": "2026-01-02"}`,
      '{"customer_id": 3, "email": "c@example.com", "name": "Cy", "signed_up": "2026-01-03"}',
    );

    // act
    const result = await stage({ ...customers, quarantine: { maxBadRowRatio: 1 } }, ndjson, {
      key: "crm/customers/deep.ndjson",
    });

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe(
      lines("\n", "1,1,a@example.com,Ann,,,2026-01-02", "3,3,c@example.com,Cy,,,2026-01-03"),
    );
    const rejects = result.rejects()!;
    expect(rejects.map((r) => [r.line, r.field, r.reason])).toEqual([
      [2, "(row)", "too-deep: JSON nested deeper than 64 levels"],
    ]);
    expect((rejects[0]!.value as string).length).toBeLessThanOrEqual(201);
  });

  it("takes a line nested exactly to the limit, and the limit comes from the config", async () => {
    // prepare: the record's own object is level 1, so `name` may nest 63 more
    const atLimit = `{"customer_id": 1, "email": "a@example.com", "name": ${deep(63)}, "signed_up": "2026-01-02"}`;

    // act
    const defaults = await stage({ ...customers, quarantine: { maxBadRowRatio: 1 } }, `${atLimit}\n`, {
      key: "crm/customers/limit.ndjson",
    });
    const lowered = await stage({ ...customers, quarantine: { maxBadRowRatio: 1 } }, `${atLimit}\n`, {
      key: "crm/customers/limit.ndjson",
      config: { maxJsonDepth: 10 },
    });

    // assert: within the limit, the nested value reaches the validator (a string field refuses an array)
    expect(defaults.rejects()!.map((r) => r.reason)).toEqual(["expected a string, got an array"]);
    expect(lowered.rejects()!.map((r) => r.reason)).toEqual(["too-deep: JSON nested deeper than 10 levels"]);
  });
});
