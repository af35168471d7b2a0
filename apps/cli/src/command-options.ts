import { ConfigError } from "@sluice/core";
import { type Command, Option } from "commander";

/** Default `--timeout` of commands that wait for the pipeline to drain, in seconds. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 600;

/** `--timeout <seconds>` of the commands that wait for the pipeline; its value is in milliseconds. */
export function timeoutOption(): Option {
  // Help shows the default in seconds, as it is typed: (default: "600").
  return new Option("--timeout <seconds>", "give up waiting after this long")
    .argParser(parseSeconds)
    .default(DEFAULT_DRAIN_TIMEOUT_SECONDS * 1000, JSON.stringify(String(DEFAULT_DRAIN_TIMEOUT_SECONDS)));
}

/** Parses `--timeout` seconds into milliseconds. */
export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ConfigError(`--timeout ${value} is not a number of seconds`);
  return seconds * 1000;
}

/** Parses a whole number option (`--limit`, `--sample-bytes`): 0 or more. */
export function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 0) throw new ConfigError(`${value} is not a whole number`);
  return count;
}

/** The options that point a read command at a deployed environment instead of the state directory. */
export function withAwsOptions(command: Command): Command {
  return command
    .option(
      "--aws",
      "read the deployed environment (events archive, ledger, SQS DLQs), not the state directory",
    )
    .option(
      "--env <stack>",
      "a deployed stack (dev, prod): its `terraform output -json` says where everything is",
    )
    .option(
      "--stacks-dir <dir>",
      "folder of the synthesised stacks, for --env",
      "infrastructure/cdktf.out/stacks",
    )
    .option("--outputs <file>", "a saved `terraform output -json` of the stack")
    .option("--archive <s3-url>", "the events archive, s3://bucket/prefix (output events_archive_url)")
    .option("--region <region>", "AWS region (default: the outputs' region, then the SDK's)")
    .option(
      "--dlq-url <url>",
      "a dead-letter queue URL (repeatable)",
      (url: string, urls: string[]) => [...urls, url],
      [] as string[],
    )
    .option("--dlq-prefix <prefix>", "also look at every queue named <prefix>…-dlq, e.g. sluice-dev-");
}

/** The options named in `keys` that were given (exactOptionalPropertyTypes: absent, not undefined). */
export function definedOf<O extends object, K extends keyof O>(
  opts: O,
  keys: readonly K[],
): Partial<Pick<O, K>> {
  const given: Partial<Pick<O, K>> = {};
  for (const key of keys) if (opts[key] !== undefined) given[key] = opts[key];
  return given;
}
