import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectDefaults } from '../../functions/core/projects.js';
import type { Project } from '../../functions/core/model.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Project search at 10,000 projects through the real HTTP route: the token index
 * answers with one Query per search word (plus the per-result reads of the
 * response), never a Scan and never a walk over the project collection.
 */
const N = 10_000;
/**
 * One-letter owners: below the 2-character token minimum, so each project costs two
 * items (its row and its name token). DynamoDB Local writes ~1,000 items/s, and the
 * seeding dominates this file's run time; the search path is the same either way.
 */
const owner = (i: number) => String.fromCharCode(97 + (i % 26));
const needles = [7, 2507, 5007, 7507];

function project(i: number): Project {
  return {
    ...projectDefaults(owner(i), `p${i}`, 1_800_000_000, i + 1),
    // Every 2,500th project is findable by the rare words.
    description: i % 2500 === 7 ? 'needle haystack' : null,
  };
}

describe('project search at scale', () => {
  let t: TestService;
  const commands: string[] = [];
  let recording = false;
  let db: DynamoDBDocumentClient;
  let originalSend: DynamoDBDocumentClient['send'];

  beforeAll(async () => {
    t = await startTestService();
    // The service's own DocumentClient (one per endpoint and process): record what it sends.
    db = documentClient(process.env.DYNAMODB_ENDPOINT);
    originalSend = db.send;
    const wrapped = function (this: DynamoDBDocumentClient, ...args: Parameters<DynamoDBDocumentClient['send']>) {
      if (recording) commands.push((args[0] as object).constructor.name);
      return (originalSend as (...a: unknown[]) => unknown).apply(this, args);
    };
    // Replaced on the instance only, restored in afterAll.
    db.send = wrapped as DynamoDBDocumentClient['send'];
    const store = t.service.ctx.store;
    if (!(store instanceof DynamoStore)) throw new Error('the local service should use DynamoStore');
    await store.importProjects(Array.from({ length: N }, (_, i) => project(i)), 32);
  }, 120_000);

  afterAll(async () => {
    if (db) db.send = originalSend;
    await t?.stop();
  });

  async function search(query: string) {
    commands.length = 0;
    recording = true;
    try {
      const res = await t.anon.get<{ items: Array<{ full_name: string }> }>('project/search', { query });
      expect(res.status).toBe(200);
      return { names: res.body.items.map((i) => i.full_name).sort(), commands: [...commands] };
    } finally {
      recording = false;
    }
  }

  it('finds the few matching projects with a handful of Queries and no Scan', async () => {
    const one = await search('needle');
    expect(one.names).toEqual(needles.map((i) => `${owner(i)}/p${i}`).sort());
    expect(one.commands).not.toContain('ScanCommand');
    // 1 token Query, then per result its chroots (Query) and its row (GetItem).
    expect(one.commands.filter((c) => c === 'QueryCommand').length).toBeLessThanOrEqual(1 + one.names.length);
    expect(one.commands.filter((c) => c === 'GetCommand').length).toBeLessThanOrEqual(one.names.length);

    const two = await search('haystack needle');
    expect(two.names).toEqual(one.names);
    expect(two.commands).not.toContain('ScanCommand');
    expect(two.commands.filter((c) => c === 'QueryCommand').length).toBeLessThanOrEqual(2 + two.names.length);

    const exact = await search('p9999');
    expect(exact.names).toEqual([`${owner(9999)}/p9999`]);
    expect(exact.commands).not.toContain('ScanCommand');
    expect(exact.commands.length).toBeLessThanOrEqual(4);

    const none = await search('nothing-like-this');
    expect(none.names).toEqual([]);
    expect(none.commands).toEqual(['QueryCommand']);
  });

  it('the import wrote every project with its index entries', async () => {
    const store = t.service.ctx.store;
    expect(await store.getProjectById(1)).toMatchObject({ ownername: 'a', name: 'p0' });
    expect(await store.getProjectById(N)).toMatchObject({ ownername: owner(N - 1), name: `p${N - 1}` });
    expect((await store.listProjectsByOwner('q')).length).toBe(Array.from({ length: N }, (_, i) => owner(i)).filter((o) => o === 'q').length);
    expect((await store.findProjectsByTokens(['p4242'])).map((p) => p.ownername)).toEqual([owner(4242)]);
  });
});
