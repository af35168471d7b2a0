import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Principal?: "*" | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document as the JSON string resources take (tokens resolve inside it). */
export function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** An Allow statement. */
export function allow(
  action: string | string[],
  resource: string | string[],
  condition?: PolicyStatement["Condition"],
): PolicyStatement {
  return condition
    ? { Effect: "Allow", Action: action, Resource: resource, Condition: condition }
    : { Effect: "Allow", Action: action, Resource: resource };
}

/**
 * The statement of a queue policy that lets one AWS service send to `queueArn`, only on behalf of
 * `sourceArn` (a bucket, topic or rule) in `accountId`.
 */
export function serviceMaySend(
  queueArn: string,
  service: string,
  sourceArn: string,
  accountId: string,
): PolicyStatement {
  return {
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: {
      ArnEquals: { "aws:SourceArn": sourceArn },
      StringEquals: { "aws:SourceAccount": accountId },
    },
  };
}

/**
 * Actions AWS does not let a policy scope to a resource, so `Resource: "*"` is the only form
 * (`ecs:ListTasks` is then narrowed by an `ecs:cluster` condition). Everything else in Sluice's
 * policies names exact ARNs.
 */
export const UNSCOPABLE_ACTIONS: readonly string[] = [
  "ecr:GetAuthorizationToken",
  "ecs:ListTasks",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
];

/** Props of {@link ServiceRole}. */
export interface ServiceRoleProps {
  name: string;
  /** The service principal allowed to assume the role, e.g. `lambda.amazonaws.com`. */
  service: string;
  /** The role's only permissions. */
  statements: PolicyStatement[];
  /** Restricts who may assume the role through the service (confused-deputy guard). */
  assumeCondition?: PolicyStatement["Condition"];
}

/** A role assumable by one AWS service, with one inline least-privilege policy and no managed policies. */
export class ServiceRole extends Construct {
  public readonly role: IamRole;
  public readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust: Record<string, unknown> = {
      Effect: "Allow",
      Principal: { Service: props.service },
      Action: "sts:AssumeRole",
    };
    if (props.assumeCondition) trust.Condition = props.assumeCondition;
    this.role = new IamRole(this, "role", {
      name: props.name,
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [trust] }),
    });
    this.policy = new IamRolePolicy(this, "policy", {
      name: `${props.name}-policy`,
      role: this.role.id,
      policy: policyDocument(props.statements),
    });
  }
}
