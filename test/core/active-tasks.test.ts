import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ACTIVE_SHARDS, buildKeys } from '../../functions/store/table.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/**
 * The active-task index without a hot key (table.ts activeMarker): against DynamoDB
 * Local, a heartbeat writes the task's own item and nothing else, the claim spreads
 * markers over the shards, and finish/requeue take them away again.
 */
let db: DynamoDBDocumentClient;
let table: string;
let builds: DynamoBuildStore;
/** Every command the store sent (they still go to DynamoDB Local). */
const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
const now = 5_000_000;

beforeAll(async () => {
  const real = documentClient(process.env.DYNAMODB_ENDPOINT);
  table = `t-${randomUUID()}`;
  await ensureTable(real, table);
  db = real;
  const recording = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  builds = new DynamoBuildStore(recording, table);
});

let nextId = 1;
async function claimedTask(): Promise<string> {
  const b: Build = newBuild(nextId++, 'alice', 'p', { source_type: 'link', submitter: 'alice', timeout: 3600 });
  const task = newTask(b, null, 'x86_64', now);
  await builds.createBuild(b, [], [task], null);
  const claim = { builder_id: `b-${task.task_id}`, credential_hash: 'ab', credential_expires: now + 3_600_000, now };
  expect(await builds.claimTask(task.task_id, claim)).toBe(true);
  return task.task_id;
}

async function rawTask(taskId: string): Promise<Record<string, unknown>> {
  const res = await db.send(new GetCommand({ TableName: table, Key: buildKeys.task(taskId), ConsistentRead: true }));
  return res.Item ?? {};
}

async function markers(): Promise<string[]> {
  const out: string[] = [];
  for (let shard = 0; shard < ACTIVE_SHARDS; shard++) {
    const res = await db.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': buildKeys.activeShardPartition(shard) } }),
    );
    out.push(...(res.Items ?? []).map((i) => String(i.sk)));
  }
  return out.sort();
}

describe('active tasks without a hot key', () => {
  it('a heartbeat writes only the task item, which is in no index while the task is active', async () => {
    const taskId = await claimedTask();
    expect(await builds.markTaskRunning(taskId, now + 1)).toBe(true);
    const indexAttrs = (item: Record<string, unknown>) => Object.keys(item).filter((k) => k.startsWith('gsi'));
    expect(indexAttrs(await rawTask(taskId))).toEqual([]);

    sent.length = 0;
    const beat = await builds.heartbeat(taskId, now + 20_000);
    expect(beat?.heartbeat_at).toBe(now + 20_000);
    // One UpdateItem on the task's own key, touching no key or index attribute.
    expect(sent.map((c) => c.name)).toEqual(['UpdateCommand']);
    expect(sent[0]?.input.Key).toEqual(buildKeys.task(taskId));
    expect(String(sent[0]?.input.UpdateExpression)).toBe('SET heartbeat_at = :now');
    expect(indexAttrs(await rawTask(taskId))).toEqual([]);
    expect((await builds.listActiveTasks()).find((t) => t.task_id === taskId)?.heartbeat_at).toBe(now + 20_000);
  });

  it('claims spread markers over the shards; finish and requeue remove them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push(await claimedTask());
    const shardsUsed = new Set(ids.map((id) => buildKeys.activeMarker(id).pk));
    expect(shardsUsed.size).toBeGreaterThan(ACTIVE_SHARDS / 2);
    expect(await markers()).toEqual(expect.arrayContaining(ids));
    const active = (await builds.listActiveTasks()).map((t) => t.task_id);
    expect(active).toEqual(expect.arrayContaining(ids));

    const [done, lost, ...rest] = ids as [string, string, ...string[]];
    expect(await builds.finishTask(done, 'succeeded', ['starting', 'running'])).toBe(true);
    const lostTask = await builds.getTask(lost);
    expect(await builds.requeueTask(lost, lostTask?.heartbeat_at ?? null)).toBe(true);
    const after = await markers();
    expect(after).not.toContain(done);
    expect(after).not.toContain(lost);
    expect(after).toEqual(expect.arrayContaining(rest));
    const stillActive = (await builds.listActiveTasks()).map((t) => t.task_id);
    expect(stillActive).not.toContain(done);
    expect(stillActive).not.toContain(lost);
    // The requeued task is back in its owner's queue (an index it leaves again when claimed).
    expect((await builds.listPendingTasks('alice', 100)).map((t) => t.task_id)).toContain(lost);
    expect(Object.keys(await rawTask(lost))).toContain('gsi3pk');
    // A second finish of the same task is refused, as before.
    expect(await builds.finishTask(done, 'failed', ['starting', 'running'])).toBe(false);
  });
});
