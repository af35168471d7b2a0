import { overridesFromEnv } from "../src/app";
import { configFor, type RawDelivery } from "../src/config";
import type { PolicyStatement } from "../src/iam";
import { writePlaceholderBundles } from "./support/bundles";
import { resourcesOf, type SynthesizedStack, synthStack } from "./support/synth";

const bundles = writePlaceholderBundles();
const synthWith = (rawDelivery: RawDelivery): SynthesizedStack =>
  synthStack("dev", { bundles, storage: { ...configFor("dev").storage, rawDelivery } });

/** The statements of the queue policies on the listener's queue. */
function listenerQueueStatements(synth: SynthesizedStack): PolicyStatement[] {
  return resourcesOf(synth, "aws_sqs_queue_policy")
    .filter((policy) => String(policy.queue_url).includes("messaging_listener_queue"))
    .flatMap((policy) => JSON.parse(policy.policy as string).Statement as PolicyStatement[]);
}

describe("new raw objects reach the listener's queue", () => {
  it("by an S3 notification by default, which only the raw bucket may send", () => {
    const synth = synthWith("s3-notification");

    expect(configFor("dev").storage.rawDelivery).toBe("s3-notification");
    expect(configFor("prod").storage.rawDelivery).toBe("s3-notification");
    expect(resourcesOf(synth, "aws_s3_bucket_notification")).toEqual([
      expect.objectContaining({
        queue: [
          { events: ["s3:ObjectCreated:*"], queue_arn: expect.stringMatching(/messaging_listener_queue/) },
        ],
      }),
    ]);
    expect(listenerQueueStatements(synth)).toEqual([
      expect.objectContaining({
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: {
          ArnEquals: { "aws:SourceArn": expect.stringMatching(/aws_s3_bucket\.storage_raw_bucket.*\.arn/) },
          StringEquals: { "aws:SourceAccount": "111111111111" },
        },
      }),
    ]);
    // The only rule is the stopped tasks' (messaging.ts): none for raw objects.
    expect(resourcesOf(synth, "aws_cloudwatch_event_rule").map((rule) => rule.name)).toEqual([
      "sluice-dev-task-stopped",
    ]);
  });

  it("or through EventBridge: the bucket sends its events there, a rule on its Object Created events targets the queue", () => {
    const synth = synthWith("eventbridge");

    const [notification, ...others] = resourcesOf(synth, "aws_s3_bucket_notification");
    expect(others).toEqual([]);
    expect(notification).toEqual({
      bucket: expect.stringMatching(/storage_raw_bucket.*\.id/),
      eventbridge: true,
    });
    const rule = resourcesOf(synth, "aws_cloudwatch_event_rule").find(
      (candidate) => candidate.name === "sluice-dev-raw-object-created",
    );
    expect(JSON.parse(rule!.event_pattern as string)).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [expect.stringMatching(/aws_s3_bucket\.storage_raw_bucket.*\.bucket/)] } },
    });
    const rawTargets = resourcesOf(synth, "aws_cloudwatch_event_target").filter(
      (target) => target.target_id !== "launcher-queue",
    );
    expect(rawTargets).toEqual([
      {
        rule: expect.stringMatching(/aws_cloudwatch_event_rule\.messaging_raw-object-created.*\.name/),
        target_id: "listener-queue",
        arn: expect.stringMatching(/aws_sqs_queue\.messaging_listener_queue.*\.arn/),
        depends_on: [
          expect.stringMatching(/aws_sqs_queue_policy\.messaging_listener-from-raw-object-created-policy/),
        ],
      },
    ]);
    // Only the rule may send to the listener's queue; the bucket no longer may.
    expect(listenerQueueStatements(synth)).toEqual([
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Condition: {
          ArnEquals: {
            "aws:SourceArn": expect.stringMatching(
              /aws_cloudwatch_event_rule\.messaging_raw-object-created.*\.arn/,
            ),
          },
          StringEquals: { "aws:SourceAccount": "111111111111" },
        },
      }),
    ]);
  });

  it("is chosen per environment at deploy time with SLUICE_<ENV>_RAW_DELIVERY", () => {
    const overrides = overridesFromEnv({ SLUICE_PROD_RAW_DELIVERY: "eventbridge" });

    expect(overrides.prod?.storage?.rawDelivery).toBe("eventbridge");
    expect(overrides.prod?.storage?.stagedExpirationDays).toBe(
      configFor("prod").storage.stagedExpirationDays,
    );
    expect(overrides.dev?.storage).toBeUndefined();
  });

  it("refuses a delivery it does not know", () => {
    expect(() =>
      configFor("dev", { storage: { ...configFor("dev").storage, rawDelivery: "lambda" as RawDelivery } }),
    ).toThrow(/storage\.rawDelivery "lambda" must be one of s3-notification, eventbridge/);
  });
});
