import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import { policyDocument } from "./iam";

/** Props of {@link SecureBucket}. */
export interface SecureBucketProps {
  name: string;
  versioned: boolean;
  forceDestroy: boolean;
  lifecycleRules: S3BucketLifecycleConfigurationRule[];
}

/**
 * A private bucket: SSE-S3 encryption, every public access path blocked, ACLs disabled, and a
 * policy that denies any request not made over TLS.
 */
export class SecureBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly publicAccessBlock: S3BucketPublicAccessBlock;
  public readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", { bucket: props.name, forceDestroy: props.forceDestroy });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
      // A policy put before the public access block exists can race it; order them.
      dependsOn: [this.publicAccessBlock],
    });
    if (props.versioned)
      new S3BucketVersioningA(this, "versioning", {
        bucket: this.bucket.id,
        versioningConfiguration: { status: "Enabled" },
      });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: props.lifecycleRules,
    });
  }
}

/** The raw bucket files land in, and the staging bucket phases write rows, rejects and manifests to. */
export class Storage extends Construct {
  public readonly raw: SecureBucket;
  public readonly staging: SecureBucket;

  constructor(scope: Construct, id: string, config: SluiceConfig) {
    super(scope, id);
    const { storage } = config;
    const abortUploads: S3BucketLifecycleConfigurationRule = {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: [{ prefix: "" }],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: storage.abortIncompleteUploadDays }],
    };
    // Bucket names are global: the account id keeps two accounts from colliding.
    this.raw = new SecureBucket(this, "raw", {
      name: resourceName(config, `raw-${config.accountId}`),
      versioned: true,
      forceDestroy: storage.forceDestroy,
      lifecycleRules: [
        abortUploads,
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: storage.rawNoncurrentVersionDays }],
        },
      ],
    });
    this.staging = new SecureBucket(this, "staging", {
      name: resourceName(config, `staging-${config.accountId}`),
      versioned: false,
      forceDestroy: storage.forceDestroy,
      lifecycleRules: [
        abortUploads,
        {
          // Rows, rejects and manifests of a run share `staged/<dataset>/<runId>/`.
          id: "expire-staged-runs",
          status: "Enabled",
          filter: [{ prefix: "staged/" }],
          expiration: [{ days: storage.stagedExpirationDays }],
        },
      ],
    });
  }
}
