import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BuilderRecord } from '../core/builder-pool.js';
import type { Task } from '../core/build-model.js';
import { conditionalUpdate, isConditionFailure, plainItem, queryAll, type Item } from './dynamo-ops.js';
import { buildKeys as bk, INDEX, TTL_ATTRIBUTE } from './table.js';

/**
 * The table side of warm builders and of launch failures: builder records, the
 * claim of a pending task by a waiting builder, giving a claim back after a failed
 * launch, and the dispatcher's list of starved work. Used by DynamoBuildStore,
 * which owns the task items these transactions share.
 */
type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

/** A builder record outlives its last possible use by a day, then DynamoDB's TTL removes it. */
const RECORD_GRACE_S = 24 * 3600;

const expiresAt = (r: Pick<BuilderRecord, 'credential_expires'>) => Math.ceil(r.credential_expires / 1000) + RECORD_GRACE_S;

export function builderPut(table: string, record: BuilderRecord): TransactItems[number] {
  return {
    Put: {
      TableName: table,
      Item: { ...bk.builder(record.builder_id), entity: 'builder', ...record, [TTL_ATTRIBUTE]: expiresAt(record) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

async function write(db: DynamoDBDocumentClient, items: TransactItems): Promise<boolean> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

export async function getBuilder(db: DynamoDBDocumentClient, table: string, builderId: string): Promise<BuilderRecord | null> {
  const res = await db.send(new GetCommand({ TableName: table, Key: bk.builder(builderId), ConsistentRead: true }));
  const item = plainItem<BuilderRecord & Record<string, unknown>>(res.Item);
  if (!item) return null;
  const { [TTL_ATTRIBUTE]: _ttl, ...record } = item;
  return record;
}

/** Idle builders whose idle period has not ended (the rest are gone or about to be). */
export async function listIdleBuilders(db: DynamoDBDocumentClient, table: string, now: number): Promise<BuilderRecord[]> {
  const items = await queryAll(db, table, {
    IndexName: INDEX.byCollection,
    KeyConditionExpression: 'gsi2pk = :p',
    FilterExpression: 'idle_until > :now',
    ExpressionAttributeValues: { ':p': bk.idleBuildersPartition, ':now': now },
  });
  return items.map((i) => {
    const { [TTL_ATTRIBUTE]: _ttl, ...record } = plainItem<BuilderRecord & Record<string, unknown>>(i)!;
    return record;
  });
}

/** busy on `taskId` → idle until `idleUntil`; false when the builder moved on or is unknown. */
export async function builderIdle(db: DynamoDBDocumentClient, table: string, builderId: string, taskId: string, idleUntil: number): Promise<boolean> {
  const idx = bk.idleBuilder(builderId);
  const res = await conditionalUpdate(db, table, {
    Key: bk.builder(builderId),
    ConditionExpression: 'attribute_exists(pk) AND #s = :busy AND task_id = :t',
    UpdateExpression: 'SET #s = :idle, idle_until = :u, gsi2pk = :p, gsi2sk = :k',
    ExpressionAttributeNames: { '#s': 'state' },
    ExpressionAttributeValues: { ':busy': 'busy', ':t': taskId, ':idle': 'idle', ':u': idleUntil, ':p': idx.gsi2pk, ':k': idx.gsi2sk },
  });
  return res !== null;
}

/** The builder stops taking work (idle period over, yielded, or shutting down). */
export async function retireBuilder(db: DynamoDBDocumentClient, table: string, builderId: string): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: bk.builder(builderId),
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression: 'SET #s = :retired REMOVE gsi2pk, gsi2sk, idle_until',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':retired': 'retired' },
    }),
  ).catch((err: unknown) => {
    if (!isConditionFailure(err)) throw err;
  });
}

export interface WarmClaim {
  credential_hash: string;
  credential_expires: number;
  now: number;
}

/**
 * pending → starting on a waiting builder, in one transaction with the builder's
 * idle → busy (both conditional) and the owner marked served: the task is never
 * claimed by two builders, nor a builder given two tasks, nor a builder past its
 * idle period given one.
 */
export function warmClaimItems(table: string, task: Task, builder: BuilderRecord, claim: WarmClaim, pendingPrefix: string): TransactItems {
  // The isolation rule again in the write itself: the item's sandbox (or owner) must be the builder's.
  const [rule, ...rest] = builder.reuse_key.split(':');
  const fitAttr = rule === 'owner' ? 'owner' : 'sandbox';
  return [
    {
      Update: {
        TableName: table,
        Key: bk.task(task.task_id),
        ConditionExpression: '#s = :pending AND cancel_requested = :f AND begins_with(gsi3pk, :pp) AND arch = :arch AND #fit = :fit',
        UpdateExpression:
          'SET #s = :starting, heartbeat_at = :now, builder_id = :b, credential_hash = :h, credential_expires = :x REMOVE not_before, gsi3pk, gsi3sk',
        ExpressionAttributeNames: { '#s': 'state', '#fit': fitAttr },
        ExpressionAttributeValues: {
          ':fit': rest.join(':'),
          ':pending': 'pending',
          ':f': false,
          ':pp': pendingPrefix,
          ':arch': builder.arch,
          ':starting': 'starting',
          ':now': claim.now,
          ':b': builder.builder_id,
          ':h': claim.credential_hash,
          ':x': claim.credential_expires,
        },
      },
    },
    // The task is active from its claim: in no index, but marked in its ACTIVE shard (table.ts activeMarker).
    { Put: { TableName: table, Item: bk.activeMarkerItem(task.task_id, claim.now) } },
    {
      Update: {
        TableName: table,
        Key: bk.builder(builder.builder_id),
        ConditionExpression: '#s = :idle AND idle_until >= :now AND reuse_key = :rk',
        UpdateExpression: 'SET #s = :busy, task_id = :t, credential_expires = :cx, #ttl = :ttl REMOVE gsi2pk, gsi2sk, idle_until',
        ExpressionAttributeNames: { '#s': 'state', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':idle': 'idle',
          ':now': claim.now,
          ':rk': builder.reuse_key,
          ':busy': 'busy',
          ':t': task.task_id,
          ':cx': Math.max(builder.credential_expires, claim.credential_expires),
          ':ttl': expiresAt({ credential_expires: Math.max(builder.credential_expires, claim.credential_expires) }),
        },
      },
    },
    {
      Update: {
        TableName: table,
        Key: bk.ownerQueue(task.owner),
        UpdateExpression: 'SET last_served = :now',
        ExpressionAttributeValues: { ':now': claim.now },
      },
    },
  ];
}

export async function claimTaskForBuilder(db: DynamoDBDocumentClient, items: TransactItems): Promise<boolean> {
  return write(db, items);
}

/** Starved work recorded by the dispatcher (encoded StarvedWork strings), on the dispatch lock item. */
export async function setStarved(db: DynamoDBDocumentClient, table: string, entries: string[]): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: bk.dispatchLock(),
      ...(entries.length > 0
        ? { UpdateExpression: 'SET starved = :s', ExpressionAttributeValues: { ':s': new Set(entries) } }
        : { UpdateExpression: 'REMOVE starved' }),
    }),
  );
}

export async function listStarved(db: DynamoDBDocumentClient, table: string): Promise<string[]> {
  const res = await db.send(new GetCommand({ TableName: table, Key: bk.dispatchLock(), ConsistentRead: true }));
  const starved = (res.Item as Item | undefined)?.starved;
  return starved instanceof Set ? [...starved].map(String) : [];
}

/** Takes one entry out of the starved set; false when another builder took it first. */
export async function takeStarved(db: DynamoDBDocumentClient, table: string, entry: string): Promise<boolean> {
  const res = await conditionalUpdate(db, table, {
    Key: bk.dispatchLock(),
    ConditionExpression: 'contains(starved, :e)',
    UpdateExpression: 'DELETE starved :one',
    ExpressionAttributeValues: { ':e': entry, ':one': new Set([entry]) },
  });
  return res !== null;
}
