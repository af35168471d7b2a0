import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";

const HTTPS = 443;

/**
 * A VPC with private subnets only (one per availability zone) for the loader and the Fargate
 * tasks. Nothing in it reaches the internet: an S3 gateway endpoint (free) and interface
 * endpoints for SNS, SQS, ECR, CloudWatch Logs and Secrets Manager carry all AWS traffic, which
 * costs less than NAT gateways at Sluice's volumes and keeps data off the public internet.
 */
export class Network extends Construct {
  public readonly vpc: Vpc;
  public readonly privateSubnets: Subnet[];
  public readonly routeTable: RouteTable;
  public readonly s3Endpoint: VpcEndpoint;
  public readonly interfaceEndpoints: VpcEndpoint[];
  public readonly endpointSecurityGroup: SecurityGroup;
  /** The loader function's ENIs. */
  public readonly loaderSecurityGroup: SecurityGroup;
  /** The legacy-wrapper Fargate tasks' ENIs. */
  public readonly taskSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, config: SluiceConfig) {
    super(scope, id);
    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: config.vpcCidr,
      // Private DNS of the interface endpoints needs both.
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: resourceName(config, "vpc") },
    });
    // The default security group allows all traffic between its members; strip its rules.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id });
    this.routeTable = new RouteTable(this, "private-routes", {
      vpcId: this.vpc.id,
      tags: { Name: resourceName(config, "private") },
    });
    this.privateSubnets = config.availabilityZones.map((zone, index) => {
      const subnet = new Subnet(this, `private-${zone}`, {
        vpcId: this.vpc.id,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(config.vpcCidr, 8, index),
        mapPublicIpOnLaunch: false,
        tags: { Name: resourceName(config, `private-${zone}`) },
      });
      new RouteTableAssociation(this, `private-${zone}-routes`, {
        subnetId: subnet.id,
        routeTableId: this.routeTable.id,
      });
      return subnet;
    });

    const securityGroup = (name: string, description: string) =>
      new SecurityGroup(this, name, {
        name: resourceName(config, name),
        description,
        vpcId: this.vpc.id,
        tags: { Name: resourceName(config, name) },
      });
    this.endpointSecurityGroup = securityGroup(
      "endpoints",
      "Interface VPC endpoints: HTTPS from Sluice workloads",
    );
    this.loaderSecurityGroup = securityGroup("loader", "Loader function: HTTPS to AWS endpoints, Postgres");
    // Its rule to Postgres is the database's (`database.ts`); the description is older than that
    // rule and stays, as changing it would replace the group.
    this.taskSecurityGroup = securityGroup("tasks", "Legacy-wrapper tasks: HTTPS to AWS endpoints");

    this.s3Endpoint = new VpcEndpoint(this, "s3", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${config.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [this.routeTable.id],
      tags: { Name: resourceName(config, "s3") },
    });
    this.interfaceEndpoints = config.interfaceEndpoints.map(
      (service) =>
        new VpcEndpoint(this, `endpoint-${service.replace(/\./g, "-")}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${config.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnets.map((subnet) => subnet.id),
          securityGroupIds: [this.endpointSecurityGroup.id],
          tags: { Name: resourceName(config, service) },
        }),
    );

    for (const [name, group] of [
      ["loader", this.loaderSecurityGroup],
      ["tasks", this.taskSecurityGroup],
    ] as const) {
      new VpcSecurityGroupEgressRule(this, `${name}-to-endpoints`, {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: HTTPS,
        toPort: HTTPS,
        referencedSecurityGroupId: this.endpointSecurityGroup.id,
        description: "HTTPS to interface endpoints",
      });
      new VpcSecurityGroupEgressRule(this, `${name}-to-s3`, {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: HTTPS,
        toPort: HTTPS,
        prefixListId: this.s3Endpoint.prefixListId,
        description: "HTTPS to S3 through the gateway endpoint",
      });
      new VpcSecurityGroupIngressRule(this, `endpoints-from-${name}`, {
        securityGroupId: this.endpointSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: HTTPS,
        toPort: HTTPS,
        referencedSecurityGroupId: group.id,
        description: `HTTPS from ${name}`,
      });
    }
  }
}
