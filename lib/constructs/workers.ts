import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAMBDA_HANDLERS } from '../handlers.js';
import type { Builders } from './builders.js';
import { CoprFunction } from './copr-function.js';
import { MaintenanceRules } from './maintenance-schedules.js';
import type { Publisher } from './publisher.js';
import type { Queues } from './queues.js';

export interface WorkersProps {
  readonly table: dynamodb.ITable;
  readonly queues: Queues;
  readonly builders: Builders;
  readonly publisher: Publisher;
  readonly resultsBucket: s3.IBucket;
  /** Public base URL of the results (RESULTS_BASE_URL). */
  readonly resultsBaseUrl: string;
  /** Notifications bus (EVENT_BUS_NAME) for the functions that emit events. */
  readonly eventBus: events.IEventBus;
  /** Public URL of the API; builders are told to call it. */
  readonly frontendUrl: string;
  /** Upper bound of builders running at once. */
  readonly maxBuilders: number;
  /** Instance types per architecture tried in turn on capacity errors. @default the templates' types */
  readonly builderInstanceTypes?: Readonly<Record<string, readonly string[]>>;
  /** Warm builders' reuse rule. @default 'sandbox' */
  readonly builderReuse?: 'off' | 'sandbox' | 'owner';
  /** Idle period of a warm builder, in seconds. @default 300 */
  readonly builderIdleSeconds?: number;
  /** The builders' DistGit lookaside caches as JSON (COPR_DISTGIT_LOOKASIDE); absent: the agent's defaults. */
  readonly distgitLookaside?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** How often the reaper looks for silent builders. @default Duration.minutes(1) */
  readonly reaperInterval?: Duration;
}

/**
 * The background functions: the dispatcher (starts builders), the reaper
 * (finds builders that stopped heartbeating), the publish trigger (starts
 * createrepo tasks), the actions worker and the scheduled maintenance jobs. Each
 * gets exactly the variables and permissions of the resources its code uses.
 */
export class Workers extends Construct {
  public readonly dispatcher: CoprFunction;
  public readonly reaper: CoprFunction;
  public readonly publishTrigger: CoprFunction;
  public readonly actions: CoprFunction;
  public readonly maintenance: CoprFunction;
  public readonly maintenanceRules: MaintenanceRules;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const { table, queues, builders, publisher } = props;
    const logRetention = props.logRetention;

    // Dispatcher: woken by messages, reads pending work from the table, launches builders.
    this.dispatcher = new CoprFunction(this, 'Dispatcher', {
      entry: LAMBDA_HANDLERS.dispatcher,
      // Read at run time by builder-ami/agent/user-data.ts, next to the bundle.
      copyFiles: ['builder-ami/agent/ec2-bootstrap.sh'],
      // A run stops claiming 30 s before this (functions/handlers/dispatcher.ts) and wakes
      // the next one, so a long ramp-up is a chain of runs, never a timeout mid-launch.
      timeout: Duration.seconds(120),
      logRetention,
    })
      .bindTable(table)
      // The one application core (functions/core/app.ts) is composed with its results
      // store at cold start, so the bucket is named; the dispatcher never calls S3, so it
      // gets no access (the cloud rehearsal's IAM check would catch a call).
      .setEnv('RESULTS_BUCKET', props.resultsBucket.bucketName)
      .setEnv('FRONTEND_URL', props.frontendUrl)
      .setEnv('BUILDER_LAUNCH_TEMPLATES', builders.launchTemplateIdsJson())
      .setEnv('BUILDER_SUBNETS', builders.subnetIds.join(','))
      .setEnv('MAX_BUILDERS', String(props.maxBuilders))
      // A run cut short by its deadline wakes the next one through its own queue.
      .bindQueueSender(queues.dispatch.queue, 'DISPATCH_QUEUE_URL')
      .setEnv('BUILDER_INSTANCE_TYPES', JSON.stringify(props.builderInstanceTypes ?? {}))
      .setEnv('BUILDER_REUSE', props.builderReuse ?? 'sandbox')
      .setEnv('BUILDER_IDLE_SECONDS', String(props.builderIdleSeconds ?? 300))
      // Rendered into each builder's user data (the agent's COPR_DISTGIT_LOOKASIDE).
      .setEnv('BUILDER_DISTGIT_LOOKASIDE', props.distgitLookaside ?? '')
      // Launch requests repeat the deployment tag (request tags replace the template's).
      .setEnv('BUILDER_TAG_VALUE', builders.tagValue);
    builders.grantLaunch(this.dispatcher.fn);
    // Cancel of a starting/running task terminates its instance.
    builders.grantTerminate(this.dispatcher.fn);
    this.dispatcher.fn.addEventSource(
      new SqsEventSource(queues.dispatch.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // Two concurrent dispatchers at most: conditional writes keep them from double-starting a task.
        maxConcurrency: 2,
      }),
    );

    // Reaper: retries or fails the tasks of builders that vanished (build.finished for
    // the failed ones), ends stray instances, then wakes the dispatcher. Recording a
    // lost task's outcome can finish its build, and a finished build requests a
    // publish of its repository, so the reaper sends to the publish queue too.
    this.reaper = new CoprFunction(this, 'Reaper', {
      entry: LAMBDA_HANDLERS.reaper,
      timeout: Duration.seconds(50),
      logRetention,
    })
      .bindTable(table)
      // Composed with the same core as the API (results store at cold start): the bucket
      // is named, but the reaper never calls S3, so it gets no access.
      .setEnv('RESULTS_BUCKET', props.resultsBucket.bucketName)
      .bindQueueSender(queues.dispatch.queue, 'DISPATCH_QUEUE_URL')
      .bindQueueSender(queues.publish.queue, 'PUBLISH_QUEUE_URL')
      .bindEventBus(props.eventBus)
      // Fleet.list and Fleet.terminate filter on this tag; launch settings are not needed.
      .setEnv('BUILDER_TAG_VALUE', builders.tagValue);
    builders.grantTerminate(this.reaper.fn);
    new events.Rule(this, 'ReaperSchedule', {
      description: 'Detect builders that stopped heartbeating',
      schedule: events.Schedule.rate(props.reaperInterval ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.reaper.fn, { retryAttempts: 0 })],
    });

    // Publish trigger: takes a repository's lease in the publish ledger and starts one
    // Fargate run for it, without waiting for the run (functions/aws/publish-trigger.ts).
    this.publishTrigger = new CoprFunction(this, 'PublishTrigger', {
      entry: LAMBDA_HANDLERS.publishTrigger,
      timeout: Duration.seconds(60),
      logRetention,
      environment: publisher.runEnvironment(),
    }).bindTable(table);
    publisher.grantRun(this.publishTrigger.fn);
    this.publishTrigger.fn.addEventSource(
      new SqsEventSource(queues.publish.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    // Actions: delete / fork / regenerate, idempotent and retried through the queue
    // (awsActionDeps: table, results incl. delete, results URL, publish requests).
    this.actions = new CoprFunction(this, 'Actions', {
      entry: LAMBDA_HANDLERS.actions,
      timeout: Duration.minutes(5),
      memorySize: 1024,
      logRetention,
    })
      .bindTable(table)
      .bindResultsBucket(props.resultsBucket)
      .setEnv('RESULTS_BASE_URL', props.resultsBaseUrl)
      .bindQueueSender(queues.publish.queue, 'PUBLISH_QUEUE_URL');
    this.actions.fn.addEventSource(
      new SqsEventSource(queues.actions.queue, { batchSize: 5, reportBatchItemFailures: true }),
    );

    // Maintenance (functions/handlers/maintenance.ts): deletes results of expired and
    // pruned builds, republishes, wakes the dispatcher and the actions queue, emits
    // project events, and lists/terminates stray builders. Its Fleet only lists and
    // terminates by tag, so it gets no launch templates, subnets or API URL, and no
    // RESULTS_BASE_URL (MaintenanceDeps carries none).
    this.maintenance = new CoprFunction(this, 'Maintenance', {
      entry: LAMBDA_HANDLERS.maintenance,
      timeout: Duration.minutes(15),
      logRetention,
    })
      .bindTable(table)
      .bindResultsBucket(props.resultsBucket)
      .bindQueueSender(queues.dispatch.queue, 'DISPATCH_QUEUE_URL')
      .bindQueueSender(queues.publish.queue, 'PUBLISH_QUEUE_URL')
      .bindQueueSender(queues.actions.queue, 'ACTION_QUEUE_URL')
      .bindEventBus(props.eventBus)
      .setEnv('BUILDER_TAG_VALUE', builders.tagValue);
    builders.grantTerminate(this.maintenance.fn);
    this.maintenanceRules = new MaintenanceRules(this, 'MaintenanceSchedule', { fn: this.maintenance.fn });
  }

  get all(): readonly CoprFunction[] {
    return [this.dispatcher, this.reaper, this.publishTrigger, this.actions, this.maintenance];
  }
}
