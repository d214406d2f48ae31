import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { sendPublishWake, sendWake } from '../../functions/aws/sqs-queues.js';
import { systemClock } from '../../functions/core/ports.js';
import { ledgerPublishSink } from '../../functions/core/publish-ledger.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { startLocalAws, type Fauxqs } from './fauxqs.js';

describe('AWS adapters on fauxqs: S3ResultsStore and the SQS queues', () => {
  let aws: Fauxqs;
  let store: S3ResultsStore;

  beforeAll(async () => {
    aws = await startLocalAws();
    aws.server.createBucket('results');
    store = new S3ResultsStore(aws.s3, 'results');
  });
  afterAll(async () => {
    await aws?.stop();
  });

  it('puts, gets, checks and lists objects; a missing key is null / false', async () => {
    await store.put('alice/proj/fedora-44-x86_64/00000001-a/a.rpm', Buffer.from([0, 1, 2, 255]));
    await store.put('alice/proj/fedora-44-x86_64/00000001-a/builder-live.log', 'log text');
    await store.put('alice/proj/fedora-44-x86_64/00000002-b/b.rpm', 'b');
    await store.put('alice/other/x', 'x');

    expect(await store.get('alice/proj/fedora-44-x86_64/00000001-a/a.rpm')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect((await store.get('alice/proj/fedora-44-x86_64/00000001-a/builder-live.log'))?.toString()).toBe('log text');
    expect(await store.get('alice/proj/nope')).toBeNull();
    expect(await store.exists('alice/proj/fedora-44-x86_64/00000002-b/b.rpm')).toBe(true);
    expect(await store.exists('alice/proj/fedora-44-x86_64/00000002-b/missing')).toBe(false);
    expect(await store.list('alice/proj/')).toEqual([
      'alice/proj/fedora-44-x86_64/00000001-a/a.rpm',
      'alice/proj/fedora-44-x86_64/00000001-a/builder-live.log',
      'alice/proj/fedora-44-x86_64/00000002-b/b.rpm',
    ]);
  });

  it('copies an object inside the bucket; a missing source is false', async () => {
    const rpm = Buffer.from([0xed, 0xab, 0xee, 0xdb, 1, 2, 3]);
    await store.put('carol/up/fedora-44-x86_64/00000009-x/x-1-1.noarch.rpm', rpm);
    expect(await store.copy('carol/up/fedora-44-x86_64/00000009-x/x-1-1.noarch.rpm', 'carol/up/fedora-44-aarch64/00000009-x/x-1-1.noarch.rpm')).toBe(true);
    expect(await store.get('carol/up/fedora-44-aarch64/00000009-x/x-1-1.noarch.rpm')).toEqual(rpm);
    expect(await store.copy('carol/up/nope.rpm', 'carol/up/other.rpm')).toBe(false);
    expect(await store.exists('carol/up/other.rpm')).toBe(false);
  });

  it('putFile stores a staged local file (an upload) in the bucket and consumes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3-putfile-'));
    try {
      const path = join(dir, 'staged');
      const data = Buffer.alloc(64 * 1024 + 7, 0xab);
      writeFileSync(path, data);
      await store.putFile('_uploads/u1/hello-1.0-1.src.rpm', path);
      expect(await store.get('_uploads/u1/hello-1.0-1.src.rpm')).toEqual(data);
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists past one page of 1000 keys', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, k)));
    expect(await store.list('many/')).toEqual(keys);
    await store.deletePrefix('many/');
    expect(await store.list('many/')).toEqual([]);
  });

  it('deletes exactly one prefix and refuses to empty the bucket', async () => {
    await store.deletePrefix('alice/proj/fedora-44-x86_64/00000001-a/');
    expect(await store.list('alice/')).toEqual(['alice/other/x', 'alice/proj/fedora-44-x86_64/00000002-b/b.rpm']);
    await expect(store.deletePrefix('')).rejects.toThrow(/whole bucket/);
    await expect(store.deletePrefix('/')).rejects.toThrow(/whole bucket/);
    expect(await store.exists('alice/other/x')).toBe(true);
  });

  it('mints a presigned PUT that a builder can use with plain fetch', async () => {
    const key = 'alice/proj/fedora-44-x86_64/00000003-c/c-1.0-1.noarch.rpm';
    const target = await store.uploadTarget(key);
    expect(target.method).toBe('PUT');
    const url = new URL(target.url);
    expect(url.pathname).toBe(`/results/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // No checksum of the (empty) body known at signing time may be baked into the URL.
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-checksum'))).toEqual([]);

    const body = Buffer.from('package bytes '.repeat(100));
    const res = await fetch(target.url, { method: target.method, headers: target.headers, body });
    expect(res.status).toBe(200);
    expect(await store.get(key)).toEqual(body);
  });
});

describe('Queues on fauxqs SQS', () => {
  let aws: Fauxqs;

  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterAll(async () => {
    await aws?.stop();
  });

  async function receiveAll(queueUrl: string) {
    const res = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    return res.Messages ?? [];
  }

  it('sends a wake-up that says why', async () => {
    const { queueUrl } = aws.server.createQueue('dispatch');
    await sendWake(aws.sqs, queueUrl, 'api');
    const msgs = await receiveAll(queueUrl);
    expect(msgs.map((m) => JSON.parse(m.Body ?? ''))).toEqual([{ wake: 'api' }]);
  });

  it('publish requests: recorded in the ledger, then one wake-up each, grouped by repository; identical requests are not deduplicated away', async () => {
    const { queueUrl } = aws.server.createQueue('publish.fifo', { attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } });
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    const table = `sqs-ledger-${Date.now()}`;
    await ensureTable(db, table);
    const ledger = new DynamoPublishLedger(db, table);
    const publish = ledgerPublishSink(ledger, (repo, ids) => sendPublishWake(aws.sqs, queueUrl, repo, ids), systemClock);
    const req = { owner: '@grp', dirname: 'proj:pr:7', chroot: 'fedora-44-x86_64', adds: ['00000001-a'], devel: false };
    await publish(req);
    await publish({ ...req }); // the same request again (a resubmitted regenerate): kept
    await publish({ ...req, adds: ['00000002-b'] });
    await publish({ ...req, devel: true });

    const repo = { owner: '@grp', dirname: 'proj:pr:7', chroot: 'fedora-44-x86_64', devel: false };
    expect((await ledger.pending(repo, 10)).map((e) => e.request.adds)).toEqual([['00000001-a'], ['00000001-a'], ['00000002-b']]);
    expect((await ledger.pending({ ...repo, devel: true }, 10)).map((e) => e.request.adds)).toEqual([['00000001-a']]);

    // A FIFO group hands out its next message only after the previous one is deleted.
    const msgs = [];
    for (let round = 0; round < 4 && msgs.length < 4; round++) {
      const got = await receiveAll(queueUrl);
      msgs.push(...got);
      for (const m of got) await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    const got = msgs.map((m) => ({ group: m.Attributes?.MessageGroupId, body: JSON.parse(m.Body ?? '') as unknown }));
    // Four wake-ups although two bodies are identical: each carries its entry's id as deduplication id.
    expect(got.filter((g) => g.group === '@grp/proj:pr:7/fedora-44-x86_64')).toEqual(Array.from({ length: 3 }, () => ({ group: '@grp/proj:pr:7/fedora-44-x86_64', body: { repository: repo } })));
    expect(got.filter((g) => g.group === '@grp/proj:pr:7/fedora-44-x86_64/devel')).toEqual([{ group: '@grp/proj:pr:7/fedora-44-x86_64/devel', body: { repository: { ...repo, devel: true } } }]);
  });
});
