import { ConfigError } from "@sluice/core";

/** One SNS message attribute, as SNS carries it. */
export interface MessageAttribute {
  Type: "String" | "Number" | "String.Array" | "Binary";
  Value: string;
}

/** SNS message attributes by name. */
export type MessageAttributes = Record<string, MessageAttribute>;

/** A value condition of a filter policy (the subset of SNS's operators Sluice uses). */
export type FilterCondition =
  | string
  | number
  | { "anything-but": string | number | (string | number)[] | { prefix: string } }
  | { prefix: string }
  | { suffix: string }
  | { "equals-ignore-case": string }
  | { exists: boolean }
  | { numeric: (string | number)[] };

/**
 * An SNS subscription filter policy on message attributes (`FilterPolicyScope:
 * MessageAttributes`): every named attribute must match at least one of its conditions.
 */
export type FilterPolicy = Record<string, FilterCondition[]>;

const NUMERIC_OPERATORS = new Set(["=", "<", "<=", ">", ">="]);

/**
 * Checks a filter policy's shape the way SNS does when a subscription is saved, so a typo fails
 * at start-up instead of silently matching nothing.
 */
export function validateFilterPolicy(policy: FilterPolicy): void {
  const names = Object.keys(policy);
  if (names.length === 0) throw new ConfigError("filter policy has no attributes");
  if (names.length > 5) throw new ConfigError("filter policy names more than 5 attributes", { names });
  for (const name of names) {
    const conditions = policy[name];
    if (!Array.isArray(conditions) || conditions.length === 0) {
      throw new ConfigError(`filter policy attribute ${name} must be a non-empty array of conditions`, {
        name,
      });
    }
    for (const condition of conditions) {
      if (typeof condition === "string" || typeof condition === "number") continue;
      if (typeof condition !== "object" || condition === null || Object.keys(condition).length !== 1) {
        throw new ConfigError(`filter policy attribute ${name} has an invalid condition`, {
          name,
          condition,
        });
      }
      const [operator] = Object.keys(condition);
      if (
        !["anything-but", "prefix", "suffix", "equals-ignore-case", "exists", "numeric"].includes(operator!)
      ) {
        throw new ConfigError(`filter policy attribute ${name} uses unsupported operator ${operator}`, {
          name,
        });
      }
      if ("numeric" in condition) {
        const terms = condition.numeric;
        for (let i = 0; i < terms.length; i += 2) {
          if (!NUMERIC_OPERATORS.has(String(terms[i])) || typeof terms[i + 1] !== "number") {
            throw new ConfigError(`filter policy attribute ${name} has an invalid numeric condition`, {
              name,
            });
          }
        }
      }
    }
  }
}

/**
 * True when `attributes` satisfy `policy`, with SNS semantics: AND across attribute names, OR
 * across each name's conditions; an absent attribute matches only `{ exists: false }`;
 * `String.Array` attributes match when any element does.
 */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  attributes: MessageAttributes,
): boolean {
  if (policy === undefined) return true;
  return Object.entries(policy).every(([name, conditions]) => {
    const attribute = attributes[name];
    return conditions.some((condition) => matchesCondition(condition, attribute));
  });
}

function valuesOf(attribute: MessageAttribute): (string | number)[] {
  if (attribute.Type === "Number") return [Number(attribute.Value)];
  if (attribute.Type === "String.Array") {
    try {
      const parsed: unknown = JSON.parse(attribute.Value);
      if (Array.isArray(parsed)) return parsed.filter((v) => typeof v === "string" || typeof v === "number");
    } catch {
      return [];
    }
    return [];
  }
  return [attribute.Value];
}

function matchesCondition(condition: FilterCondition, attribute: MessageAttribute | undefined): boolean {
  if (typeof condition === "object" && "exists" in condition)
    return condition.exists === (attribute !== undefined);
  if (attribute === undefined || attribute.Type === "Binary") return false;
  const values = valuesOf(attribute);
  if (typeof condition === "string" || typeof condition === "number")
    return values.some((v) => v === condition);
  if ("prefix" in condition)
    return values.some((v) => typeof v === "string" && v.startsWith(condition.prefix));
  if ("suffix" in condition) return values.some((v) => typeof v === "string" && v.endsWith(condition.suffix));
  if ("equals-ignore-case" in condition) {
    const expected = condition["equals-ignore-case"].toLowerCase();
    return values.some((v) => typeof v === "string" && v.toLowerCase() === expected);
  }
  if ("numeric" in condition)
    return values.some((v) => typeof v === "number" && matchesNumeric(condition.numeric, v));
  const excluded = condition["anything-but"];
  if (typeof excluded === "object" && !Array.isArray(excluded)) {
    return values.some((v) => typeof v === "string" && !v.startsWith(excluded.prefix));
  }
  const list = Array.isArray(excluded) ? excluded : [excluded];
  return values.some((v) => !list.includes(v));
}

function matchesNumeric(terms: (string | number)[], value: number): boolean {
  for (let i = 0; i < terms.length; i += 2) {
    const bound = terms[i + 1] as number;
    const ok =
      terms[i] === "="
        ? value === bound
        : terms[i] === "<"
          ? value < bound
          : terms[i] === "<="
            ? value <= bound
            : terms[i] === ">"
              ? value > bound
              : value >= bound;
    if (!ok) return false;
  }
  return true;
}
