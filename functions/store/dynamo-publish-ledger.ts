import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { publishRepositoryKey, repositoryOf } from '../core/publish-ledger.js';
import type { LedgerEntry, PublishLedger, PublishRepository, PublishRequest } from '../core/ports.js';
import { isConditionFailure, queryAll, type Item } from './dynamo-ops.js';
import { INDEX, publishKeys, TTL_ATTRIBUTE } from './table.js';

/** Build dirs per entry: keeps an item far below DynamoDB's 400 KB whatever a prune asks for. */
export const NAMES_PER_ENTRY = 500;
/** Done entries stay this long for inspection, then TTL removes them. */
const DONE_KEPT_S = 3 * 86_400;
/** Entries moved to done per transaction (two writes each; a transaction takes 100). */
const DONE_PER_TRANSACTION = 25;

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** One request as entries of at most NAMES_PER_ENTRY build dirs; merged back by the publisher. */
export function splitRequest(req: PublishRequest): PublishRequest[] {
  const adds = chunks(req.adds, NAMES_PER_ENTRY);
  const deletes = chunks(req.deletes ?? [], NAMES_PER_ENTRY);
  if (adds.length + deletes.length <= 1) return [req];
  const base = { ...req, adds: [], deletes: [] };
  return [...adds.map((a) => ({ ...base, adds: a })), ...deletes.map((d) => ({ ...base, deletes: d }))];
}

/**
 * The publish ledger in the single table (keys in functions/store/table.ts
 * `publishKeys`). Pending entries are read per repository from its partition, and
 * across repositories from the sparse PUBLISH_PENDING partition of GSI byCollection;
 * done entries move to `DONE#` keys in the same transaction that removes the pending one.
 */
export class DynamoPublishLedger implements PublishLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(req: PublishRequest, now: number): Promise<string[]> {
    const repo = repositoryOf(req);
    const key = publishRepositoryKey(repo);
    const ids: string[] = [];
    for (const part of splitRequest(req)) {
      const id = randomUUID();
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...publishKeys.pending(key, now, id),
            ...publishKeys.pendingIndexed(key, now, id),
            entity: 'publish-request',
            id,
            recorded_at: now,
            repo,
            request: { ...part, deletes: part.deletes ?? [], devel: repo.devel },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      ids.push(id);
    }
    return ids;
  }

  async pending(repo: PublishRepository, limit: number): Promise<LedgerEntry[]> {
    const items = await queryAll(
      this.db,
      this.table,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': publishKeys.partition(publishRepositoryKey(repo)), ':p': publishKeys.pendingPrefix },
        ConsistentRead: true,
      },
      limit,
    );
    return items.map((i) => ({ id: String(i.id), recordedAt: Number(i.recorded_at), request: i.request as PublishRequest }));
  }

  async markDone(repo: PublishRepository, entries: readonly LedgerEntry[], now: number): Promise<void> {
    const key = publishRepositoryKey(repo);
    for (const part of chunks(entries, DONE_PER_TRANSACTION)) {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: part.flatMap((e) => [
            { Delete: { TableName: this.table, Key: publishKeys.pending(key, e.recordedAt, e.id) } },
            {
              Put: {
                TableName: this.table,
                Item: {
                  ...publishKeys.done(key, e.recordedAt, e.id),
                  entity: 'publish-request-done',
                  id: e.id,
                  recorded_at: e.recordedAt,
                  done_at: now,
                  repo,
                  request: e.request,
                  [TTL_ATTRIBUTE]: Math.ceil(now / 1000) + DONE_KEPT_S,
                },
              },
            },
          ]),
        }),
      );
    }
  }

  async repositoriesPendingSince(before: number, limit: number): Promise<PublishRepository[]> {
    const found = new Map<string, PublishRepository>();
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: INDEX.byCollection,
          KeyConditionExpression: 'gsi2pk = :c AND gsi2sk < :b',
          ExpressionAttributeValues: { ':c': publishKeys.pendingCollection, ':b': publishKeys.recordedBefore(before) },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of (res.Items ?? []) as Item[]) {
        const repo = i.repo as PublishRepository;
        found.set(publishRepositoryKey(repo), repositoryOf(repo));
      }
      start = res.LastEvaluatedKey;
    } while (start && found.size < limit);
    return [...found.values()].slice(0, limit);
  }

  async acquireLease(repo: PublishRepository, holder: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...publishKeys.lease(publishRepositoryKey(repo)), entity: 'publish-lease', holder, lease_until: now + leaseMs, acquired_at: now, [TTL_ATTRIBUTE]: Math.ceil((now + leaseMs) / 1000) + 86_400 },
          ConditionExpression: 'attribute_not_exists(pk) OR lease_until < :now OR holder = :h',
          ExpressionAttributeValues: { ':now': now, ':h': holder },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async renewLease(repo: PublishRepository, holder: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: publishKeys.lease(publishRepositoryKey(repo)),
          UpdateExpression: 'SET lease_until = :u, #ttl = :t',
          ConditionExpression: 'holder = :h',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':u': now + leaseMs, ':t': Math.ceil((now + leaseMs) / 1000) + 86_400, ':h': holder },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async releaseLease(repo: PublishRepository, holder: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: publishKeys.lease(publishRepositoryKey(repo)),
          ConditionExpression: 'holder = :h',
          ExpressionAttributeValues: { ':h': holder },
        }),
      );
    } catch (err) {
      // Someone took over a lease that ran out: theirs now, leave it.
      if (!isConditionFailure(err)) throw err;
    }
  }

  async leaseOf(repo: PublishRepository): Promise<{ holder: string; until: number } | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: publishKeys.lease(publishRepositoryKey(repo)), ConsistentRead: true }));
    if (!res.Item) return null;
    return { holder: String(res.Item.holder), until: Number(res.Item.lease_until) };
  }
}
