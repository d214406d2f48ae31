import { createHash } from 'node:crypto';
import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_MOCK_CHROOTS } from '../../functions/core/mock-chroots.js';
import { LAMBDA_HANDLERS } from '../handlers.js';
import { CoprFunction } from './copr-function.js';

export interface BootstrapProps {
  readonly table: dynamodb.ITable;
  /** Public URL written into the first admin's copr-cli config. */
  readonly frontendUrl: string;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A fresh stack's setup (functions/handlers/bootstrap.ts): a custom resource seeds
 * the default chroots on every deploy whose chroot list changed, and the operator
 * invokes the same function once to make the first admin (docs/deploy.md).
 */
export class Bootstrap extends Construct {
  public readonly function: CoprFunction;
  public readonly seed: CustomResource;

  constructor(scope: Construct, id: string, props: BootstrapProps) {
    super(scope, id);
    this.function = new CoprFunction(this, 'Function', {
      entry: LAMBDA_HANDLERS.bootstrap,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
    })
      .bindTable(props.table)
      .setEnv('FRONTEND_URL', props.frontendUrl);
    this.seed = new CustomResource(this, 'SeedChroots', {
      serviceToken: this.function.fn.functionArn,
      resourceType: 'Custom::CoprSeedChroots',
      // A changed default list is a changed property, so CloudFormation sends an Update.
      properties: { DefaultChroots: createHash('sha256').update(JSON.stringify(DEFAULT_MOCK_CHROOTS)).digest('hex').slice(0, 16) },
    });
  }
}
