import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ENV, parseEvent } from "@sluice/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { s3Notification, sqsBatch } from "./aws-events";

describe("src/handler.ts (the Lambda entry, wired from the environment)", () => {
  const sns = mockClient(SNSClient);
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
    jest.resetModules();
  });

  it("publishes to the topic named by SLUICE_EVENTS_TOPIC_ARN through a module-scope SNS client", async () => {
    process.env[ENV.eventsTopicArn] = "arn:aws:sns:eu-west-1:123456789012:from-env";
    process.env.AWS_REGION = "eu-west-1";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const { handler } = await import("../../src/handler");

    const response = await handler(
      sqsBatch([JSON.stringify(s3Notification({ key: "ledger/gl-2026-11.dat", size: 64 }))]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe("arn:aws:sns:eu-west-1:123456789012:from-env");
    expect(parseEvent(input.Message!).data).toMatchObject({ dataset: "ledger" });
  });

  it("caps the lambda route at SLUICE_LAMBDA_ROUTE_MAX_BYTES", async () => {
    process.env[ENV.eventsTopicArn] = "arn:aws:sns:eu-west-1:123456789012:from-env";
    process.env[ENV.lambdaRouteMaxBytes] = "1000";
    process.env.AWS_REGION = "eu-west-1";
    process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
    // After a module reset the handler gets a fresh SDK module: mock the class it will use.
    const fresh = await import("@aws-sdk/client-sns");
    const freshSns = mockClient(fresh.SNSClient);
    freshSns.on(fresh.PublishCommand).resolves({ MessageId: "m" });
    const { handler } = await import("../../src/handler");

    const response = await handler(
      sqsBatch([JSON.stringify(s3Notification({ key: "orders/2026/11/a.csv", size: 1001 }))]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const input = freshSns.commandCalls(fresh.PublishCommand)[0]!.args[0].input;
    expect(parseEvent(input.Message!).data).toMatchObject({ dataset: "orders", route: "container" });
  });

  it("fails at load, naming the variable, when the topic is not configured", async () => {
    delete process.env[ENV.eventsTopicArn];

    await expect(import("../../src/handler")).rejects.toThrow(ENV.eventsTopicArn);
  });
});
