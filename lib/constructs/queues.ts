import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueuesProps {
  /**
   * Oldest-message age above which a work queue alarms.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
  /**
   * Deliveries before a message moves to its dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/** One work queue with its dead-letter queue and the two alarms every queue gets. */
export interface WorkQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dlqDepthAlarm: cloudwatch.Alarm;
  readonly ageAlarm: cloudwatch.Alarm;
}

/**
 * The three queues. Messages are wake-ups, never the source of truth (the
 * table is), so a message in a DLQ loses no work but says a consumer keeps failing.
 * - dispatch (standard): "there may be pending tasks", consumed by the dispatcher.
 * - publish (FIFO, message group = repository): "this repository has pending publish
 *   ledger entries", consumed by the publish trigger; the requests are in the table.
 * - actions (standard): delete / fork / regenerate.
 */
export class Queues extends Construct {
  public readonly dispatch: WorkQueue;
  public readonly publish: WorkQueue;
  public readonly actions: WorkQueue;

  private readonly maxMessageAge: Duration;
  private readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: QueuesProps = {}) {
    super(scope, id);
    this.maxMessageAge = props.maxMessageAge ?? Duration.minutes(15);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    // Visibility timeouts are 6x the consumer Lambda timeout (AWS guidance for SQS event sources).
    this.dispatch = this.workQueue('Dispatch', { visibilityTimeout: Duration.minutes(6), fifo: false });
    // The publish trigger returns within its 60 s timeout (it does not wait for Fargate).
    this.publish = this.workQueue('Publish', { visibilityTimeout: Duration.minutes(6), fifo: true });
    this.actions = this.workQueue('Actions', { visibilityTimeout: Duration.minutes(30), fifo: false });
  }

  get all(): readonly WorkQueue[] {
    return [this.dispatch, this.publish, this.actions];
  }

  private workQueue(id: string, opts: { visibilityTimeout: Duration; fifo: boolean }): WorkQueue {
    const fifoProps = opts.fifo ? { fifo: true, contentBasedDeduplication: true } : {};
    const deadLetterQueue = new sqs.Queue(this, `${id}Dlq`, {
      ...fifoProps,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new sqs.Queue(this, id, {
      ...fifoProps,
      visibilityTimeout: opts.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
    const dlqDepthAlarm = deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, `${id}DlqDepthAlarm`, {
        alarmDescription: `Messages in the ${id} dead-letter queue: a consumer keeps failing.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const ageAlarm = queue
      .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, `${id}AgeAlarm`, {
        alarmDescription: `The oldest ${id} message is older than ${this.maxMessageAge.toHumanString()}.`,
        threshold: this.maxMessageAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    return { queue, deadLetterQueue, dlqDepthAlarm, ageAlarm };
  }
}
