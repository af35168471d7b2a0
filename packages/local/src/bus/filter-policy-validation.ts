import { isIP } from "node:net";
import { ConfigError } from "@sluice/core";
import { branchesOf, FILTER_OPERATORS, type FilterPolicy, isOrOperator } from "./filter-policy";

/**
 * The limits SNS sets on a filter policy
 * (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html).
 */
export interface FilterPolicyLimits {
  /** Attribute names one policy may test ("A filter policy can have a maximum of five keys"). */
  maxKeys: number;
  /** "The total combination of values in a filter policy must not exceed 150." */
  maxCombinations: number;
}

/** SNS's documented limits. */
export const SNS_FILTER_POLICY_LIMITS: Readonly<FilterPolicyLimits> = { maxKeys: 5, maxCombinations: 150 };

const NUMERIC_OPERATORS = ["=", "<", "<=", ">", ">="];

/**
 * Checks a filter policy the way SNS does when a subscription is saved, so a policy SNS would
 * refuse fails at start-up instead of silently matching nothing, and every policy SNS accepts is
 * accepted. Beyond each condition's shape:
 *
 * - keys: at most `maxKeys` attribute names in each AND-clause once `$or` is expanded (a `$or`
 *   branch tests its own attributes together with those beside the `$or`);
 * - complexity: the product of the number of values of each attribute, summed over the `$or`
 *   branches, at most `maxCombinations` (the constraints page multiplies the value counts; an OR
 *   adds its alternatives' products).
 */
export function validateFilterPolicy(
  policy: FilterPolicy,
  limits: FilterPolicyLimits = SNS_FILTER_POLICY_LIMITS,
): void {
  checkShape(policy, "");
  const branches = branchesOf(policy);
  let combinations = 0;
  for (const branch of branches) {
    const names = [...new Set(branch.map(([name]) => name))];
    if (names.length > limits.maxKeys) {
      throw new ConfigError(`filter policy tests more than ${limits.maxKeys} attributes together`, { names });
    }
    combinations += branch.reduce((product, [, conditions]) => product * conditions.length, 1);
  }
  if (combinations > limits.maxCombinations) {
    throw new ConfigError(
      `filter policy is too complex: ${combinations} combinations of values, at most ${limits.maxCombinations}`,
      { combinations },
    );
  }
}

function checkShape(policy: unknown, path: string): void {
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    throw new ConfigError(`filter policy${path ? ` ${path}` : ""} must be an object`, { path });
  }
  const entries = Object.entries(policy);
  if (entries.length === 0) throw new ConfigError(`filter policy${path ? ` ${path}` : ""} has no attributes`);
  for (const [key, value] of entries) {
    if (isOrOperator(key, value)) {
      for (const [index, branch] of value.entries()) checkShape(branch, `${path}$or[${index}]`);
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) {
      throw new ConfigError(`filter policy attribute ${key} must be a non-empty array of conditions`, {
        name: key,
      });
    }
    for (const condition of value) checkCondition(key, condition);
  }
}

function fail(name: string, problem: string, condition: unknown): never {
  throw new ConfigError(`filter policy attribute ${name}: ${problem}`, { name, condition });
}

function checkCondition(name: string, condition: unknown): void {
  if (condition === null || ["string", "number", "boolean"].includes(typeof condition)) return;
  if (typeof condition !== "object" || Array.isArray(condition)) {
    fail(
      name,
      "a condition must be a value or an operator object (nested policies are not allowed)",
      condition,
    );
  }
  const entries = Object.entries(condition as object);
  if (entries.length !== 1) fail(name, "an operator object holds exactly one operator", condition);
  const [operator, operand] = entries[0]!;
  if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    fail(name, `unsupported operator ${operator}`, condition);
  }
  switch (operator) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof operand !== "string") fail(name, `${operator} needs a string`, condition);
      return;
    case "exists":
      if (typeof operand !== "boolean") fail(name, "exists needs true or false", condition);
      return;
    case "cidr":
      checkCidr(name, operand);
      return;
    case "numeric":
      checkNumeric(name, operand);
      return;
    default:
      checkAnythingBut(name, operand);
  }
}

/** `anything-but`: a value, a non-empty list of values, or `{ "prefix": "…" }` (the forms SNS documents). */
function checkAnythingBut(name: string, operand: unknown): void {
  const isValue = (v: unknown) => typeof v === "string" || typeof v === "number";
  if (isValue(operand)) return;
  if (Array.isArray(operand) && operand.length > 0 && operand.every(isValue)) return;
  if (
    typeof operand === "object" &&
    operand !== null &&
    !Array.isArray(operand) &&
    Object.keys(operand).length === 1 &&
    typeof (operand as { prefix?: unknown }).prefix === "string"
  )
    return;
  fail(name, "anything-but needs a value, a list of values or { prefix }", { "anything-but": operand });
}

/** `numeric`: one comparison, or a range `>`/`>=` low then `<`/`<=` high with low < high. */
function checkNumeric(name: string, operand: unknown): void {
  const terms = Array.isArray(operand) ? operand : [];
  const bad = () => fail(name, "invalid numeric condition", { numeric: operand });
  if (terms.length !== 2 && terms.length !== 4) bad();
  for (let i = 0; i < terms.length; i += 2) {
    if (!NUMERIC_OPERATORS.includes(terms[i]) || typeof terms[i + 1] !== "number") bad();
  }
  if (terms.length === 4) {
    const [low, lowBound, high, highBound] = terms as [string, number, string, number];
    if (!low.startsWith(">") || !high.startsWith("<") || lowBound >= highBound) bad();
  }
}

function checkCidr(name: string, operand: unknown): void {
  const [address = "", bits = "", ...rest] = typeof operand === "string" ? operand.split("/") : [];
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || rest.length > 0 || !/^\d+$/.test(bits) || Number(bits) > max) {
    fail(name, "cidr needs an IP network such as 10.0.0.0/24", { cidr: operand });
  }
}
