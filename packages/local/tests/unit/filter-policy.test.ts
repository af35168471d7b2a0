import { ConfigError } from "@sluice/core";
import {
  type FilterPolicy,
  type MessageAttributes,
  matchesFilterPolicy,
  validateFilterPolicy,
} from "../../src";

const received: MessageAttributes = {
  type: { Type: "String", Value: "sluice.object.received" },
  dataset: { Type: "String", Value: "orders" },
  route: { Type: "String", Value: "lambda" },
};

describe("SNS filter policies on Sluice's event attributes", () => {
  it("match when every named attribute matches one of its values", () => {
    expect(matchesFilterPolicy({ type: ["sluice.object.received"], route: ["lambda"] }, received)).toBe(true);
    expect(matchesFilterPolicy({ type: ["sluice.object.received"], route: ["container"] }, received)).toBe(
      false,
    );
    expect(matchesFilterPolicy({ route: ["container", "lambda"] }, received)).toBe(true);
  });

  it("do not match a message that lacks a named attribute, except with exists false", () => {
    const failed: MessageAttributes = { type: { Type: "String", Value: "sluice.object.failed" } };
    expect(matchesFilterPolicy({ route: ["lambda"] }, failed)).toBe(false);
    expect(matchesFilterPolicy({ route: [{ "anything-but": "container" }] }, failed)).toBe(false);
    expect(matchesFilterPolicy({ route: [{ exists: false }] }, failed)).toBe(true);
    expect(matchesFilterPolicy({ route: [{ exists: true }] }, received)).toBe(true);
  });

  it("route either way with $or: received on the lambda route, or anything failed", () => {
    const policy: FilterPolicy = {
      $or: [{ type: ["sluice.object.received"], route: ["lambda"] }, { type: ["sluice.object.failed"] }],
    };
    const failed: MessageAttributes = { type: { Type: "String", Value: "sluice.object.failed" } };
    const container: MessageAttributes = { ...received, route: { Type: "String", Value: "container" } };

    validateFilterPolicy(policy);
    expect(
      [received, failed, container].map((attributes) => matchesFilterPolicy(policy, attributes)),
    ).toEqual([true, true, false]);
  });

  it("let everything through when there is no policy", () => {
    expect(matchesFilterPolicy(undefined, {})).toBe(true);
  });

  it("reject malformed policies when a subscription is made", () => {
    expect(() => validateFilterPolicy({})).toThrow(ConfigError);
    expect(() => validateFilterPolicy({ type: [] })).toThrow(ConfigError);
    expect(() => validateFilterPolicy({ type: [{ regex: "x" } as never] })).toThrow(/unsupported operator/);
    expect(() => validateFilterPolicy({ n: [{ numeric: ["~", 1] }] })).toThrow(/numeric/);
    expect(() => validateFilterPolicy({ n: [{ numeric: [">", 10, "<", 5] }] })).toThrow(/numeric/);
    expect(() => validateFilterPolicy({ n: [{ numeric: ["<", 10, ">", 5] }] })).toThrow(/numeric/);
    expect(() => validateFilterPolicy({ n: [{ prefix: "a", suffix: "b" } as never] })).toThrow(/exactly one/);
    expect(() => validateFilterPolicy({ ip: [{ cidr: "10.0.0.0/33" }] })).toThrow(/cidr/);
    // SNS documents anything-but with a value, a list or a prefix; other nested operators are refused.
    expect(() => validateFilterPolicy({ k: [{ "anything-but": { suffix: "x" } as never }] })).toThrow(
      /anything-but/,
    );
  });
});
