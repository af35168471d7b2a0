import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { S3ObjectStore } from "@sluice/aws";
import { type LocalS3, startLocalS3 } from "@sluice/aws/testing";
import { EventJournal, LocalObjectStore, localStateLayout } from "@sluice/local";
import { collectRejects, EXIT, readAwsStatus, resolveAwsLocation, selectRuns } from "../../src";
import { ARCHIVE_BUCKET, archiveJournal } from "../support/aws-archive";
import { cliWith, E2E_TEST_TIMEOUT_MS, tempStateDir, writeContracts } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const STAGING_BUCKET = "sluice-dev-staging-111111111111";
const LOCAL_STAGING_BUCKET = "sluice-staging";

describe("sluice rejects from a deployed environment's data (events archive and staging bucket in S3)", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let s3: LocalS3;
  const cli = cliWith(() => ["--state-dir", join(root, "state"), "--contracts", join(root, "contracts")]);

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempStateDir());
    s3 = await startLocalS3([ARCHIVE_BUCKET, STAGING_BUCKET]);
    await writeContracts(join(root, "contracts"), {
      name: "readings",
      version: 1,
      match: { prefix: "readings/" },
      format: { type: "csv" },
      fields: [{ name: "reading_id", type: "integer", required: true }],
      primaryKey: ["reading_id"],
      load: { onDuplicateKey: "reject" },
      table: "readings",
      quarantine: { maxBadRowRatio: 1 },
    });
    await mkdir(join(root, "inbox", "readings"), { recursive: true });
    await writeFile(join(root, "inbox", "readings", "a.csv"), "reading_id\n1\nx\n1\n2\n");
    expect((await cli("run", join(root, "inbox"))).code).toBe(EXIT.ok);
    // What the deployed pipeline would hold: the events in the archive, the run's files in the staging bucket.
    const layout = localStateLayout(join(root, "state"));
    const store = new S3ObjectStore(s3.client);
    await archiveJournal(store, await new EventJournal(layout.journalFile).readAll());
    const local = new LocalObjectStore({ rootDir: layout.bucketsDir });
    for await (const object of local.list(LOCAL_STAGING_BUCKET, ""))
      await store.put(STAGING_BUCKET, object.key, await local.get(LOCAL_STAGING_BUCKET, object.key));
  });
  afterAll(async () => {
    await s3?.stop();
    await cleanup();
  });

  it("lists the same rejected rows as the state directory, read through S3", async () => {
    const local = JSON.parse((await cli("rejects", "readings/a.csv", "--json")).out);
    const runs = await readAwsStatus(
      { archive: { bucket: ARCHIVE_BUCKET, prefix: "events/" }, deadLetterQueueUrls: {} },
      { s3: s3.client, sqs: new SQSClient({ region: "eu-west-1" }) },
    );

    const deployed = await collectRejects(
      selectRuns(runs, "readings/a.csv"),
      new S3ObjectStore(s3.client),
      STAGING_BUCKET,
      1000,
    );

    expect(local).toHaveLength(1);
    expect(local[0].counts).toEqual({ transform: 1, loader: 1 });
    expect(deployed.map(({ run, rejects }) => ({ ...rejects, state: run.state }))).toEqual(
      local.map((run: { files: string[] }) => ({
        ...run,
        files: run.files.map((file) => file.replace(LOCAL_STAGING_BUCKET, STAGING_BUCKET)),
      })),
    );
  });

  it("takes the staging bucket from the stack's outputs, and refuses to guess without one", async () => {
    const outputs = join(root, "dev-outputs.json");
    await writeFile(
      outputs,
      JSON.stringify({
        events_archive_url: { value: `s3://${ARCHIVE_BUCKET}/events/` },
        staging_bucket: { value: STAGING_BUCKET },
      }),
    );

    const location = await resolveAwsLocation({ outputs });
    const refused = await cli("rejects", "readings/a.csv", "--archive", `s3://${ARCHIVE_BUCKET}/events/`);

    expect(location.stagingBucket).toBe(STAGING_BUCKET);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.err).toContain("no staging bucket: pass --staging-bucket");
  });
});
