import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import type { CoprFunction } from './copr-function.js';
import type { WorkQueue } from './queues.js';

/**
 * Custom metric the code emits (CloudWatch embedded metric format, no dimensions)
 * each time a build chroot ends in `failed`.
 */
// The names the build code emits (functions/aws/build-metrics.ts): one definition for both.
export { BUILD_METRICS } from '../../functions/aws/build-metrics.js';
import { BUILD_METRICS } from '../../functions/aws/build-metrics.js';

export interface ObservabilityProps {
  readonly httpApi: apigw.HttpApi;
  readonly queues: readonly WorkQueue[];
  readonly functions: ReadonlyArray<{ readonly name: string; readonly fn: CoprFunction }>;
  /** Failed builds per hour above which the failed-builds alarm fires. @default 20 */
  readonly failedBuildsPerHour?: number;
  /** Subscribe this address to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** @default 'Copr' */
  readonly dashboardName?: string;
}

/** One dashboard and the alarms an operator needs, all notifying one SNS topic. */
export class Observability extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Copr alarms', enforceSSL: true });
    acknowledge(
      this.topic,
      {
        id: 'AwsSolutions-SNS2',
        reason: 'Alarm notifications carry no sensitive data; a CMK would need a CloudWatch key policy for no gain.',
      },
    );
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subs.EmailSubscription(props.alarmEmail));

    const api5xx = props.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    const failedBuilds = new cloudwatch.Metric({
      namespace: BUILD_METRICS.namespace,
      metricName: BUILD_METRICS.buildsFailed,
      period: Duration.hours(1),
      statistic: 'Sum',
    });

    this.alarms.push(
      api5xx.createAlarm(this, 'Api5xxAlarm', {
        alarmDescription: 'The API answered with 5xx errors.',
        threshold: 5,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failedBuilds.createAlarm(this, 'FailedBuildsAlarm', {
        alarmDescription: 'Unusually many builds failed in the last hour.',
        threshold: props.failedBuildsPerHour ?? 20,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const q of props.queues) this.alarms.push(q.ageAlarm, q.dlqDepthAlarm);
    for (const { name, fn } of props.functions) {
      this.alarms.push(
        fn.fn.metricErrors({ period: Duration.minutes(5) }).createAlarm(this, `${name}ErrorsAlarm`, {
          alarmDescription: `The ${name} function threw errors.`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const action = new actions.SnsAction(this.topic);
    for (const alarm of this.alarms) alarm.addAlarmAction(action);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'API 5xx', left: [api5xx], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Failed builds / hour', left: [failedBuilds], width: 8 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Oldest message (s)',
        left: props.queues.map((q) => q.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter depth',
        left: props.queues.map((q) => q.deadLetterQueue.metricApproximateNumberOfMessagesVisible()),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: props.functions.map(({ name, fn }) => fn.fn.metricErrors({ label: name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99 (ms)',
        left: props.functions.map(({ name, fn }) => fn.fn.metricDuration({ label: name, statistic: 'p99' })),
        width: 12,
      }),
    );
  }
}
