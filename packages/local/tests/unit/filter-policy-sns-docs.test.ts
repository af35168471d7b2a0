import {
  type FilterPolicy,
  isOrOperator,
  type MessageAttributes,
  matchesFilterPolicy,
  validateFilterPolicy,
} from "../../src";

/**
 * The local bus's filter policies against SNS's documentation: each case is a policy and message
 * attributes from the page it cites (the examples' own values) and whether the page delivers it.
 * - KEYS: https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
 * - STRINGS: https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
 * - NUMBERS: https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html
 * - AND_OR: https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
 * - CONSTRAINTS: https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 *
 * Cases marked "(rule)" apply a sentence of the page to a message it gives no example for.
 */

type Attr = MessageAttributes[string];
const str = (Value: string): Attr => ({ Type: "String", Value });
const num = (Value: string): Attr => ({ Type: "Number", Value });
const arr = (values: unknown[]): Attr => ({ Type: "String.Array", Value: JSON.stringify(values) });

const interests = (attribute: Attr): MessageAttributes => ({ customer_interests: attribute });
const storeAndInterests: MessageAttributes = {
  store: str("fans"),
  customer_interests: arr(["baseball", "basketball"]),
};

type Case = [page: string, policy: FilterPolicy, attributes: MessageAttributes, delivered: boolean];

const cases: Record<string, Case> = {
  // Key matching.
  "exists true, key present": ["KEYS", { store: [{ exists: true }] }, storeAndInterests, true],
  "exists true, key absent": [
    "KEYS",
    { store: [{ exists: true }] },
    { customer_interests: storeAndInterests.customer_interests! },
    false,
  ],
  "exists false, key present": ["KEYS", { store: [{ exists: false }] }, storeAndInterests, false],
  "exists false, key absent": [
    "KEYS",
    { store: [{ exists: false }] },
    { customer_interests: storeAndInterests.customer_interests! },
    true,
  ],
  // "exists": false only matches if at least one attribute is present. An empty set of
  // attributes results in the filter not matching. (issue 12: the local bus delivered this one)
  "exists false, no attributes at all": ["KEYS", { route: [{ exists: false }] }, {}, false],

  // String matching.
  "exact, first value": [
    "STRINGS",
    { customer_interests: ["rugby", "tennis"] },
    interests(str("rugby")),
    true,
  ],
  "exact, second value": [
    "STRINGS",
    { customer_interests: ["rugby", "tennis"] },
    interests(str("tennis")),
    true,
  ],
  "exact, String.Array": [
    "STRINGS",
    { customer_interests: ["rugby", "tennis"] },
    interests(arr(["rugby", "tennis"])),
    true,
  ],
  "exact, other value": [
    "STRINGS",
    { customer_interests: ["rugby", "tennis"] },
    interests(str("baseball")),
    false,
  ],
  "exact, String.Array of another value": [
    "STRINGS",
    { customer_interests: ["rugby", "tennis"] },
    interests(arr(["baseball"])),
    false,
  ],
  "anything-but list, baseball": [
    "STRINGS",
    { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
    interests(str("baseball")),
    true,
  ],
  "anything-but list, football": [
    "STRINGS",
    { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
    interests(str("football")),
    true,
  ],
  "anything-but list, a listed value": [
    "STRINGS",
    { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
    interests(str("rugby")),
    false,
  ],
  // (rule) "For String.Array type attributes, it matches if none of the array elements are listed".
  "anything-but list, String.Array with a listed element (rule)": [
    "STRINGS",
    { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
    interests(arr(["rugby", "baseball"])),
    false,
  ],
  "anything-but list, String.Array with none listed (rule)": [
    "STRINGS",
    { customer_interests: [{ "anything-but": ["rugby", "tennis"] }] },
    interests(arr(["baseball", "football"])),
    true,
  ],
  "anything-but prefix, data-entry": [
    "STRINGS",
    { event: [{ "anything-but": { prefix: "order-" } }] },
    { event: str("data-entry") },
    true,
  ],
  "anything-but prefix, order_number": [
    "STRINGS",
    { event: [{ "anything-but": { prefix: "order-" } }] },
    { event: str("order_number") },
    true,
  ],
  "anything-but prefix, order-cancelled": [
    "STRINGS",
    { event: [{ "anything-but": { prefix: "order-" } }] },
    { event: str("order-cancelled") },
    false,
  ],
  "prefix, baseball": [
    "STRINGS",
    { customer_interests: [{ prefix: "bas" }] },
    interests(str("baseball")),
    true,
  ],
  "prefix, basketball": [
    "STRINGS",
    { customer_interests: [{ prefix: "bas" }] },
    interests(str("basketball")),
    true,
  ],
  "prefix, rugby": ["STRINGS", { customer_interests: [{ prefix: "bas" }] }, interests(str("rugby")), false],
  "suffix, baseball": [
    "STRINGS",
    { customer_interests: [{ suffix: "ball" }] },
    interests(str("baseball")),
    true,
  ],
  "suffix, rugby": ["STRINGS", { customer_interests: [{ suffix: "ball" }] }, interests(str("rugby")), false],
  "equals-ignore-case, TENNIS": [
    "STRINGS",
    { customer_interests: [{ "equals-ignore-case": "tennis" }] },
    interests(str("TENNIS")),
    true,
  ],
  "equals-ignore-case, baseball": [
    "STRINGS",
    { customer_interests: [{ "equals-ignore-case": "tennis" }] },
    interests(str("baseball")),
    false,
  ],
  "cidr, first address": [
    "STRINGS",
    { source_ip: [{ cidr: "10.0.0.0/24" }] },
    { source_ip: str("10.0.0.0") },
    true,
  ],
  "cidr, last address": [
    "STRINGS",
    { source_ip: [{ cidr: "10.0.0.0/24" }] },
    { source_ip: str("10.0.0.255") },
    true,
  ],
  "cidr, outside": [
    "STRINGS",
    { source_ip: [{ cidr: "10.0.0.0/24" }] },
    { source_ip: str("10.1.1.0") },
    false,
  ],
  "string matching is case-sensitive": [
    "CONSTRAINTS",
    { customer_interests: ["rugby"] },
    interests(str("Rugby")),
    false,
  ],

  // Numeric matching.
  "numeric =, 301.5": [
    "NUMBERS",
    { price_usd: [{ numeric: ["=", 301.5] }] },
    { price_usd: num("301.5") },
    true,
  ],
  "numeric =, 3.015e2": [
    "NUMBERS",
    { price_usd: [{ numeric: ["=", 301.5] }] },
    { price_usd: num("3.015e2") },
    true,
  ],
  "numeric anything-but, 101": [
    "NUMBERS",
    { price: [{ "anything-but": [100, 500] }] },
    { price: num("101") },
    true,
  ],
  "numeric anything-but, 100.1": [
    "NUMBERS",
    { price: [{ "anything-but": [100, 500] }] },
    { price: num("100.1") },
    true,
  ],
  "numeric anything-but, 100": [
    "NUMBERS",
    { price: [{ "anything-but": [100, 500] }] },
    { price: num("100") },
    false,
  ],
  "numeric < 0, negative (rule)": [
    "NUMBERS",
    { price_usd: [{ numeric: ["<", 0] }] },
    { price_usd: num("-1") },
    true,
  ],
  "numeric < 0, zero (rule)": [
    "NUMBERS",
    { price_usd: [{ numeric: ["<", 0] }] },
    { price_usd: num("0") },
    false,
  ],
  "numeric range, 150 included (rule)": [
    "NUMBERS",
    { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
    { price_usd: num("150") },
    true,
  ],
  "numeric range, 0 excluded (rule)": [
    "NUMBERS",
    { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
    { price_usd: num("0") },
    false,
  ],
  "numeric range, above 150 (rule)": [
    "NUMBERS",
    { price_usd: [{ numeric: [">", 0, "<=", 150] }] },
    { price_usd: num("150.5") },
    false,
  ],

  // AND / OR.
  "AND: both match": [
    "AND_OR",
    { customer_interests: ["rugby"], price_usd: [{ numeric: [">", 100] }] },
    { customer_interests: str("rugby"), price_usd: num("101") },
    true,
  ],
  "AND: one does not": [
    "AND_OR",
    { customer_interests: ["rugby"], price_usd: [{ numeric: [">", 100] }] },
    { customer_interests: str("rugby"), price_usd: num("100") },
    false,
  ],
  "OR within one attribute": [
    "AND_OR",
    { customer_interests: ["rugby", "football", "baseball"] },
    interests(str("football")),
    true,
  ],
  "$or: source and metricName": [
    "AND_OR",
    { source: ["aws.cloudwatch"], $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }] },
    { source: str("aws.cloudwatch"), metricName: str("CPUUtilization") },
    true,
  ],
  "$or: source and namespace": [
    "AND_OR",
    { source: ["aws.cloudwatch"], $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }] },
    { source: str("aws.cloudwatch"), namespace: str("AWS/EC2") },
    true,
  ],
  "$or: source alone": [
    "AND_OR",
    { source: ["aws.cloudwatch"], $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }] },
    { source: str("aws.cloudwatch") },
    false,
  ],
  "$or: both branches but no source": [
    "AND_OR",
    { source: ["aws.cloudwatch"], $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }] },
    { metricName: str("CPUUtilization"), namespace: str("AWS/EC2") },
    false,
  ],

  // Cross-type: SNS compares String and String.Array attributes as strings, Number attributes
  // numerically, and ignores Binary attributes (CONSTRAINTS, "Policy constraints for
  // attribute-based filtering"; strings are quoted in a policy, numbers are not: STRINGS, NUMBERS).
  "a quoted value never equals a Number attribute (rule)": [
    "CONSTRAINTS",
    { size: ["2048"] },
    { size: num("2048") },
    false,
  ],
  "a number never equals a String attribute (rule)": [
    "CONSTRAINTS",
    { size: [2048] },
    { size: str("2048") },
    false,
  ],
  "a number equals a Number attribute (rule)": [
    "CONSTRAINTS",
    { size: [2048] },
    { size: num("2.048e3") },
    true,
  ],
  "numeric never matches a String attribute (rule)": [
    "CONSTRAINTS",
    { size: [{ numeric: [">", 1024] }] },
    { size: str("2048") },
    false,
  ],
  "prefix never matches a Number attribute (rule)": [
    "CONSTRAINTS",
    { size: [{ prefix: "20" }] },
    { size: num("2048") },
    false,
  ],
  "a Binary attribute is ignored, so it does not exist (rule)": [
    "CONSTRAINTS",
    { store: [{ exists: true }] },
    { store: { Type: "Binary", Value: "AAEC" } },
    false,
  ],
};

describe("local filter policies agree with SNS's documentation", () => {
  it.each(Object.entries(cases))("%s", (_name, [_page, policy, attributes, delivered]) => {
    validateFilterPolicy(policy);

    expect(matchesFilterPolicy(policy, attributes)).toBe(delivered);
  });

  it("reads $or as an attribute name when a branch uses a reserved keyword (AND_OR)", () => {
    expect(isOrOperator("$or", [{ numeric: 123 }, { prefix: "abc" }])).toBe(false);
    expect(isOrOperator("$or", [{ metricName: ["CPUUtilization"] }])).toBe(false);
    expect(isOrOperator("$or", [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }])).toBe(true);
  });
});
