import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { startLocalService, type LocalService } from '../../functions/local/service.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { buildRpm, makeTmp, placeBuild, removeTmp } from '../publish/helpers.js';

/**
 * A build that succeeded just before the service died still reaches its repository:
 * the publish request was recorded in the ledger (the table) and is replayed at the
 * next start, the same ledger the Fargate publisher reads on AWS.
 */
let service: LocalService | null = null;
let tmp = '';

afterAll(async () => {
  await service?.stop();
  if (tmp) await removeTmp(tmp);
});

describe('publish ledger replay (npm start)', () => {
  it('publishes a request left in the ledger from before a crash at start-up, and marks it done', async () => {
    tmp = await makeTmp('copr-replay-');
    const dataDir = join(tmp, 'data');
    const tableName = `t-${randomUUID()}`;
    const chrootDir = join(dataDir, 'results', 'alice', 'demo', 'fedora-44-x86_64');
    const { rpm } = await buildRpm(tmp, 'survivor');
    await placeBuild(chrootDir, '00000007-survivor', [rpm]);
    // What the dying process had recorded before it could publish.
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    await ensureTable(db, tableName);
    const ledger = new DynamoPublishLedger(db, tableName);
    const repo = { owner: 'alice', dirname: 'demo', chroot: 'fedora-44-x86_64', devel: false };
    await ledger.record({ ...repo, adds: ['00000007-survivor'] }, Date.now());
    let sys: LocalBuildSystem | undefined;
    service = await startLocalService({
      dataDir,
      port: 0,
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
      tableName,
      plugins: [buildsPlugin({ onReady: (s) => (sys = s) })],
    });
    await sys!.publisher.idle();
    expect(existsSync(join(chrootDir, 'repodata', 'repomd.xml'))).toBe(true);
    const res = await fetch(`${service.url}/results/alice/demo/fedora-44-x86_64/repodata/repomd.xml`);
    expect(res.status).toBe(200);
    // Done: nothing left to replay, and no lease left behind.
    expect(await ledger.pending(repo, 10)).toEqual([]);
    expect(await ledger.leaseOf(repo)).toBeNull();
  });
});
