import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import type { Network } from "./network";

/** Props of {@link Database}. */
export interface DatabaseProps {
  config: SluiceConfig;
  network: Network;
}

/**
 * The Postgres instance rows are loaded into. RDS generates the master password and keeps it in a
 * Secrets Manager secret it rotates (`manage_master_user_password`), so no password appears in
 * Terraform config, state outputs or environment variables: the loader and the legacy-wrapper
 * tasks get the secret's ARN, and only they reach the database's port.
 */
export class Database extends Construct {
  public readonly instance: DbInstance;
  public readonly securityGroup: SecurityGroup;
  public readonly subnetGroup: DbSubnetGroup;
  /** ARN of the RDS-managed secret holding `username` and `password`. */
  public readonly secretArn: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { config, network } = props;
    const db = config.database;
    this.securityGroup = new SecurityGroup(this, "sg", {
      name: resourceName(config, "database"),
      // Out of date (the legacy-wrapper tasks load too, below), but a group's description cannot
      // change in place: Terraform would replace the group, which RDS holds.
      description: "Postgres: only from the loader",
      vpcId: network.vpc.id,
      tags: { Name: resourceName(config, "database") },
    });
    // The loader, and the legacy-wrapper tasks, which load the container-route runs they stage.
    for (const [name, who, group] of [
      ["loader", "the loader", network.loaderSecurityGroup],
      ["tasks", "the legacy-wrapper tasks", network.taskSecurityGroup],
    ] as const) {
      new VpcSecurityGroupIngressRule(this, `from-${name}`, {
        securityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: db.port,
        toPort: db.port,
        referencedSecurityGroupId: group.id,
        description: `Postgres from ${who}`,
      });
      new VpcSecurityGroupEgressRule(this, `${name}-to-database`, {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: db.port,
        toPort: db.port,
        referencedSecurityGroupId: this.securityGroup.id,
        description: "Postgres",
      });
    }
    this.subnetGroup = new DbSubnetGroup(this, "subnets", {
      name: resourceName(config, "database"),
      subnetIds: network.privateSubnets.map((subnet) => subnet.id),
    });
    this.instance = new DbInstance(this, "postgres", {
      identifier: resourceName(config, "postgres"),
      engine: "postgres",
      engineVersion: db.engineVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: db.instanceClass,
      allocatedStorage: db.allocatedStorageGb,
      maxAllocatedStorage: db.maxAllocatedStorageGb,
      storageType: "gp3",
      storageEncrypted: true,
      dbName: db.databaseName,
      username: db.masterUsername,
      manageMasterUserPassword: true,
      port: db.port,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      multiAz: db.multiAz,
      deletionProtection: db.deletionProtection,
      backupRetentionPeriod: db.backupRetentionDays,
      copyTagsToSnapshot: true,
      skipFinalSnapshot: db.skipFinalSnapshot,
      finalSnapshotIdentifier: db.skipFinalSnapshot ? undefined : resourceName(config, "postgres-final"),
      performanceInsightsEnabled: db.performanceInsights,
      // Dev applies changes at once; prod waits for the maintenance window.
      applyImmediately: config.environment === "dev",
    });
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;
  }
}
