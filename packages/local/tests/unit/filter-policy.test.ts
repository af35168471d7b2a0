import { ConfigError } from "@sluice/core";
import { type MessageAttributes, matchesFilterPolicy, validateFilterPolicy } from "../../src";

const received: MessageAttributes = {
  type: { Type: "String", Value: "sluice.object.received" },
  dataset: { Type: "String", Value: "orders" },
  route: { Type: "String", Value: "lambda" },
};

describe("SNS filter policies", () => {
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

  it("support anything-but, prefix, suffix and equals-ignore-case", () => {
    expect(matchesFilterPolicy({ type: [{ "anything-but": ["sluice.object.loaded"] }] }, received)).toBe(
      true,
    );
    expect(matchesFilterPolicy({ type: [{ "anything-but": "sluice.object.received" }] }, received)).toBe(
      false,
    );
    expect(matchesFilterPolicy({ type: [{ "anything-but": { prefix: "sluice." } }] }, received)).toBe(false);
    expect(matchesFilterPolicy({ type: [{ prefix: "sluice.object." }] }, received)).toBe(true);
    expect(matchesFilterPolicy({ dataset: [{ suffix: "ers" }] }, received)).toBe(true);
    expect(matchesFilterPolicy({ dataset: [{ "equals-ignore-case": "ORDERS" }] }, received)).toBe(true);
  });

  it("compare Number attributes numerically", () => {
    const sized: MessageAttributes = { size: { Type: "Number", Value: "2048" } };
    expect(matchesFilterPolicy({ size: [{ numeric: [">", 1024, "<=", 4096] }] }, sized)).toBe(true);
    expect(matchesFilterPolicy({ size: [{ numeric: ["<", 1024] }] }, sized)).toBe(false);
    expect(matchesFilterPolicy({ size: [2048] }, sized)).toBe(true);
  });

  it("match any element of a String.Array attribute", () => {
    const tags: MessageAttributes = { tags: { Type: "String.Array", Value: '["a","b"]' } };
    expect(matchesFilterPolicy({ tags: ["b"] }, tags)).toBe(true);
    expect(matchesFilterPolicy({ tags: ["c"] }, tags)).toBe(false);
  });

  it("let everything through when there is no policy", () => {
    expect(matchesFilterPolicy(undefined, {})).toBe(true);
  });

  it("reject malformed policies when a subscription is made", () => {
    expect(() => validateFilterPolicy({})).toThrow(ConfigError);
    expect(() => validateFilterPolicy({ type: [] })).toThrow(ConfigError);
    expect(() => validateFilterPolicy({ type: [{ regex: "x" } as never] })).toThrow(/unsupported operator/);
    expect(() => validateFilterPolicy({ n: [{ numeric: ["~", 1] }] })).toThrow(/numeric/);
  });
});
