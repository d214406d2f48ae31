import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurablePublishRequests } from '../../functions/adapters/durable-publish-requests.js';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { startLocalService, type LocalService } from '../../functions/local/service.js';
import { buildRpm, makeTmp, placeBuild, removeTmp } from '../publish/helpers.js';

/**
 * A build that succeeded just before the service died still reaches its repository:
 * the publish request was recorded on disk and is replayed at the next start.
 */
let service: LocalService | null = null;
let tmp = '';

afterAll(async () => {
  await service?.stop();
  if (tmp) await removeTmp(tmp);
});

describe('durable publish requests (npm start)', () => {
  it('records, confirms and lists requests', async () => {
    tmp = await makeTmp('copr-replay-');
    const d = new DurablePublishRequests(join(tmp, 'unit'));
    const done = d.record({ owner: 'a', dirname: 'p', chroot: 'fedora-44-x86_64', adds: ['00000001-x'] });
    d.record({ owner: 'a', dirname: 'p', chroot: 'fedora-44-x86_64', adds: ['00000002-y'] });
    expect(d.pending().map((p) => p.req.adds)).toEqual([['00000001-x'], ['00000002-y']]);
    done();
    expect(d.pending().map((p) => p.req.adds)).toEqual([['00000002-y']]);
  });

  it('replays a request left from before a crash at start-up', async () => {
    const dataDir = join(tmp, 'data');
    const chrootDir = join(dataDir, 'results', 'alice', 'demo', 'fedora-44-x86_64');
    const { rpm } = await buildRpm(tmp, 'survivor');
    await placeBuild(chrootDir, '00000007-survivor', [rpm]);
    // What the dying process had written before it could publish.
    new DurablePublishRequests(join(dataDir, 'publish-requests')).record({
      owner: 'alice',
      dirname: 'demo',
      chroot: 'fedora-44-x86_64',
      adds: ['00000007-survivor'],
    });
    let sys: LocalBuildSystem | undefined;
    service = await startLocalService({
      dataDir,
      port: 0,
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
      tableName: `t-${randomUUID()}`,
      plugins: [buildsPlugin({ onReady: (s) => (sys = s) })],
    });
    await sys!.publisher.idle();
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(chrootDir, 'repodata', 'repomd.xml')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(chrootDir, 'repodata', 'repomd.xml'))).toBe(true);
    const res = await fetch(`${service.url}/results/alice/demo/fedora-44-x86_64/repodata/repomd.xml`);
    expect(res.status).toBe(200);
    // Confirmed: nothing left to replay.
    const left = () => readdirSync(join(dataDir, 'publish-requests')).filter((f) => f.endsWith('.json'));
    const until = Date.now() + 10_000;
    while (left().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(left()).toEqual([]);
  });
});
