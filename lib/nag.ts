import { type App, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';

/**
 * cdk-nag v3 glue. Findings are acknowledged through CDK's `Validations` API,
 * one finding at a time (`AwsSolutions-IAM5[Action::s3:List*]`), always with a
 * reason, on the smallest construct that produces them.
 */

/** One accepted cdk-nag finding and why it is accepted. */
export interface Acknowledgement {
  /** Rule id, with the finding in brackets for multi-finding rules: `AwsSolutions-IAM5[Action::s3:List*]`. */
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges findings on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, ...acks: Acknowledgement[]): void {
  for (const ack of acks) {
    if (ack.reason.trim().length < 10) throw new Error(`acknowledgement of ${ack.id} needs a real reason`);
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  }
}

/** Runs the AWS Solutions pack at synth: any unacknowledged finding fails `cdk synth`. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Where a grant's policy lands: the role behind a grantee, if it is a construct in this app. */
export function policyScope(grantee: iam.IGrantable): IConstruct | undefined {
  const principal = grantee.grantPrincipal;
  return Construct.isConstruct(principal) ? principal : undefined;
}

/** `<LogicalId.Arn>` as cdk-nag prints a reference to a resource's ARN. */
export function arnRefOf(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnResource | undefined;
  if (cfn === undefined) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}

/** The `table/index/*` resource of a table grant: every GSI of our one table, nothing else. */
export function acknowledgeTableGrant(grantee: iam.IGrantable, table: IConstruct): void {
  const scope = policyScope(grantee);
  if (scope === undefined) return;
  acknowledge(scope, {
    id: `AwsSolutions-IAM5[Resource::${arnRefOf(table)}/index/*]`,
    reason: 'Queries go through the GSIs of the single table (functions/store/table.ts); the wildcard covers only them.',
  });
}

/** Object-level wildcards of an L2 bucket grant, limited to one bucket. */
export function acknowledgeBucketGrant(grantee: iam.IGrantable, bucket: IConstruct, access: 'rw' | 'ro'): void {
  const scope = policyScope(grantee);
  if (scope === undefined) return;
  const reason = 'Objects are keyed by owner/project/chroot/build, so access is per bucket, not per object.';
  const read = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];
  const actions = access === 'rw' ? [...read, 's3:DeleteObject*', 's3:Abort*'] : read;
  acknowledge(
    scope,
    { id: `AwsSolutions-IAM5[Resource::${arnRefOf(bucket)}/*]`, reason },
    ...actions.map((a) => ({ id: `AwsSolutions-IAM5[Action::${a}]`, reason: `${reason} (CDK grant action group ${a})` })),
  );
}
