import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { S3ObjectStore } from "@sluice/aws";
import { type LocalS3, startLocalS3 } from "@sluice/aws/testing";
import { createLoadTarget } from "@sluice/loader";
import { EventJournal, localStateLayout } from "@sluice/local";
import {
  EXIT,
  type RunStatus,
  readAwsStatus,
  readLocalStatus,
  resolveAwsLocation,
  runCli,
  samplesDir,
} from "../../src";
import { runsTable } from "../../src/report/runs-text";
import { ARCHIVE_BUCKET, archiveJournal } from "../support/aws-archive";
import {
  bufferIo,
  DRAIN_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  expectedSamples,
  startRuntime,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const postgres = testDatabases("awsstatus").filter((database) => database.kind === "Postgres");
const describeOnPostgres = postgres.length > 0 ? describe : describe.skip;

describeOnPostgres(
  "sluice status from a deployed environment's data (events archive in S3 + Postgres ledger)",
  () => {
    const database = postgres[0]!;
    let stateDir: string;
    let cleanup: () => Promise<void>;
    let databaseUrl: string;
    let s3: LocalS3;

    beforeAll(async () => {
      ({ dir: stateDir, cleanup } = await tempStateDir());
      databaseUrl = await database.create(stateDir);
      s3 = await startLocalS3([ARCHIVE_BUCKET]);
      const runtime = await startRuntime({ stateDir, databaseUrl });
      try {
        for (const key of Object.keys(expectedSamples()))
          await runtime.ingest(key, createReadStream(join(samplesDir(), "raw", key)));
        expect(await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS })).toBe(true);
      } finally {
        await runtime.close();
      }
    });

    afterAll(async () => {
      await s3?.stop();
      await database.drop(databaseUrl);
      await cleanup();
    });

    it("gives the same status as the local journal, ledger and DLQs for the same events and ledger", async () => {
      const local = await readLocalStatus({ stateDir, databaseUrl }, () => undefined);
      const entries = await new EventJournal(localStateLayout(stateDir).journalFile).readAll();
      await archiveJournal(new S3ObjectStore(s3.client), entries);
      const target = createLoadTarget(databaseUrl);

      let deployed: RunStatus[];
      try {
        deployed = await readAwsStatus(
          { archive: { bucket: ARCHIVE_BUCKET, prefix: "events/" }, deadLetterQueueUrls: {} },
          { s3: s3.client, sqs: new SQSClient({ region: "eu-west-1" }) },
          { target },
        );
      } finally {
        await target.close();
      }

      expect(Object.fromEntries(local.map((run) => [run.key, run.state]))).toEqual(expectedSamples());
      expect(local.every((run) => run.state !== "loaded" || run.ledger?.status === "loaded")).toBe(true);
      expect(deployed).toEqual(local);
      expect(runsTable(deployed)).toBe(runsTable(local));
    });

    it("without the ledger still tells every run from the archive alone", async () => {
      const deployed = await readAwsStatus(
        { archive: { bucket: ARCHIVE_BUCKET, prefix: "events/" }, deadLetterQueueUrls: {} },
        { s3: s3.client, sqs: new SQSClient({ region: "eu-west-1" }) },
      );

      expect(Object.fromEntries(deployed.map((run) => [run.key, run.state]))).toEqual(expectedSamples());
      expect(deployed.every((run) => run.ledger === undefined)).toBe(true);
    });
  },
);

describe("resolveAwsLocation", () => {
  it("reads the archive, region and dead-letter queues from a saved `terraform output -json`", async () => {
    const { dir, cleanup } = await tempStateDir();
    try {
      const file = join(dir, "dev.json");
      await writeFile(
        file,
        JSON.stringify({
          events_archive_url: { sensitive: false, type: "string", value: `s3://${ARCHIVE_BUCKET}/events/` },
          region: { sensitive: false, type: "string", value: "eu-west-1" },
          dead_letter_queue_urls: {
            sensitive: false,
            type: ["object", {}],
            value: { "loader-dlq": "https://sqs.eu-west-1.amazonaws.com/111111111111/sluice-dev-loader-dlq" },
          },
        }),
      );

      const location = await resolveAwsLocation({
        outputs: file,
        dlqUrl: ["https://sqs.eu-west-1.amazonaws.com/111111111111/other-dlq"],
      });

      expect(location).toEqual({
        archive: { bucket: ARCHIVE_BUCKET, prefix: "events/" },
        region: "eu-west-1",
        deadLetterQueueUrls: {
          "loader-dlq": "https://sqs.eu-west-1.amazonaws.com/111111111111/sluice-dev-loader-dlq",
          "other-dlq": "https://sqs.eu-west-1.amazonaws.com/111111111111/other-dlq",
        },
      });
    } finally {
      await cleanup();
    }
  });

  it("refuses to guess when no archive is named", async () => {
    await expect(resolveAwsLocation({ region: "eu-west-1" })).rejects.toThrow(
      /--archive s3:\/\/bucket\/prefix/,
    );
  });
});

describe("sluice status / dlq against AWS on the command line", () => {
  it.each([
    [["status", "--aws", "--region", "eu-west-1"]],
    [["dlq", "list", "--aws", "--region", "eu-west-1"]],
  ])("exits with a usage error naming the missing archive: %j", async (argv) => {
    const io = bufferIo();

    const code = await runCli(argv, io);

    expect(code).toBe(EXIT.usage);
    expect(io.stderr.join("")).toMatch(/no events archive: pass --archive/);
  });
});
