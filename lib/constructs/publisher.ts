import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant } from '../nag.js';

/**
 * Encryption-context keys of a sealed project key (`KmsKeyStore.context` in
 * functions/publish/kms-key-store.ts); the task role may use the KMS key only with both.
 */
export const SIGNING_KEY_CONTEXT_KEYS = ['copr_owner', 'copr_project'] as const;

/** Name of the publisher container (the publish trigger overrides its environment per run). */
export const PUBLISHER_CONTAINER_NAME = 'publisher';

export interface PublisherProps {
  readonly vpc: ec2.IVpc;
  readonly subnetIds: readonly string[];
  /** Tasks in public subnets without NAT need a public IP to reach ECR, S3 and KMS. */
  readonly assignPublicIp: boolean;
  readonly table: dynamodb.ITable;
  readonly resultsBucket: s3.IBucket;
  readonly resultsBaseUrl: string;
  readonly signingKey: kms.IKey;
  /** Directory with the Dockerfile (docker build context). */
  readonly imageDir: string;
  /**
   * Repository root, passed to the Docker build as the named context `app` so
   * the Dockerfile can bundle `functions/handlers/publisher-task.ts`.
   */
  readonly appDir: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 1024 */
  readonly cpu?: number;
  /** @default 2048 */
  readonly memoryLimitMiB?: number;
}

/**
 * The createrepo worker: a Fargate task (Fedora, createrepo_c, gnupg, rpm-sign,
 * node) that signs RPMs, refreshes one repository's metadata in the results
 * bucket and exits. The publish trigger starts one task per repository batch.
 */
export class Publisher extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  public readonly subnetIds: readonly string[];
  public readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: PublisherProps) {
    super(scope, id);
    this.subnetIds = props.subnetIds;
    this.assignPublicIp = props.assignPublicIp;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Copr publisher tasks: outbound only',
      allowAllOutbound: true,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      // x86_64 so the image builds natively on the usual deploy machine (no emulation).
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskDefinition.addContainer(PUBLISHER_CONTAINER_NAME, {
      image: ecs.ContainerImage.fromAsset(props.imageDir, {
        platform: Platform.LINUX_AMD64,
        buildContexts: { app: props.appDir },
        // The named context is not part of the asset hash; add the bundled sources explicitly.
        extraHash: sourceHash(props.appDir),
      }),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'publisher' }),
      environment: {
        TABLE_NAME: props.table.tableName,
        RESULTS_BUCKET: props.resultsBucket.bucketName,
        RESULTS_BASE_URL: props.resultsBaseUrl,
        SIGNING_KMS_KEY_ID: props.signingKey.keyArn,
      },
      readonlyRootFilesystem: false,
    });

    const taskRole = this.taskDefinition.taskRole;
    // The task touches the sealed signing-key items (a consistent Get, a conditional Put
    // for a project's first key) and its repository's publish ledger (functions/store/
    // dynamo-publish-ledger.ts): Query of the pending entries, Delete+Put moving them to
    // done in one transaction, Update/Delete of its lease. Base table only, no index, no scan.
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SealedSigningKeysAndPublishLedger',
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    // Downloads metadata and new builds, uploads packages and metadata, deletes removed builds.
    props.resultsBucket.grantReadWrite(taskRole);
    acknowledgeBucketGrant(taskRole, props.resultsBucket, 'rw');
    // Envelope encryption (functions/publish/kms-key-store.ts): GenerateDataKey seals a new
    // project key, Decrypt opens one. Both only with the per-project encryption context, so
    // this role cannot use the key for anything but sealed project keys.
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SealAndOpenProjectKeys',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.signingKey.keyArn],
        conditions: {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...SIGNING_KEY_CONTEXT_KEYS] },
          Null: Object.fromEntries(SIGNING_KEY_CONTEXT_KEYS.map((k) => [`kms:EncryptionContext:${k}`, 'false'])),
        },
      }),
    );

    acknowledge(
      this.taskDefinition,
      {
        id: 'AwsSolutions-ECS2',
        reason: 'The environment holds only resource names and URLs; secrets are KMS-wrapped in the table.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The execution role needs ecr:GetAuthorizationToken, which has no resource-level permissions.',
      },
    );
  }

  /**
   * RunTask on this task definition in this cluster and PassRole for its two roles.
   * The trigger does not wait for the run (the publish ledger's lease keeps runs of
   * one repository apart), so it needs no DescribeTasks.
   */
  grantRun(grantee: iam.IGrantable): void {
    this.taskDefinition.grantRun(grantee);
  }

  /** Environment the publish trigger needs to start a task. */
  runEnvironment(): Record<string, string> {
    return {
      PUBLISHER_CLUSTER_ARN: this.cluster.clusterArn,
      PUBLISHER_TASK_DEFINITION_ARN: this.taskDefinition.taskDefinitionArn,
      PUBLISHER_CONTAINER_NAME,
      PUBLISHER_SUBNETS: this.subnetIds.join(','),
      PUBLISHER_SECURITY_GROUP: this.securityGroup.securityGroupId,
      PUBLISHER_ASSIGN_PUBLIC_IP: this.assignPublicIp ? 'ENABLED' : 'DISABLED',
    };
  }
}

/** Content hash of what the image bundles: functions/ plus the npm manifests. */
export function sourceHash(appDir: string): string {
  const hash = createHash('sha256');
  const add = (rel: string): void => {
    const abs = path.join(appDir, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const entry of fs.readdirSync(abs).sort()) add(path.join(rel, entry));
      return;
    }
    hash.update(rel).update('\0').update(fs.readFileSync(abs)).update('\0');
  };
  for (const rel of ['package.json', 'package-lock.json', 'functions']) add(rel);
  return hash.digest('hex');
}
