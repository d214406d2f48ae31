import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { JobName } from '../../functions/core/maintenance.js';

/** When one maintenance job runs, and how often EventBridge retries a failed run. */
export interface JobSchedule {
  readonly schedule: events.Schedule;
  readonly description: string;
  readonly retryAttempts: number;
}

/**
 * One schedule per job of functions/core/maintenance.ts (typed by its `JobName`, so
 * a new job does not compile until it has a schedule). The daily jobs are 20
 * minutes apart so one Lambda runs at a time and their table and publish-queue
 * load does not pile up; every job is lease-safe, so an overlap would still be correct.
 */
export const MAINTENANCE_SCHEDULES: Readonly<Record<JobName, JobSchedule>> = {
  // Re-wakes the dispatcher and the actions queue and ends stray builders: cheap, and
  // it bounds how long a lost wake-up can stall work. A failed run is simply the next one.
  reconcile: {
    schedule: events.Schedule.rate(Duration.minutes(5)),
    description: 'Maintenance: reconcile (wake-ups, stray builders)',
    retryAttempts: 0,
  },
  'delete-expired': {
    schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
    description: 'Maintenance: delete temporary projects past delete_after',
    retryAttempts: 2,
  },
  prune: {
    schedule: events.Schedule.cron({ minute: '20', hour: '3' }),
    description: 'Maintenance: prune superseded builds of auto_prune projects',
    retryAttempts: 2,
  },
  'eol-chroots': {
    schedule: events.Schedule.cron({ minute: '40', hour: '3' }),
    description: 'Maintenance: end-of-life chroots',
    retryAttempts: 2,
  },
};

export interface MaintenanceRulesProps {
  readonly fn: lambda.IFunction;
}

/**
 * The EventBridge rules that run maintenance, one per job, each sending
 * `{"job": "<name>"}` (functions/core/maintenance-event.ts refuses anything else).
 */
export class MaintenanceRules extends Construct {
  public readonly rules: Readonly<Record<JobName, events.Rule>>;

  constructor(scope: Construct, id: string, props: MaintenanceRulesProps) {
    super(scope, id);
    const rule = (job: JobName): events.Rule => {
      const { schedule, description, retryAttempts } = MAINTENANCE_SCHEDULES[job];
      return new events.Rule(this, ruleId(job), {
        description,
        schedule,
        targets: [
          new targets.LambdaFunction(props.fn, {
            event: events.RuleTargetInput.fromObject({ job }),
            retryAttempts,
          }),
        ],
      });
    };
    this.rules = {
      reconcile: rule('reconcile'),
      'delete-expired': rule('delete-expired'),
      prune: rule('prune'),
      'eol-chroots': rule('eol-chroots'),
    };
  }
}

/** `delete-expired` → `DeleteExpired`: construct ids without dashes. */
const ruleId = (job: JobName): string =>
  job
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
