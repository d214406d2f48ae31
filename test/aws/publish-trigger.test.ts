import { ECSClient, RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPublishBatch, type PublisherTaskSettings, type PublishTriggerDeps } from '../../functions/aws/publish-trigger.js';
import type { LogFields, Logger, PublishRepository } from '../../functions/core/ports.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { sqsRecord } from './sqs-record.js';

// ECS cannot run here: RunTask is mocked, and every call's exact input is asserted.
// The ledger and its leases are real (DynamoDB Local).
const ecsMock = mockClient(ECSClient);

const settings: PublisherTaskSettings = {
  cluster: 'arn:aws:ecs:us-east-1:111122223333:cluster/copr',
  taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/publisher:3',
  containerName: 'publisher',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroup: 'sg-1',
  assignPublicIp: 'DISABLED',
  startLeaseMs: 600_000,
};

const alice: PublishRepository = { owner: 'alice', dirname: 'proj', chroot: 'fedora-44-x86_64', devel: false };
const bob: PublishRepository = { owner: 'bob', dirname: 'tools', chroot: 'epel-9-x86_64', devel: false };

function runTaskInputs(): RunTaskCommandInput[] {
  return ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
}

/** The environment a RunTask gave the publisher container. */
function envOf(input: RunTaskCommandInput): Record<string, string> {
  const o = input.overrides?.containerOverrides?.[0];
  expect(o?.name).toBe('publisher');
  return Object.fromEntries((o?.environment ?? []).map((e) => [e.name ?? '', e.value ?? '']));
}

describe('Function: runPublishBatch', () => {
  let ledger: DynamoPublishLedger;
  let now = 1_800_000_000_000;
  const clock = { now: () => now };
  let deps: PublishTriggerDeps;
  const quiet: Logger = { info: () => undefined, error: () => undefined };

  beforeAll(async () => {
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    const table = `trigger-${Date.now()}`;
    await ensureTable(db, table);
    ledger = new DynamoPublishLedger(db, table);
    deps = { ecs: new ECSClient({ region: 'us-east-1' }), ledger, clock, settings, log: quiet };
  });
  afterEach(() => {
    ecsMock.reset();
    vi.restoreAllMocks();
    now += 3_600_000; // every test starts with all leases of the previous ones run out
  });

  it('takes the lease and starts one task per repository, without waiting for it, with only the repository and the holder', async () => {
    ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => ({ tasks: [{ taskArn: `arn:task/${envOf(input).PUBLISH_LEASE_HOLDER}` }], failures: [] }));
    await ledger.record({ ...alice, adds: ['00000001-a'] }, now);
    await ledger.record({ ...alice, adds: ['00000002-b'] }, now);
    await ledger.record({ ...bob, adds: ['00000003-c'] }, now);
    const res = await runPublishBatch(deps, [
      sqsRecord('m1', { repository: alice }),
      sqsRecord('m2', { repository: bob }),
      sqsRecord('m3', { repository: alice }),
    ]);
    expect(res).toEqual({ batchItemFailures: [] });

    const inputs = runTaskInputs();
    expect(inputs).toHaveLength(2);
    const byRepo = new Map(inputs.map((i) => [envOf(i).PUBLISH_REPOSITORY, i]));
    for (const repo of [alice, bob]) {
      const input = byRepo.get(JSON.stringify(repo));
      expect(input).toEqual({
        cluster: settings.cluster,
        taskDefinition: settings.taskDefinition,
        launchType: 'FARGATE',
        count: 1,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
        overrides: {
          containerOverrides: [
            {
              name: 'publisher',
              environment: [
                { name: 'PUBLISH_REPOSITORY', value: JSON.stringify(repo) },
                { name: 'PUBLISH_LEASE_HOLDER', value: expect.stringMatching(/^run-[0-9a-f-]{36}$/) },
              ],
            },
          ],
        },
      });
      // The lease is the task's now: held by the holder the container was given, for the start-up time.
      expect(await ledger.leaseOf(repo)).toEqual({ holder: envOf(input!).PUBLISH_LEASE_HOLDER, until: now + settings.startLeaseMs });
    }
  });

  it('starts nothing while a run holds the lease, and drops the wake-up (the run reads the ledger before it lets go)', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }], failures: [] });
    await ledger.record({ ...alice, adds: ['00000004-d'] }, now);
    expect(await ledger.acquireLease(alice, 'run-busy', now, 60_000)).toBe(true);
    const res = await runPublishBatch(deps, [sqsRecord('m1', { repository: alice })]);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(runTaskInputs()).toHaveLength(0);
    expect((await ledger.leaseOf(alice))?.holder).toBe('run-busy');
  });

  it('starts nothing for a wake-up whose entries a run already published (a duplicate wake-up)', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }], failures: [] });
    const pending = await ledger.pending(alice, 100);
    await ledger.markDone(alice, pending, now);
    const res = await runPublishBatch(deps, [sqsRecord('dup', { repository: alice })]);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(runTaskInputs()).toHaveLength(0);
    // No lease taken for it: the (run-out) one of the previous run is all there is.
    expect((await ledger.leaseOf(alice))?.holder).toBe('run-busy');
  });

  it('fails the records and lets the lease go when RunTask starts nothing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    await ledger.record({ ...bob, adds: ['00000005-e'] }, now);
    const res = await runPublishBatch(deps, [sqsRecord('m1', { repository: bob }), sqsRecord('m2', { repository: bob })]);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    expect(runTaskInputs()).toHaveLength(1);
    expect(await ledger.leaseOf(bob)).toBeNull();
    expect((await ledger.pending(bob, 100)).map((e) => e.request.adds)).toContainEqual(['00000005-e']);
  });

  it('records a request sent before the ledger existed (in flight over a deploy), then starts its run', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/legacy' }], failures: [] });
    const carol: PublishRepository = { owner: 'carol', dirname: 'old', chroot: 'fedora-44-x86_64', devel: false };
    const res = await runPublishBatch(deps, [sqsRecord('legacy', { owner: 'carol', dirname: 'old', chroot: 'fedora-44-x86_64', adds: ['00000009-z'] })]);
    expect(res).toEqual({ batchItemFailures: [] });
    expect((await ledger.pending(carol, 10)).map((e) => e.request.adds)).toEqual([['00000009-z']]);
    expect(runTaskInputs().map((i) => envOf(i).PUBLISH_REPOSITORY)).toEqual([JSON.stringify(carol)]);
  });

  it('drops malformed messages without failing them or starting anything', async () => {
    const logged: Array<LogFields | undefined> = [];
    const log: Logger = { info: () => undefined, error: (_msg, fields) => void logged.push(fields) };
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:task/x' }], failures: [] });
    const res = await runPublishBatch({ ...deps, log }, [
      sqsRecord('bad-json', '{not json'),
      sqsRecord('bad-shape', { repository: { owner: 'alice', dirname: '../etc', chroot: 'fedora-44-x86_64', devel: false } }),
    ]);
    expect(res).toEqual({ batchItemFailures: [] });
    expect(runTaskInputs()).toHaveLength(0);
    expect(logged.map((f) => f?.message_id)).toEqual(['bad-json', 'bad-shape']);
  });
});
