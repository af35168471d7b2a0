import { ENV } from "@sluice/core";
import { Testing } from "cdktf";
import { configFor } from "../src/config";
import type { PolicyStatement } from "../src/iam";
import { writePlaceholderBundles } from "./support/bundles";
import { resourcesOf, resourceWhere, type SynthesizedStack, synthStack } from "./support/synth";

// Issue 13: the container route takes what one loader invocation cannot finish, so the
// legacy-wrapper task loads what it stages: it needs what the loader has to reach the database.
Testing.setupJest();

const bundles = writePlaceholderBundles();
let dev: SynthesizedStack;

beforeAll(() => {
  dev = synthStack("dev", { bundles });
});

function containerEnvironment(synth: SynthesizedStack): Record<string, string> {
  const task = resourcesOf(synth, "aws_ecs_task_definition")[0]!;
  const [container] = JSON.parse(task.container_definitions as string) as {
    environment: { name: string; value: string }[];
  }[];
  return Object.fromEntries(container!.environment.map(({ name, value }) => [name, value]));
}

function loaderEnvironment(synth: SynthesizedStack): Record<string, string> {
  const loader = resourceWhere(synth, "aws_lambda_function", "function_name", "sluice-dev-loader");
  return (loader.environment as { variables: Record<string, string> }).variables;
}

/** The rules of `type` on security group `group` (by logical id fragment) that reference `other`. */
function rulesBetween(synth: SynthesizedStack, type: string, group: string, other: string) {
  return resourcesOf(synth, type).filter(
    (rule) =>
      String(rule.security_group_id).includes(group) &&
      String(rule.referenced_security_group_id).includes(other),
  );
}

describe("the legacy-wrapper task loads what it stages", () => {
  it("gets the loader's database variables: the secret's ARN, host, port and name, never a password or URL", () => {
    const task = containerEnvironment(dev);
    const loader = loaderEnvironment(dev);

    for (const name of [ENV.databaseSecretArn, ENV.databaseHost, ENV.databasePort, ENV.databaseName])
      expect(task[name]).toBe(loader[name]);
    expect(task[ENV.databaseSecretArn]).toMatch(/aws_db_instance\..*\.master_user_secret\[0\]\.secret_arn/);
    expect(task[ENV.databaseUrl]).toBeUndefined();
    expect(Object.keys(task).some((name) => /password/i.test(name))).toBe(false);
  });

  it("may read the database secret, as the loader may, and nothing else of Secrets Manager", () => {
    const policy = resourceWhere(dev, "aws_iam_role_policy", "name", "sluice-dev-legacy-wrapper-task-policy");
    const statements = JSON.parse(policy.policy as string).Statement as PolicyStatement[];

    const secretStatements = statements.filter((s) =>
      [s.Action].flat().some((a) => a.startsWith("secretsmanager:")),
    );
    expect(secretStatements).toEqual([
      {
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: expect.stringMatching(/aws_db_instance\..*\.master_user_secret\[0\]\.secret_arn/),
      },
    ]);
  });

  it("reaches Postgres: the database's group admits the tasks' group on its port, as it admits the loader's", () => {
    const port = configFor("dev").database.port;

    for (const from of ["network_loader", "network_tasks"]) {
      const ingress = rulesBetween(dev, "aws_vpc_security_group_ingress_rule", "database_sg", from);
      const egress = rulesBetween(dev, "aws_vpc_security_group_egress_rule", from, "database_sg");
      expect(ingress).toEqual([
        expect.objectContaining({ ip_protocol: "tcp", from_port: port, to_port: port }),
      ]);
      expect(egress).toEqual([
        expect.objectContaining({ ip_protocol: "tcp", from_port: port, to_port: port }),
      ]);
    }
  });
});
