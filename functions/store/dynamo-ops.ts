import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Key } from './table.js';

/**
 * DynamoDB plumbing shared by the repositories: reading pages, conditional updates,
 * batch deletes, and turning stored items back into plain entities.
 */
export type Item = Record<string, unknown>;

const STORAGE_ATTRS = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'entity']);

/** The entity without its key and index attributes. */
export function plainItem<T>(item: Item | undefined): T | null {
  if (!item) return null;
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!STORAGE_ATTRS.has(k)) out[k] = v;
  return out as T;
}

/** A failed condition (also inside a transaction): the expected state was not there. */
export function isConditionFailure(err: unknown): boolean {
  const name = (err as Error).name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name === 'TransactionCanceledException') {
    const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    // Without reasons (some emulators) a cancelled transaction is taken as a condition failure.
    return !reasons || reasons.some((r) => r.Code === 'ConditionalCheckFailed');
  }
  return false;
}

/** Every page of a query, or the first `limit` items. */
export async function queryAll(db: DynamoDBDocumentClient, table: string, input: Omit<QueryCommandInput, 'TableName'>, limit?: number): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(
      new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start, ...(limit ? { Limit: limit - out.length } : {}) }),
    );
    out.push(...((res.Items ?? []) as Item[]));
    start = res.LastEvaluatedKey;
  } while (start && (limit === undefined || out.length < limit));
  return out;
}

/** An update that returns the new item, or null when its condition failed. */
export async function conditionalUpdate(
  db: DynamoDBDocumentClient,
  table: string,
  input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
): Promise<Item | null> {
  try {
    const res = await db.send(new UpdateCommand({ ...input, TableName: table, ReturnValues: 'ALL_NEW' }));
    return (res.Attributes as Item | undefined) ?? {};
  } catch (err) {
    if (isConditionFailure(err)) return null;
    throw err;
  }
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Key } };

/**
 * Every batch write of the store goes through here: 25 requests per call, and what
 * DynamoDB leaves unprocessed (throttling, size) is sent again with backoff until
 * nothing is left. A batch write that drops items silently is a lost write.
 */
export async function batchWrite(db: DynamoDBDocumentClient, table: string, all: WriteRequest[]): Promise<void> {
  for (let i = 0; i < all.length; i += 25) {
    let requests = all.slice(i, i + 25);
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      const res = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (res.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  }
}

/** Deletes items, 25 a call (batchWrite). */
export function batchDelete(db: DynamoDBDocumentClient, table: string, keys: Key[]): Promise<void> {
  return batchWrite(db, table, keys.map((Key) => ({ DeleteRequest: { Key } })));
}

/**
 * Reads items by key, 100 a call; keys DynamoDB leaves unprocessed (throttling) are
 * asked for again with backoff. Missing items are simply absent from the answer, in no
 * particular order.
 */
export async function batchGet(db: DynamoDBDocumentClient, table: string, keys: Key[]): Promise<Item[]> {
  const out: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      const res = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
      out.push(...((res.Responses?.[table] ?? []) as Item[]));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return out;
}
