import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthesize } from "../src/app";
import { configFor } from "../src/config";
import { writePlaceholderBundles } from "./support/bundles";
import { findProviderMirror, planStack, type TerraformPlan, terraformVersion } from "./support/terraform";

// The EventBridge delivery of raw objects (storage.rawDelivery), validated and planned by Terraform
// offline as plan.test.ts does the default stacks: the rule, its target and the bucket's
// EventBridge switch are resources the AWS provider accepts.
jest.setTimeout(10 * 60 * 1000);

const version = terraformVersion();
const describePlans = version || process.env.CI === "true" ? describe : describe.skip;

describePlans("terraform plan of the dev stack with EventBridge delivery of raw objects", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "sluice-plan-eventbridge-"));
  let plan: TerraformPlan;

  beforeAll(() => {
    if (!version) throw new Error("CI=true but terraform is not on PATH");
    const bundles = writePlaceholderBundles(path.join(workDir, "bundles"));
    const outdir = path.join(workDir, "cdktf.out");
    const storage = { ...configFor("dev").storage, rawDelivery: "eventbridge" as const };
    synthesize({ outdir, overrides: { dev: { bundles, storage }, prod: { bundles } } });
    plan = planStack(path.join(outdir, "stacks", "dev"), configFor("dev").region, findProviderMirror());
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const changesOf = (type: string) => plan.resource_changes.filter((change) => change.type === type);

  it("creates the rule, its queue target and the bucket's EventBridge notification, and nothing else changes kind", () => {
    for (const change of plan.resource_changes)
      expect(`${change.address}: ${change.change.actions}`).toMatch(/: create$/);
    const patterns = changesOf("aws_cloudwatch_event_rule").map(
      (rule) => JSON.parse(rule.change.after.event_pattern as string) as { source: string[] },
    );
    // The raw objects' rule, beside the stopped tasks' one every stack has (messaging.ts).
    expect(patterns.map((pattern) => pattern.source)).toEqual([["aws.s3"], ["aws.ecs"]]);
    expect(patterns[0]).toMatchObject({ "detail-type": ["Object Created"] });
    expect(
      changesOf("aws_cloudwatch_event_target")
        .map((t) => t.change.after.target_id)
        .sort(),
    ).toEqual(["launcher-queue", "listener-queue"]);
    expect(changesOf("aws_s3_bucket_notification").map((n) => n.change.after.eventbridge)).toEqual([true]);
    expect(changesOf("aws_s3_bucket_notification")[0]!.change.after.queue).toEqual([]);
  });
});
