import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle, extractZip } from "@sluice/bundler";
import { parseEvent } from "@sluice/core";
import { s3Notification, sqsBatch } from "../unit/aws-events";

/** One SNS Publish request as the fake endpoint saw it (AWS query protocol, form-encoded). */
interface PublishRequest {
  params: URLSearchParams;
}

/** A stand-in SNS endpoint on localhost that records Publish calls and answers like SNS. */
function startFakeSns(): Promise<{ server: Server; url: string; requests: PublishRequest[] }> {
  const requests: PublishRequest[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      requests.push({ params: new URLSearchParams(body) });
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
          `<MessageId>msg-${requests.length}</MessageId></PublishResult>` +
          "<ResponseMetadata><RequestId>req</RequestId></ResponseMetadata></PublishResponse>",
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

function runNode(script: string, env: Record<string, string>, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err += c;
    });
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe("the listener Lambda zip", () => {
  let workdir: string;

  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), "sluice-listener-zip-"));
  });

  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it("runs on its own, extracted outside the repository: reads its contracts and publishes to SNS", async () => {
    const built = await bundle({
      entry: join(__dirname, "..", "..", "src", "handler.ts"),
      name: "listener",
      cwd: join(__dirname, "..", ".."),
      outdir: join(workdir, "dist"),
      contracts: true,
    });
    const taskRoot = join(workdir, "task");
    await extractZip(built.zip!, taskRoot);
    const eventFile = join(workdir, "event.json");
    writeFileSync(
      eventFile,
      JSON.stringify(sqsBatch([JSON.stringify(s3Notification({ key: "orders/2026/11/o.csv", size: 12 }))])),
    );
    const sns = await startFakeSns();

    try {
      const output = await runNode(
        [
          `import { readFileSync } from "node:fs";`,
          `const { handler } = await import("./index.mjs");`,
          `const result = await handler(JSON.parse(readFileSync(${JSON.stringify(eventFile)}, "utf8")));`,
          "process.stdout.write(JSON.stringify(result));",
        ].join("\n"),
        {
          SLUICE_EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:sluice-test-events",
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_ENDPOINT_URL_SNS: sns.url,
          POWERTOOLS_LOG_LEVEL: "SILENT",
        },
        taskRoot,
      );

      expect(JSON.parse(output)).toEqual({ batchItemFailures: [] });
      expect(sns.requests).toHaveLength(1);
      const params = sns.requests[0]!.params;
      expect(params.get("Action")).toBe("Publish");
      expect(params.get("TopicArn")).toBe("arn:aws:sns:us-east-1:000000000000:sluice-test-events");
      expect(parseEvent(params.get("Message")!).data).toMatchObject({ dataset: "orders", route: "lambda" });
      expect(params.get("MessageAttributes.entry.1.Name")).toBe("type");
      expect(params.get("MessageAttributes.entry.1.Value.StringValue")).toBe("sluice.object.received");
    } finally {
      sns.server.close();
    }
    // esbuild, zip and a fresh node process: seconds alone, far more on a loaded 2-core machine.
  }, 120_000);
});
