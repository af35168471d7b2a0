import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type EventArchiveLocation,
  findDeadLetterQueues,
  parseArchiveUrl,
  queueNameOf,
  readEventArchive,
  S3ObjectStore,
  type SkippedArchiveLine,
  SqsDeadLetterQueue,
} from "@sluice/aws";
import { ConfigError, type LoadTarget, type ObjectStore } from "@sluice/core";
import { createLoadTarget, isServerUrl } from "@sluice/loader";
import type { JournalEntry } from "@sluice/local";
import {
  collectRunStatuses,
  ledgerUnavailableNote,
  type RunStatus,
  type StatusSources,
} from "./object-status";

/** Where a deployed environment keeps what status reads (the stack's Terraform outputs). */
export interface AwsStatusLocation {
  /** The events archive (`events_archive_url`). */
  archive: EventArchiveLocation;
  region?: string;
  /** Dead-letter queue URL by the name people see, e.g. `loader-dlq` (`dead_letter_queue_urls`). */
  deadLetterQueueUrls: Record<string, string>;
  /** Or find them: every queue whose name starts with this and ends with `-dlq`. */
  deadLetterQueuePrefix?: string;
  /** The staging bucket, where each run's rejects files are (`staging_bucket`). */
  stagingBucket?: string;
}

/** The command line options that point the CLI at a deployed environment. */
export interface AwsOptions {
  /** A stack name: read its outputs with `terraform output -json` in its synthesised folder. */
  env?: string;
  /** Folder of the synthesised stacks (default `infrastructure/cdktf.out/stacks`). */
  stacksDir?: string;
  /** A file holding `terraform output -json`. */
  outputs?: string;
  /** `s3://bucket/prefix` of the events archive. */
  archive?: string;
  region?: string;
  dlqUrl?: string[];
  dlqPrefix?: string;
  /** The staging bucket (default: the outputs' `staging_bucket`). */
  stagingBucket?: string;
}

/** True when any option asks for the deployed environment instead of the local state directory. */
export function wantsAws(options: AwsOptions & { aws?: boolean }): boolean {
  return Boolean(options.aws || options.env || options.outputs || options.archive);
}

/** The values of `terraform output -json` (each output is `{ value, type, sensitive }`). */
export function locationFromOutputs(outputs: unknown): Partial<AwsStatusLocation> {
  const outputValue = (name: string): unknown =>
    typeof outputs === "object" && outputs !== null
      ? (outputs as Record<string, { value?: unknown } | undefined>)[name]?.value
      : undefined;
  const location: Partial<AwsStatusLocation> = {};
  const archive = outputValue("events_archive_url");
  if (typeof archive === "string") location.archive = parseArchiveUrl(archive);
  const stagingBucket = outputValue("staging_bucket");
  if (typeof stagingBucket === "string") location.stagingBucket = stagingBucket;
  const region = outputValue("region");
  if (typeof region === "string") location.region = region;
  const queues = outputValue("dead_letter_queue_urls");
  if (typeof queues === "object" && queues !== null) {
    location.deadLetterQueueUrls = Object.fromEntries(
      Object.entries(queues).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  }
  return location;
}

/**
 * Resolves where to read from: the stack's outputs (`--env` runs `terraform output -json` in the
 * stack's folder, `--outputs` reads a saved copy), then the explicit options over them.
 * @throws ConfigError when no events archive is named.
 */
export async function resolveAwsLocation(options: AwsOptions): Promise<AwsStatusLocation> {
  let fromOutputs: Partial<AwsStatusLocation> = {};
  if (options.outputs) {
    const text = await readFile(options.outputs, "utf8").catch((cause: unknown) => {
      throw new ConfigError(`cannot read --outputs ${options.outputs}: ${messageOf(cause)}`);
    });
    fromOutputs = locationFromOutputs(parseJson(text, `--outputs ${options.outputs}`));
  } else if (options.env) {
    fromOutputs = locationFromOutputs(await terraformOutputs(options.env, options.stacksDir));
  }
  const archive = options.archive ? parseArchiveUrl(options.archive) : fromOutputs.archive;
  if (!archive)
    throw new ConfigError("no events archive: pass --archive s3://bucket/prefix, --outputs or --env");
  const deadLetterQueueUrls = { ...fromOutputs.deadLetterQueueUrls };
  for (const url of options.dlqUrl ?? []) deadLetterQueueUrls[queueNameOf(url)] = url;
  const location: AwsStatusLocation = { archive, deadLetterQueueUrls };
  const region = options.region ?? fromOutputs.region;
  if (region) location.region = region;
  if (options.dlqPrefix) location.deadLetterQueuePrefix = options.dlqPrefix;
  const stagingBucket = options.stagingBucket ?? fromOutputs.stagingBucket;
  if (stagingBucket) location.stagingBucket = stagingBucket;
  return location;
}

async function terraformOutputs(env: string, stacksDir = join("infrastructure", "cdktf.out", "stacks")) {
  const dir = join(stacksDir, env);
  try {
    const { stdout } = await promisify(execFile)("terraform", [`-chdir=${dir}`, "output", "-json"], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return parseJson(stdout, `terraform output in ${dir}`);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(
      `--env ${env}: \`terraform -chdir=${dir} output -json\` failed (deploy the stack first, pass --stacks-dir, or save the outputs and pass --outputs): ${messageOf(cause)}`,
    );
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${what} is not JSON: ${messageOf(cause)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The AWS SDK clients status needs. */
export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
}

/** Clients for `region` (or the SDK's usual region and credential chain). */
export function createAwsClients(region?: string): AwsClients {
  const config = region ? { region } : {};
  return { s3: new S3Client(config), sqs: new SQSClient(config) };
}

/** The dead-letter queues of the deployed environment: named by the outputs, by URL, or found by prefix. */
export async function awsDeadLetterQueues(
  location: AwsStatusLocation,
  sqs: SQSClient,
): Promise<SqsDeadLetterQueue[]> {
  const queues = Object.entries(location.deadLetterQueueUrls).map(
    ([name, url]) => new SqsDeadLetterQueue(sqs, { url, name }),
  );
  if (location.deadLetterQueuePrefix) {
    for (const found of await findDeadLetterQueues(sqs, location.deadLetterQueuePrefix))
      if (!queues.some((queue) => queue.url === found.url)) queues.push(found);
  }
  return queues.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The archived events, oldest first, each SNS message once. Firehose delivers at least once and
 * objects buffered at the same time can interleave, so entries are deduplicated by message id and
 * stably sorted by publication time (the order the local journal has by construction).
 */
export async function readArchivedEvents(
  store: ObjectStore,
  archive: EventArchiveLocation,
  options: { since?: string; onSkipped?: (skipped: SkippedArchiveLine) => void } = {},
): Promise<JournalEntry[]> {
  const seen = new Set<string>();
  const entries: JournalEntry[] = [];
  for await (const entry of readEventArchive(store, archive, options)) {
    if (seen.has(entry.messageId)) continue;
    seen.add(entry.messageId);
    entries.push(entry);
  }
  return entries.sort((a, b) => a.publishedAt.localeCompare(b.publishedAt));
}

/**
 * Every run's status in a deployed environment, from the same three sources as locally: the
 * events archive, the ledger (when a database is given) and the dead-letter queues.
 */
export async function readAwsStatus(
  location: AwsStatusLocation,
  clients: AwsClients,
  options: {
    target?: LoadTarget;
    since?: string;
    onSkipped?: (skipped: SkippedArchiveLine) => void;
    onLedgerUnavailable?: StatusSources["onLedgerUnavailable"];
  } = {},
): Promise<RunStatus[]> {
  const events = await readArchivedEvents(new S3ObjectStore(clients.s3), location.archive, {
    ...(options.since ? { since: options.since } : {}),
    ...(options.onSkipped ? { onSkipped: options.onSkipped } : {}),
  });
  return collectRunStatuses({
    events,
    deadLetterQueues: await awsDeadLetterQueues(location, clients.sqs),
    ...(options.target ? { target: options.target } : {}),
    ...(options.since ? { since: options.since } : {}),
    ...(options.onLedgerUnavailable ? { onLedgerUnavailable: options.onLedgerUnavailable } : {}),
  });
}

/** The dead-letter queues of the deployed environment the options point at. */
export async function deployedDeadLetterQueues(options: AwsOptions): Promise<SqsDeadLetterQueue[]> {
  const location = await resolveAwsLocation(options);
  return awsDeadLetterQueues(location, createAwsClients(location.region).sqs);
}

/**
 * `sluice status` of the deployed environment the options point at: its events archive, its
 * ledger when `databaseUrl` names its Postgres (else status says it goes without), its SQS DLQs.
 * Archive lines that are not Sluice events are counted in a `note` (each named when `verbose`).
 */
export async function readDeployedStatus(
  options: AwsOptions & { since?: string },
  reading: {
    databaseUrl?: string;
    verbose?: boolean;
    note: (text: string) => void;
    /** Where to read, when already resolved from `options`. */
    location?: AwsStatusLocation;
  },
): Promise<RunStatus[]> {
  const { note } = reading;
  const location = reading.location ?? (await resolveAwsLocation(options));
  const clients = createAwsClients(location.region);
  let target: LoadTarget | undefined;
  if (reading.databaseUrl && isServerUrl(reading.databaseUrl)) {
    target = createLoadTarget(reading.databaseUrl);
  } else {
    note("note: no --database-url (Postgres): status shows events and DLQs only, without the ledger");
  }
  let skipped = 0;
  try {
    const runs = await readAwsStatus(location, clients, {
      ...(target ? { target } : {}),
      ...(options.since ? { since: options.since } : {}),
      onLedgerUnavailable: ledgerUnavailableNote(note),
      onSkipped: (line) => {
        skipped += 1;
        if (reading.verbose)
          note(`skipped s3://${location.archive.bucket}/${line.key} line ${line.line}: ${line.reason}`);
      },
    });
    if (skipped > 0)
      note(`note: ${skipped} archive line(s) were not Sluice events and were skipped (-v lists them)`);
    return runs;
  } finally {
    await target?.close();
    clients.s3.destroy();
    clients.sqs.destroy();
  }
}
