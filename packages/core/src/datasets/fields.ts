import * as z from "zod/mini";
import "../zod-config";
import { timeFormatProblems } from "./time-format";

/** Column types a contract can declare, and the Postgres type each loads as. */
export const FIELD_TYPES = {
  string: "text",
  integer: "bigint",
  decimal: "numeric",
  boolean: "boolean",
  date: "date",
  timestamp: "timestamptz",
  /** A value that stays nested (an object, an array, or any JSON value), stored as `jsonb`. */
  json: "jsonb",
} as const;

/** One of the keys of {@link FIELD_TYPES}. */
export type FieldType = keyof typeof FIELD_TYPES;

/** The words a boolean field reads as true unless it gives its own `trueValues`. */
export const DEFAULT_TRUE_VALUES: readonly string[] = [
  "true",
  "t",
  "yes",
  "y",
  "1",
  "TRUE",
  "True",
  "T",
  "YES",
  "Yes",
  "Y",
];
/** The words a boolean field reads as false unless it gives its own `falseValues`. */
export const DEFAULT_FALSE_VALUES: readonly string[] = [
  "false",
  "f",
  "no",
  "n",
  "0",
  "FALSE",
  "False",
  "F",
  "NO",
  "No",
  "N",
];

/** A lower-case SQL identifier: the names of fields, tables and datasets. */
export const identifier = z
  .string()
  .check(
    z.regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      "must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)",
    ),
  );
/** A string of at least one character. */
export const nonEmpty = () => z.string().check(z.minLength(1));
/** An integer above zero. */
export const positiveInt = () => z.int().check(z.positive());

/** Text tokens a value may be written as (null tokens, boolean words). */
const tokens = () => z.array(z.string()).check(z.minLength(1));

/** One field of a contract, as written in its JSON file. */
export const fieldSchema = z
  .strictObject({
    name: identifier,
    type: z.enum(Object.keys(FIELD_TYPES) as [FieldType, ...FieldType[]]),
    required: z._default(z.boolean(), false),
    enum: z.optional(z.array(z.string()).check(z.minLength(1))),
    min: z.optional(z.number()),
    max: z.optional(z.number()),
    pattern: z.optional(z.string()),
    maxLength: z.optional(positiveInt()),
    /** Decimal scale: digits kept after the point (values with more are rejected). */
    scale: z.optional(z.int().check(z.minimum(0), z.maximum(30))),
    /** Decimal precision: total significant digits (the column becomes `numeric(precision, scale)`). */
    precision: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    /**
     * Where the value is in the source: a CSV column name when it differs from `name`, or for
     * JSON, NDJSON and Parquet a dot path into the record (`properties.mag`).
     */
    source: z.optional(nonEmpty()),
    /**
     * How a date or timestamp is written: a pattern (`%b %d %Y`, `%Y/%m/%d %H:%M:%S`; the language
     * is documented in `time-format.ts`) or `unix` / `unix_ms`. Without it, ISO 8601
     * (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm]`).
     */
    format: z.optional(nonEmpty()),
    /** Text that means NULL in this field; overrides the contract's `nullValues`. */
    nullValues: z.optional(z.array(z.string())),
    /**
     * Words that mean true / false in a boolean field, compared case as written, whitespace around
     * the value ignored; by default {@link DEFAULT_TRUE_VALUES} / {@link DEFAULT_FALSE_VALUES}.
     */
    trueValues: z.optional(tokens()),
    falseValues: z.optional(tokens()),
    /** Strip leading and trailing whitespace before anything else; overrides the contract's `trim`. */
    trim: z.optional(z.boolean()),
  })
  .check(
    z.superRefine((field, ctx) => {
      if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
        ctx.addIssue({
          code: "custom",
          message: `min ${field.min} is greater than max ${field.max}`,
          path: ["min"],
        });
      }
      if (field.pattern !== undefined) {
        try {
          new RegExp(field.pattern);
        } catch {
          ctx.addIssue({
            code: "custom",
            message: `pattern ${field.pattern} is not a valid regular expression`,
            path: ["pattern"],
          });
        }
      }
      if ((field.precision !== undefined || field.scale !== undefined) && field.type !== "decimal") {
        ctx.addIssue({
          code: "custom",
          message: `precision/scale apply to type decimal, not ${field.type}`,
          path: [field.precision !== undefined ? "precision" : "scale"],
        });
      }
      if (field.precision !== undefined && (field.scale ?? 0) > field.precision) {
        ctx.addIssue({
          code: "custom",
          message: `scale ${field.scale} is greater than precision ${field.precision}`,
          path: ["scale"],
        });
      }
      if (
        (field.min !== undefined || field.max !== undefined) &&
        !["integer", "decimal"].includes(field.type)
      ) {
        ctx.addIssue({
          code: "custom",
          message: `min/max do not apply to type ${field.type}`,
          path: ["min"],
        });
      }
      if (field.format !== undefined) {
        if (field.type !== "date" && field.type !== "timestamp") {
          ctx.addIssue({
            code: "custom",
            message: `format applies to date and timestamp fields, not ${field.type}`,
            path: ["format"],
          });
        } else {
          for (const problem of timeFormatProblems(field.format, field.type))
            ctx.addIssue({
              code: "custom",
              message: `field ${field.name}: format ${JSON.stringify(field.format)}: ${problem}`,
              path: ["format"],
            });
        }
      }
      for (const key of ["trueValues", "falseValues"] as const) {
        if (field[key] !== undefined && field.type !== "boolean")
          ctx.addIssue({
            code: "custom",
            message: `${key} apply to boolean fields, not ${field.type}`,
            path: [key],
          });
      }
      if (field.trueValues !== undefined || field.falseValues !== undefined) {
        const falseWords = field.falseValues ?? DEFAULT_FALSE_VALUES;
        const both = (field.trueValues ?? DEFAULT_TRUE_VALUES).filter((word) => falseWords.includes(word));
        if (both.length > 0)
          ctx.addIssue({
            code: "custom",
            message: `${both.join(", ")} cannot mean both true and false (give both trueValues and falseValues)`,
            path: [field.falseValues !== undefined ? "falseValues" : "trueValues"],
          });
      }
      if (
        field.type === "json" &&
        (field.enum !== undefined || field.pattern !== undefined || field.maxLength !== undefined)
      )
        ctx.addIssue({
          code: "custom",
          message: "enum, pattern and maxLength do not apply to json fields",
          path: ["type"],
        });
    }),
  );
