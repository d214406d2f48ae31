import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ECSClient, RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPublishBatch, type PublishTriggerDeps } from '../../functions/aws/publish-trigger.js';
import { publishFromLedger, type PublisherTaskDeps } from '../../functions/aws/publisher-task.js';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { sendPublishWake } from '../../functions/aws/sqs-queues.js';
import type { PublishRepository } from '../../functions/core/ports.js';
import { ledgerPublishSink, wakeStalePublishes } from '../../functions/core/publish-ledger.js';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { KmsKeyStore } from '../../functions/publish/kms-key-store.js';
import { spawnRunner, type ProcessRunner } from '../../functions/publish/process-runner.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { DynamoSigningKeys } from '../../functions/store/dynamo-signing-keys.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { buildRpm, makeTmp, primaryLocations, removeTmp, run } from '../publish/helpers.js';
import { fakeKms, type FakeKms } from './fake-kms.js';
import { startLocalAws, type Fauxqs } from './fauxqs.js';
import { sqsRecord } from './sqs-record.js';

const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/publisher';
const CHROOT = 'fedora-44-x86_64';
// ECS cannot run here: RunTask is mocked and starts the container's code in-process
// (publishFromLedger, as functions/handlers/publisher-task.ts does) with the
// environment the trigger gave it. S3 and SQS are fauxqs, the ledger DynamoDB Local,
// signing and createrepo_c real; only KMS is faked.
const ecsMock = mockClient(ECSClient);

/**
 * The AWS publish path end to end: API-side sink (ledger + FIFO wake-up) → SQS →
 * trigger → RunTask → publisher container draining the ledger under the lease.
 */
describe('publish ledger on the AWS path (fauxqs, DynamoDB Local, createrepo_c)', () => {
  let tmp: string;
  let aws: Fauxqs;
  let kms: FakeKms;
  let results: S3ResultsStore;
  let ledger: DynamoPublishLedger;
  let queueUrl: string;
  let now = 1_800_000_000_000;
  const clock = { now: () => now };
  let rpms: Record<string, { rpm: string; srpm: string }>;
  const signers: GpgSigner[] = [];
  /** Runs of the fake Fargate tasks still going. */
  const tasks: Promise<unknown>[] = [];
  let taskCount = 0;
  /** createrepo_c runs per repository at this moment, and the most ever seen. */
  const running = new Map<string, number>();
  let maxParallelOnOneRepo = 0;
  let gate: Promise<void> | null = null;

  /** A ProcessRunner that counts overlapping createrepo_c runs per repository and can be held. */
  const watchingRunner: ProcessRunner = {
    async run(cmd, args, opts) {
      if (cmd !== 'createrepo_c') return spawnRunner.run(cmd, args, opts);
      // The mirror's chroot dir: <work dir>/mirror/<owner>/<dirname>/<chroot>.
      const repo = String(args[0]).split('/mirror/')[1] ?? String(args[0]);
      running.set(repo, (running.get(repo) ?? 0) + 1);
      maxParallelOnOneRepo = Math.max(maxParallelOnOneRepo, running.get(repo) ?? 0);
      try {
        if (gate) await gate;
        return await spawnRunner.run(cmd, args, opts);
      } finally {
        running.set(repo, (running.get(repo) ?? 1) - 1);
      }
    },
  };

  function taskDeps(): PublisherTaskDeps {
    const workDir = join(tmp, `task-${++taskCount}`);
    const signer = new GpgSigner({ keysDir: join(workDir, 'keys'), keyLength: 2048 });
    signers.push(signer);
    return {
      results,
      signingKeys: new DynamoSigningKeys(documentClient(process.env.DYNAMODB_ENDPOINT), tableName),
      keys: new KmsKeyStore(kms.client, KEY_ID),
      signer,
      run: watchingRunner,
      clock,
      workDir,
      resultsBaseUrl: 'https://results.example/results',
    };
  }
  let tableName = '';
  let trigger: PublishTriggerDeps;
  const runTasks: RunTaskCommandInput[] = [];

  beforeAll(async () => {
    tmp = await makeTmp('aws-ledger');
    aws = await startLocalAws();
    aws.server.createBucket('results');
    results = new S3ResultsStore(aws.s3, 'results');
    queueUrl = aws.server.createQueue('publish.fifo', { attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }).queueUrl;
    kms = fakeKms(KEY_ID);
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    tableName = `ledger-${Date.now()}`;
    await ensureTable(db, tableName);
    ledger = new DynamoPublishLedger(db, tableName);
    const names = ['pkga', 'pkgb', 'pkgc', 'pkgd'];
    const built = await Promise.all(names.map((n) => buildRpm(tmp, n)));
    rpms = Object.fromEntries(names.map((n, i) => [n, built[i]!]));
    ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      runTasks.push(input);
      const env = Object.fromEntries((input.overrides?.containerOverrides?.[0]?.environment ?? []).map((e) => [e.name ?? '', e.value ?? '']));
      const arn = `arn:aws:ecs:us-east-1:111122223333:task/copr/${runTasks.length}`;
      // Fargate runs the container on its own; RunTask returns at once.
      tasks.push(publishFromLedger({ repository: env.PUBLISH_REPOSITORY ?? '', holder: env.PUBLISH_LEASE_HOLDER ?? '', ledger, leaseMs: 60_000 }, taskDeps()));
      return { tasks: [{ taskArn: arn }], failures: [] };
    });
    trigger = { ecs: new ECSClient({ region: 'us-east-1' }), ledger, clock, settings: { cluster: 'c', taskDefinition: 'td', containerName: 'publisher', subnets: ['s'], assignPublicIp: 'DISABLED', startLeaseMs: 600_000 }, log: { info: () => undefined, error: () => undefined } };
  }, 180_000);
  afterAll(async () => {
    ecsMock.reset();
    await Promise.allSettled(tasks);
    await Promise.all(signers.map((s) => s.close()));
    kms?.mock.restore();
    await aws?.stop();
    if (tmp) await removeTmp(tmp);
  });

  const request = () => ledgerPublishSink(ledger, (repo, ids) => sendPublishWake(aws.sqs, queueUrl, repo, ids), clock);

  /** Delivers what the FIFO queue holds to the trigger, as the Lambda event source does (one batch per receive). */
  async function deliver(): Promise<number> {
    let n = 0;
    for (;;) {
      const res = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 0 }));
      const msgs = res.Messages ?? [];
      if (msgs.length === 0) return n;
      const out = await runPublishBatch(trigger, msgs.map((m) => sqsRecord(m.MessageId ?? '', m.Body ?? '')));
      expect(out.batchItemFailures).toEqual([]);
      for (const m of msgs) await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      n += msgs.length;
    }
  }

  async function settle(): Promise<void> {
    while (tasks.length > 0) await tasks.shift();
  }

  async function uploadBuild(repo: PublishRepository, dir: string, pkg: string): Promise<void> {
    const files = rpms[pkg]!;
    for (const f of [files.rpm, files.srpm]) await results.put(`${repo.owner}/${repo.dirname}/${repo.chroot}/${dir}/${f.slice(f.lastIndexOf('/') + 1)}`, await readFile(f));
  }

  async function published(repo: PublishRepository, name: string): Promise<string[]> {
    const dir = join(tmp, name, 'repodata');
    await run('mkdir', ['-p', dir]);
    for (const key of await results.list(`${repo.owner}/${repo.dirname}/${repo.chroot}/repodata/`)) {
      await writeFile(join(dir, key.slice(key.lastIndexOf('/') + 1)), (await results.get(key)) ?? '');
    }
    return primaryLocations(dir);
  }

  it('a publish request larger than 8 KiB is published: the ledger holds it, the task override names only the repository', async () => {
    const repo: PublishRepository = { owner: 'alice', dirname: 'big', chroot: CHROOT, devel: false };
    await uploadBuild(repo, '00000001-pkga', 'pkga');
    await uploadBuild(repo, '00000002-pkgb', 'pkgb');
    // A mass rebuild's worth of build dirs, most of them deleted again before publishing.
    const gone = Array.from({ length: 200 }, (_, i) => `${String(1000 + i).padStart(8, '0')}-a-rather-long-package-name-of-a-mass-rebuild`);
    const adds = ['00000001-pkga', '00000002-pkgb', ...gone];
    expect(JSON.stringify({ ...repo, adds }).length).toBeGreaterThan(8 * 1024);
    await request()({ ...repo, adds });
    expect((await ledger.pending(repo, 100)).length).toBe(1);

    expect(await deliver()).toBe(1);
    await settle();
    expect(runTasks).toHaveLength(1);
    const override = JSON.stringify(runTasks[0]?.overrides);
    expect(override.length).toBeLessThan(1024);
    expect(await published(repo, 'big')).toEqual([
      '00000001-pkga/pkga-1.0-1.noarch.rpm',
      '00000001-pkga/pkga-1.0-1.src.rpm',
      '00000002-pkgb/pkgb-1.0-1.noarch.rpm',
      '00000002-pkgb/pkgb-1.0-1.src.rpm',
    ]);
    expect(await ledger.pending(repo, 10)).toEqual([]);
    expect(await ledger.leaseOf(repo)).toBeNull();
  }, 240_000);

  it('two wake-ups for one repository while its run works: one run at a time, one task, nothing lost; a duplicate wake-up changes nothing', async () => {
    const repo: PublishRepository = { owner: 'alice', dirname: 'busy', chroot: CHROOT, devel: false };
    runTasks.length = 0;
    maxParallelOnOneRepo = 0;
    let open: () => void = () => undefined;
    gate = new Promise<void>((r) => (open = r));
    await uploadBuild(repo, '00000011-pkga', 'pkga');
    await request()({ ...repo, adds: ['00000011-pkga'] });
    await deliver();
    expect(runTasks).toHaveLength(1);
    // The run is inside createrepo_c now; two more builds finish meanwhile, one of them twice (identical requests).
    await expect.poll(() => running.get(`${repo.owner}/${repo.dirname}/${repo.chroot}`) ?? 0, { timeout: 60_000 }).toBe(1);
    await uploadBuild(repo, '00000012-pkgb', 'pkgb');
    await uploadBuild(repo, '00000013-pkgc', 'pkgc');
    await request()({ ...repo, adds: ['00000012-pkgb'] });
    await request()({ ...repo, adds: ['00000013-pkgc'] });
    await request()({ ...repo, adds: ['00000013-pkgc'] });
    expect(await deliver()).toBe(3);
    expect(runTasks).toHaveLength(1); // the lease is held: no second task
    gate = null;
    open();
    await settle();
    expect(maxParallelOnOneRepo).toBe(1);
    expect(runTasks).toHaveLength(1);
    expect(await published(repo, 'busy')).toEqual([
      '00000011-pkga/pkga-1.0-1.noarch.rpm',
      '00000011-pkga/pkga-1.0-1.src.rpm',
      '00000012-pkgb/pkgb-1.0-1.noarch.rpm',
      '00000012-pkgb/pkgb-1.0-1.src.rpm',
      '00000013-pkgc/pkgc-1.0-1.noarch.rpm',
      '00000013-pkgc/pkgc-1.0-1.src.rpm',
    ]);
    expect(await ledger.pending(repo, 10)).toEqual([]);

    // The same wake-up once more (SQS delivers at least once): nothing pending, nothing started, nothing changed.
    const repomd = (await results.get(`${repo.owner}/${repo.dirname}/${repo.chroot}/repodata/repomd.xml`))?.toString();
    await sendPublishWake(aws.sqs, queueUrl, repo, ['a-duplicate']);
    expect(await deliver()).toBe(1);
    await settle();
    expect(runTasks).toHaveLength(1);
    expect((await results.get(`${repo.owner}/${repo.dirname}/${repo.chroot}/repodata/repomd.xml`))?.toString()).toBe(repomd);
  }, 240_000);

  it('maintenance wakes the publisher for entries whose wake-up was lost, not for a repository a live run holds', async () => {
    const repo: PublishRepository = { owner: 'bob', dirname: 'lost', chroot: CHROOT, devel: false };
    const held: PublishRepository = { owner: 'bob', dirname: 'held', chroot: CHROOT, devel: false };
    runTasks.length = 0;
    await uploadBuild(repo, '00000021-pkgd', 'pkgd');
    // Recorded, but the wake-up never made it (the sender crashed between the two).
    await ledger.record({ ...repo, adds: ['00000021-pkgd'] }, now);
    await ledger.record({ ...held, adds: ['00000022-x'] }, now);
    const wake = (r: PublishRepository, ids: readonly string[]) => sendPublishWake(aws.sqs, queueUrl, r, ids);
    const stale = { ledger, wake, clock, staleAfterMs: 10 * 60_000 };
    expect(await wakeStalePublishes(stale)).toEqual([]); // not stale yet
    now += 11 * 60_000;
    expect(await ledger.acquireLease(held, 'run-live', now, 5 * 60_000)).toBe(true);
    expect(await wakeStalePublishes(stale)).toEqual(['bob/lost/fedora-44-x86_64']);
    expect(await deliver()).toBe(1);
    await settle();
    expect(await published(repo, 'lost')).toEqual(['00000021-pkgd/pkgd-1.0-1.noarch.rpm', '00000021-pkgd/pkgd-1.0-1.src.rpm']);
    expect(await ledger.pending(repo, 10)).toEqual([]);
    expect(await wakeStalePublishes(stale)).toEqual([]);
  }, 240_000);
});
