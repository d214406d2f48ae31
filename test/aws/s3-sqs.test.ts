import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { sendPublish, sendWake } from '../../functions/aws/sqs-queues.js';
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

  it('publishes to the FIFO queue grouped by repository and drops an identical duplicate', async () => {
    const { queueUrl } = aws.server.createQueue('publish.fifo', { attributes: { FifoQueue: 'true' } });
    const req = { owner: '@grp', dirname: 'proj:pr:7', chroot: 'fedora-44-x86_64', adds: ['00000001-a'] };
    await sendPublish(aws.sqs, queueUrl, req);
    await sendPublish(aws.sqs, queueUrl, { ...req }); // same body: deduplicated
    await sendPublish(aws.sqs, queueUrl, { ...req, adds: ['00000002-b'] });
    await sendPublish(aws.sqs, queueUrl, { ...req, devel: true });

    // A FIFO group hands out its next message only after the previous one is deleted.
    const first = await receiveAll(queueUrl);
    expect(first.map((m) => m.Attributes?.MessageGroupId).sort()).toEqual(['@grp/proj:pr:7/fedora-44-x86_64', '@grp/proj:pr:7/fedora-44-x86_64/devel']);
    const msgs = [...first];
    for (const m of first) await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    msgs.push(...(await receiveAll(queueUrl)));
    const got = msgs.map((m) => ({ group: m.Attributes?.MessageGroupId, body: JSON.parse(m.Body ?? '') as unknown }));
    expect(got).toHaveLength(3);
    expect(got).toEqual(
      expect.arrayContaining([
        { group: '@grp/proj:pr:7/fedora-44-x86_64', body: req },
        { group: '@grp/proj:pr:7/fedora-44-x86_64', body: { ...req, adds: ['00000002-b'] } },
        { group: '@grp/proj:pr:7/fedora-44-x86_64/devel', body: { ...req, devel: true } },
      ]),
    );
    // Within a group, FIFO order holds.
    const plain = got.filter((g) => g.group === '@grp/proj:pr:7/fedora-44-x86_64').map((g) => (g.body as { adds: string[] }).adds[0]);
    expect(plain).toEqual(['00000001-a', '00000002-b']);
  });
});
