import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One accepted cdk-nag finding and why it is accepted. Every acknowledgement carries a reason. */
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

export function suppressGrantWildcards(_scope: IConstruct): void {}
