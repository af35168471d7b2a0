import { BlockList, isIP } from "node:net";

/** One SNS message attribute, as SNS carries it. */
export interface MessageAttribute {
  Type: "String" | "Number" | "String.Array" | "Binary";
  Value: string;
}

/** SNS message attributes by name. */
export type MessageAttributes = Record<string, MessageAttribute>;

/** A value a filter policy compares with: the JSON scalars a policy may hold. */
export type FilterValue = string | number | boolean | null;

/** A value condition of a filter policy: an exact value or one operator object. */
export type FilterCondition =
  | FilterValue
  | { "anything-but": string | number | readonly (string | number)[] | { prefix: string } }
  | { prefix: string }
  | { suffix: string }
  | { "equals-ignore-case": string }
  | { exists: boolean }
  | { numeric: readonly (string | number)[] }
  | { cidr: string };

/**
 * An SNS subscription filter policy on message attributes (`FilterPolicyScope:
 * MessageAttributes`): each named attribute must match at least one of its conditions, and a
 * `$or` key holding two or more policies matches when one of them does.
 */
export type FilterPolicy = { readonly [key: string]: readonly FilterCondition[] | readonly FilterPolicy[] };

/** The operator names of condition objects; SNS reserves them (a `$or` branch may not use one as a key). */
export const FILTER_OPERATORS = [
  "anything-but",
  "prefix",
  "suffix",
  "equals-ignore-case",
  "exists",
  "numeric",
  "cidr",
] as const;

/** One AND-clause of a policy once its `$or`s are expanded: every attribute must match one of its conditions. */
export type FilterBranch = [attribute: string, conditions: readonly FilterCondition[]][];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * True when `key: value` is SNS's OR operator rather than an attribute named `$or`: SNS reads
 * `"$or"` as OR only when it holds an array of at least two objects, none of whose field
 * names is a reserved operator keyword (https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html).
 */
export function isOrOperator(key: string, value: unknown): value is readonly FilterPolicy[] {
  return (
    key === "$or" &&
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every(
      (branch) =>
        isPlainObject(branch) &&
        Object.keys(branch).every((field) => !(FILTER_OPERATORS as readonly string[]).includes(field)),
    )
  );
}

/**
 * The policy as a disjunction of AND-clauses: `{a, $or: [{b}, {c}]}` is `(a ∧ b) ∨ (a ∧ c)`.
 * Nested `$or`s multiply out the same way.
 */
export function branchesOf(policy: FilterPolicy): FilterBranch[] {
  let branches: FilterBranch[] = [[]];
  for (const [key, value] of Object.entries(policy)) {
    if (isOrOperator(key, value)) {
      const alternatives = value.flatMap((sub) => branchesOf(sub));
      branches = branches.flatMap((branch) => alternatives.map((alternative) => [...branch, ...alternative]));
    } else {
      branches = branches.map((branch) => [...branch, [key, value as readonly FilterCondition[]]]);
    }
  }
  return branches;
}

/**
 * True when `attributes` satisfy `policy`, with the semantics SNS documents for attribute-based
 * filtering (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html):
 * AND across attribute names, OR across each name's conditions and across `$or` branches;
 * `Binary` attributes are ignored; an absent attribute matches only `{ exists: false }`, and
 * that only when the message carries at least one attribute; values compare by type (a
 * `String` attribute never equals a number, a `Number` attribute never matches a string
 * operator); a `String.Array` matches when an element does (`anything-but`: when none of its
 * elements is excluded).
 */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  attributes: MessageAttributes,
): boolean {
  if (policy === undefined) return true;
  const present = new Map<string, FilterValue[]>();
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute.Type !== "Binary") present.set(name, valuesOf(attribute));
  }
  return branchesOf(policy).some((branch) =>
    branch.every(([name, conditions]) =>
      conditions.some((condition) => matchesCondition(condition, present.get(name), present.size)),
    ),
  );
}

function valuesOf(attribute: MessageAttribute): FilterValue[] {
  if (attribute.Type === "Number") {
    const value = Number(attribute.Value);
    return attribute.Value.trim() !== "" && Number.isFinite(value) ? [value] : [];
  }
  if (attribute.Type === "String.Array") {
    try {
      const parsed: unknown = JSON.parse(attribute.Value);
      if (!Array.isArray(parsed)) return [];
      return parsed.filter((v): v is FilterValue => v === null || typeof v !== "object");
    } catch {
      return [];
    }
  }
  return [attribute.Value];
}

function matchesCondition(
  condition: FilterCondition,
  values: FilterValue[] | undefined,
  attributeCount: number,
): boolean {
  if (isPlainObject(condition) && "exists" in condition) {
    return condition.exists ? values !== undefined : values === undefined && attributeCount > 0;
  }
  if (values === undefined) return false;
  if (!isPlainObject(condition)) return values.some((value) => value === condition);
  const strings = values.filter((value): value is string => typeof value === "string");
  if ("prefix" in condition) return strings.some((value) => value.startsWith(condition.prefix));
  if ("suffix" in condition) return strings.some((value) => value.endsWith(condition.suffix));
  if ("equals-ignore-case" in condition) {
    const expected = condition["equals-ignore-case"].toLowerCase();
    return strings.some((value) => value.toLowerCase() === expected);
  }
  if ("numeric" in condition) {
    return values.some((value) => typeof value === "number" && matchesNumeric(condition.numeric, value));
  }
  if ("cidr" in condition) return strings.some((value) => inSubnet(value, condition.cidr));
  const excluded = condition["anything-but"];
  if (values.length === 0) return false;
  if (isPlainObject(excluded)) {
    return values.every((value) => typeof value === "string" && !value.startsWith(excluded.prefix));
  }
  const list: readonly FilterValue[] = Array.isArray(excluded) ? excluded : [excluded as string | number];
  return values.every((value) => !list.includes(value));
}

function matchesNumeric(terms: readonly (string | number)[], value: number): boolean {
  for (let i = 0; i < terms.length; i += 2) {
    const bound = terms[i + 1] as number;
    const operator = terms[i];
    const ok =
      operator === "="
        ? value === bound
        : operator === "<"
          ? value < bound
          : operator === "<="
            ? value <= bound
            : operator === ">"
              ? value > bound
              : value >= bound;
    if (!ok) return false;
  }
  return true;
}

function inSubnet(address: string, cidr: string): boolean {
  const [network = "", bits = ""] = cidr.split("/");
  const family = isIP(network);
  if (family === 0 || isIP(address) !== family) return false;
  const subnet = new BlockList();
  const type = family === 4 ? "ipv4" : "ipv6";
  subnet.addSubnet(network, Number(bits), type);
  return subnet.check(address, type);
}
