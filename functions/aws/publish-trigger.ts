import { RunTaskCommand, waitUntilTasksStopped, DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { mergeRequests, PublishRequest, repositoryKey } from '../publish/publish-request.js';
import { jsonLogger } from '../adapters/json-logger.js';
import type { Logger } from '../core/ports.js';

/**
 * SQS FIFO publish requests → one Fargate createrepo run per repository. The
 * messages of a repository's group are merged into one run, and the function waits
 * for the task to stop before it returns, so SQS does not hand out the next
 * message of that group until this run is done: runs per repository never overlap.
 */
export interface PublisherTaskSettings {
  cluster: string;
  taskDefinition: string;
  containerName: string;
  subnets: string[];
  securityGroup?: string;
  assignPublicIp: 'ENABLED' | 'DISABLED';
  /** Max time to wait for one run (below the Lambda timeout). */
  maxWaitSeconds: number;
}

export async function runPublishBatch(
  ecs: ECSClient,
  s: PublisherTaskSettings,
  records: SQSRecord[],
  log: Logger = jsonLogger({ component: 'publish-trigger' }),
): Promise<SQSBatchResponse> {
  const groups = new Map<string, { ids: string[]; reqs: PublishRequest[] }>();
  const failures: string[] = [];
  for (const r of records) {
    const parsed = PublishRequest.safeParse(safeJson(r.body));
    if (!parsed.success) {
      // A malformed message can never succeed: drop it (logged) instead of poisoning the group.
      log.error('publish-trigger: dropping malformed message', { message_id: r.messageId });
      continue;
    }
    const key = repositoryKey(parsed.data);
    const g = groups.get(key) ?? { ids: [], reqs: [] };
    g.ids.push(r.messageId);
    g.reqs.push(parsed.data);
    groups.set(key, g);
  }
  await Promise.all(
    [...groups.values()].map(async (g) => {
      try {
        await runOne(ecs, s, mergeRequests(g.reqs));
      } catch (err) {
        log.error(`publish-trigger: run failed: ${(err as Error).message}`);
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

async function runOne(ecs: ECSClient, s: PublisherTaskSettings, req: PublishRequest): Promise<void> {
  const res = await ecs.send(
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
      overrides: { containerOverrides: [{ name: s.containerName, environment: [{ name: 'PUBLISH_REQUEST', value: JSON.stringify(req) }] }] },
    }),
  );
  const arn = res.tasks?.[0]?.taskArn;
  if (!arn) throw new Error(`RunTask started nothing: ${JSON.stringify(res.failures ?? [])}`);
  await waitUntilTasksStopped({ client: ecs, maxWaitTime: s.maxWaitSeconds }, { cluster: s.cluster, tasks: [arn] });
  const done = await ecs.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: [arn] }));
  const exit = done.tasks?.[0]?.containers?.find((c) => c.name === s.containerName)?.exitCode;
  if (exit !== 0) throw new Error(`publisher task ${arn} exited ${exit}`);
}
