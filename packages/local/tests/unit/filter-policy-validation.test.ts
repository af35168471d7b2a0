import { type FilterPolicy, validateFilterPolicy } from "../../src";

/**
 * Filter policy validation against SNS's documented constraints:
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 * ("The total combination of values in a filter policy must not exceed 150. To calculate the
 * total combination, multiply the number of values in each array in the filter policy." and "A
 * filter policy can have a maximum of five keys."), with `$or` branches
 * (https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html) each counted as their own
 * product and summed.
 */
describe("local filter policy validation follows SNS's constraints ", () => {
  const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);

  it("accepts the documented complexity example: 3 x 1 x 2 = 6 combinations", () => {
    expect(() =>
      validateFilterPolicy({
        key_a: ["value_one", "value_two", "value_three"],
        key_b: ["value_one"],
        key_c: ["value_one", "value_two"],
      }),
    ).not.toThrow();
  });

  it.each<[string, FilterPolicy, RegExp | null]>([
    ["150 combinations", { a: values(10), b: values(15) }, null],
    ["more than 150 combinations", { a: values(11), b: values(14) }, /too complex: 154/],
    [
      "$or branches summed under the limit",
      { a: values(10), $or: [{ b: values(7) }, { c: values(7) }] },
      null,
    ],
    [
      "$or branches summed over the limit",
      { a: values(10), $or: [{ b: values(8) }, { c: values(8) }] },
      /160/,
    ],
    ["five keys", { a: ["x"], b: ["x"], c: ["x"], d: ["x"], e: ["x"] }, null],
    ["six keys", { a: ["x"], b: ["x"], c: ["x"], d: ["x"], e: ["x"], f: ["x"] }, /more than 5/],
    [
      "six keys through an $or branch",
      { a: ["x"], b: ["x"], c: ["x"], d: ["x"], $or: [{ e: ["x"], f: ["x"] }, { g: ["x"] }] },
      /more than 5/,
    ],
    ["a nested policy", { a: { b: ["x"] } as never }, /non-empty array/],
    ["the keywords true, false and null", { a: [true, false, null] }, null],
  ])("%s", (_name, policy, refused) => {
    if (refused) expect(() => validateFilterPolicy(policy)).toThrow(refused);
    else expect(() => validateFilterPolicy(policy)).not.toThrow();
  });
});
