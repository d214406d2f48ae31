import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENTRY_METADATA_KEY, repoPath } from '../handlers.js';
import { acknowledge, acknowledgeBucketGrant, acknowledgeTableGrant } from '../nag.js';

export interface CoprFunctionProps {
  /** Handler source file, relative to the repository root (e.g. `functions/handlers/api.ts`). */
  readonly entry: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Remove the log group with the stack. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Plain (non-secret) environment that no bind helper covers. @default {} */
  readonly environment?: Record<string, string>;
  /**
   * Files (relative to the repository root) copied next to the bundle, for code that
   * reads a sibling file at run time (the dispatcher's EC2 user-data template).
   * @default []
   */
  readonly copyFiles?: string[];
}

/**
 * The house Lambda function: Node 22 on arm64, ESM bundle built by the local
 * esbuild (no Docker), source maps, an explicit log group with retention, and a
 * role without managed policies. Resources are attached through `bind*` helpers
 * that set the environment variable and grant the matching permission together,
 * so a function never has a permission it has no variable for (or vice versa).
 */
export class CoprFunction extends Construct {
  public readonly fn: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CoprFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: it may only write to its own log group.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Fn', {
      entry: repoPath(props.entry),
      handler: 'handler',
      projectRoot: repoPath('.'),
      depsLockFilePath: repoPath('package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        // ESM builds of the AWS SDK first: they tree-shake, the CommonJS ones do not
        // (the API bundle drops from ~1.1 MB to under 0.8 MB).
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too (NodejsFunction leaves @aws-sdk/* to the runtime by default):
        // the deployed functions then run the SDK versions of package-lock.json, the ones
        // the tests and the cloud rehearsal run, not whatever the Lambda runtime ships.
        externalModules: [],
        target: 'node22',
        // ESM bundles need a require shim for CommonJS dependencies (busboy, parts of the SDK).
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        ...(props.copyFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_in: string, out: string) => props.copyFiles!.map((f) => `cp "${repoPath(f)}" "${out}/"`),
              },
            }
          : {}),
      },
    });
    // Recorded so the drift test can map every deployed function back to its source file.
    (this.fn.node.defaultChild as lambda.CfnFunction).addMetadata(ENTRY_METADATA_KEY, props.entry);
    acknowledge(this.fn, {
      id: 'AwsSolutions-L1',
      reason: 'Node 22 on purpose: the same code runs locally on Node 20/22 (see DESIGN.md, local stack facts).',
    });
  }

  /** Sets an environment variable that carries no permission (URLs, names, limits). */
  setEnv(name: string, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /** TABLE_NAME plus read-write or read-only data access. */
  bindTable(table: dynamodb.ITable, access: 'rw' | 'ro' = 'rw'): this {
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
    if (access === 'rw') table.grantReadWriteData(this.fn);
    else table.grantReadData(this.fn);
    acknowledgeTableGrant(this.fn, table);
    return this;
  }

  /** `<envName>` = queue URL, plus send permission. */
  bindQueueSender(queue: sqs.IQueue, envName: string): this {
    this.fn.addEnvironment(envName, queue.queueUrl);
    queue.grantSendMessages(this.fn);
    return this;
  }

  /** RESULTS_BUCKET plus object access. */
  bindResultsBucket(bucket: s3.IBucket, access: 'rw' | 'ro' = 'rw'): this {
    this.fn.addEnvironment('RESULTS_BUCKET', bucket.bucketName);
    if (access === 'rw') bucket.grantReadWrite(this.fn);
    else bucket.grantRead(this.fn);
    acknowledgeBucketGrant(this.fn, bucket, access);
    return this;
  }

  /** EVENT_BUS_NAME plus `events:PutEvents` on that bus only (functions/adapters/eventbridge-sink.ts). */
  bindEventBus(bus: events.IEventBus): this {
    this.fn.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this.fn);
    return this;
  }
}
