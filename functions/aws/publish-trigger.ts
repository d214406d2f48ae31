import { randomUUID } from 'node:crypto';
import { RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { jsonLogger } from '../adapters/json-logger.js';
import type { Clock, Logger, PublishLedger, PublishRepository } from '../core/ports.js';
import { publishRepositoryKey, repositoryOf } from '../core/publish-ledger.js';
import { PublishRepositoryRef, PublishRequest } from '../publish/publish-request.js';

/**
 * SQS FIFO publish wake-ups → at most one Fargate publisher run per repository.
 * A message names a repository whose requests are in the publish ledger; the
 * trigger takes the repository's lease for a new run, starts the task with the
 * repository and the lease holder (a few hundred bytes, whatever the requests
 * weigh) and returns at once: no Lambda waits for Fargate. When the lease is held,
 * the wake-up is dropped: the running task reads the ledger again before it lets
 * the lease go, and re-takes it for entries that arrived meanwhile.
 */
export interface PublisherTaskSettings {
  cluster: string;
  taskDefinition: string;
  containerName: string;
  subnets: string[];
  securityGroup?: string;
  assignPublicIp: 'ENABLED' | 'DISABLED';
  /** The lease a new run gets before it renews it itself: covers Fargate's start-up. */
  startLeaseMs: number;
}

export interface PublishTriggerDeps {
  ecs: ECSClient;
  ledger: PublishLedger;
  clock: Clock;
  settings: PublisherTaskSettings;
  log?: Logger;
}

const WakeMessage = z.object({ repository: PublishRepositoryRef });

/** Environment names the publisher task reads (functions/handlers/publisher-task.ts). */
export const TASK_ENV = { repository: 'PUBLISH_REPOSITORY', holder: 'PUBLISH_LEASE_HOLDER' } as const;

export async function runPublishBatch(deps: PublishTriggerDeps, records: SQSRecord[]): Promise<SQSBatchResponse> {
  const log = deps.log ?? jsonLogger({ component: 'publish-trigger' });
  const groups = new Map<string, { ids: string[]; repo: PublishRepository }>();
  const failures: string[] = [];
  for (const r of records) {
    const body = safeJson(r.body);
    const wake = WakeMessage.safeParse(body);
    let repo: PublishRepository;
    if (wake.success) repo = repositoryOf(wake.data.repository);
    else {
      // A request sent by a version before the ledger (in flight over a deploy): record it now.
      const legacy = PublishRequest.safeParse(body);
      if (!legacy.success) {
        // A malformed message can never succeed: drop it (logged) instead of poisoning the group.
        log.error('publish-trigger: dropping malformed message', { message_id: r.messageId });
        continue;
      }
      try {
        await deps.ledger.record(legacy.data, deps.clock.now());
      } catch (err) {
        log.error(`publish-trigger: recording a legacy request failed: ${(err as Error).message}`, { message_id: r.messageId });
        failures.push(r.messageId);
        continue;
      }
      repo = repositoryOf(legacy.data);
    }
    const key = publishRepositoryKey(repo);
    const g = groups.get(key) ?? { ids: [], repo };
    g.ids.push(r.messageId);
    groups.set(key, g);
  }
  await Promise.all(
    [...groups.values()].map(async (g) => {
      try {
        const started = await startRun(deps, g.repo);
        log.info(`publish-trigger: ${publishRepositoryKey(g.repo)}: ${started}`, { message_ids: g.ids });
      } catch (err) {
        log.error(`publish-trigger: ${publishRepositoryKey(g.repo)}: ${(err as Error).message}`);
        failures.push(...g.ids);
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** Starts a run for the repository unless there is nothing to do or a run holds the lease. */
async function startRun(deps: PublishTriggerDeps, repo: PublishRepository): Promise<string> {
  if ((await deps.ledger.pending(repo, 1)).length === 0) return 'nothing pending (a run published it already)';
  const holder = `run-${randomUUID()}`;
  if (!(await deps.ledger.acquireLease(repo, holder, deps.clock.now(), deps.settings.startLeaseMs))) {
    return 'a run holds the lease and will read the new entries';
  }
  const s = deps.settings;
  try {
    const res = await deps.ecs.send(
      new RunTaskCommand({
        cluster: s.cluster,
        taskDefinition: s.taskDefinition,
        launchType: 'FARGATE',
        count: 1,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: s.subnets,
            securityGroups: s.securityGroup ? [s.securityGroup] : undefined,
            assignPublicIp: s.assignPublicIp,
          },
        },
        overrides: {
          containerOverrides: [
            {
              name: s.containerName,
              environment: [
                { name: TASK_ENV.repository, value: JSON.stringify(repo) },
                { name: TASK_ENV.holder, value: holder },
              ],
            },
          ],
        },
      }),
    );
    const arn = res.tasks?.[0]?.taskArn;
    if (!arn) throw new Error(`RunTask started nothing: ${JSON.stringify(res.failures ?? [])}`);
    return `started ${arn}`;
  } catch (err) {
    // No task will renew it: let the retried message (or maintenance) start one.
    await deps.ledger.releaseLease(repo, holder);
    throw err;
  }
}
