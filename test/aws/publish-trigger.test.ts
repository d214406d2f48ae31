import { DescribeTasksCommand, ECSClient, RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runPublishBatch, type PublisherTaskSettings } from '../../functions/aws/publish-trigger.js';
import type { LogFields, Logger } from '../../functions/core/ports.js';

// ECS cannot run here: RunTask/DescribeTasks are mocked like a Fargate task that has stopped.
const ecsMock = mockClient(ECSClient);

const settings: PublisherTaskSettings = {
  cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/copr',
  taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/publisher:3',
  containerName: 'publisher',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroup: 'sg-1',
  assignPublicIp: 'DISABLED',
  maxWaitSeconds: 60,
};

function record(messageId: string, body: unknown): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1700000000000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1700000000001',
      MessageGroupId: 'g',
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:publish.fifo',
    awsRegion: 'us-east-1',
  };
}

/** RunTask starts one task per call, named after the repository; `exitCodes` decide how it ends. */
function fakeEcs(exitCodes: (req: { owner: string; dirname: string }) => number) {
  const started = new Map<string, number>();
  ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
    const env = input.overrides?.containerOverrides?.[0]?.environment?.[0]?.value ?? 'null';
    const req = JSON.parse(env) as { owner: string; dirname: string };
    const arn = `arn:aws:ecs:us-east-1:111122223333:task/copr/${req.owner}-${req.dirname}`;
    started.set(arn, exitCodes(req));
    return { tasks: [{ taskArn: arn }], failures: [] };
  });
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((arn) => ({
      taskArn: arn,
      lastStatus: 'STOPPED',
      containers: [{ name: 'sidecar', exitCode: 0 }, { name: 'publisher', exitCode: started.get(arn) }],
    })),
  }));
}

function runTaskInputs(): RunTaskCommandInput[] {
  return ecsMock
    .commandCalls(RunTaskCommand)
    .map((c) => c.args[0].input)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('Function: runPublishBatch', () => {
  afterEach(() => {
    ecsMock.reset();
    vi.restoreAllMocks();
  });

  it('starts one Fargate run per repository with the merged request', async () => {
    fakeEcs(() => 0);
    const res = await runPublishBatch(new ECSClient({ region: 'us-east-1' }), settings, [
      record('m1', { owner: 'alice', dirname: 'proj', chroot: 'fedora-44-x86_64', adds: ['00000002-b'] }),
      record('m2', { owner: 'bob', dirname: 'tools', chroot: 'epel-9-x86_64', adds: ['00000003-c'] }),
      record('m3', { owner: 'alice', dirname: 'proj', chroot: 'fedora-44-x86_64', adds: ['00000001-a'], deletes: ['00000000-z'] }),
    ]);
    expect(res).toEqual({ batchItemFailures: [] });

    const base = {
      cluster: settings.cluster,
      taskDefinition: settings.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
    };
    const env = (req: object) => ({ containerOverrides: [{ name: 'publisher', environment: [{ name: 'PUBLISH_REQUEST', value: JSON.stringify(req) }] }] });
    expect(runTaskInputs()).toEqual([
      {
        ...base,
        overrides: env({
          owner: 'alice',
          dirname: 'proj',
          chroot: 'fedora-44-x86_64',
          adds: ['00000001-a', '00000002-b'],
          deletes: ['00000000-z'],
          full: false,
          devel: false,
        }),
      },
      { ...base, overrides: env({ owner: 'bob', dirname: 'tools', chroot: 'epel-9-x86_64', adds: ['00000003-c'], deletes: [], full: false, devel: false }) },
    ]);
    // Each run is awaited until stopped and its exit code read.
    const described = ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input);
    expect(described.every((d) => d.cluster === settings.cluster)).toBe(true);
    expect(new Set(described.flatMap((d) => d.tasks ?? []))).toEqual(
      new Set(['arn:aws:ecs:us-east-1:111122223333:task/copr/alice-proj', 'arn:aws:ecs:us-east-1:111122223333:task/copr/bob-tools']),
    );
  });

  it("reports the records of a run that exited non-zero, and only those", async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    fakeEcs((req) => (req.owner === 'bob' ? 1 : 0));
    const res = await runPublishBatch(new ECSClient({ region: 'us-east-1' }), settings, [
      record('m1', { owner: 'bob', dirname: 'tools', chroot: 'epel-9-x86_64', adds: ['00000003-c'] }),
      record('m2', { owner: 'alice', dirname: 'proj', chroot: 'fedora-44-x86_64', adds: ['00000001-a'] }),
      record('m3', { owner: 'bob', dirname: 'tools', chroot: 'epel-9-x86_64', adds: ['00000004-d'] }),
    ]);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm3']);
  });

  it('fails the records when RunTask starts nothing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    const res = await runPublishBatch(new ECSClient({ region: 'us-east-1' }), settings, [
      record('m1', { owner: 'alice', dirname: 'proj', chroot: 'fedora-44-x86_64', adds: ['00000001-a'] }),
    ]);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('drops malformed messages without failing them or starting anything', async () => {
    const logged: Array<LogFields | undefined> = [];
    const log: Logger = { info: () => undefined, error: (_msg, fields) => void logged.push(fields) };
    fakeEcs(() => 0);
    const res = await runPublishBatch(
      new ECSClient({ region: 'us-east-1' }),
      settings,
      [record('bad-json', '{not json'), record('bad-shape', { owner: 'alice', dirname: '../etc', chroot: 'fedora-44-x86_64' })],
      log,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(logged.map((f) => f?.message_id)).toEqual(['bad-json', 'bad-shape']);
  });
});
