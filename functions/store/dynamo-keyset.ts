import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { KeysetListing, PageCursor, PageCursors } from '../core/keyset-pages.js';
import { plainItem, type Item } from './dynamo-ops.js';
import { pad, pageKeys, TTL_ATTRIBUTE } from './table.js';

/**
 * The DynamoDB side of keyset pages (functions/core/keyset-pages.ts): one ordered
 * index range as a listing, page cursors, and list generations. "After key K" is a
 * key condition (or, in a base-table partition shared with other items, the
 * ExclusiveStartKey), so no page reads an item before its start.
 */

/** Cursors are garbage after a day (DynamoDB TTL); the generation check keeps them correct until then. */
const CURSOR_TTL_S = 86_400;
/** Items asked for per call while walking or filtering (a Query also stops at 1 MB). */
const WALK_CHUNK = 1000;

export interface IndexRange {
  /** The GSI holding the listing; none = the base table. */
  index?: 'gsi1' | 'gsi2' | 'gsi3';
  partition: string;
  /** Base table only: the listing's sort keys start with this (the partition holds other items too). */
  prefix?: string;
  descending: boolean;
  /** A filter DynamoDB evaluates (Limit counts items before it). */
  filter?: { expression: string; names?: Record<string, string>; values: Record<string, unknown> };
  /** A filter only code can decide (a derived state): the items are read whole to decide. */
  match?: (item: Item) => boolean | Promise<boolean>;
}

export class DynamoKeysetListing<T> implements KeysetListing<T> {
  readonly descending: boolean;
  private readonly pkAttr: string;
  private readonly skAttr: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    readonly name: string,
    private readonly range: IndexRange,
    /** The index sort key of an entity (what `page` returns). */
    readonly keyOf: (item: T) => string,
    /** The listing's generation; listings without deletions pass `async () => 0`. */
    readonly generation: () => Promise<number>,
    private readonly toEntity: (item: Item) => T = (i) => plainItem<T>(i) as T,
  ) {
    if (range.index && range.prefix) throw new Error('prefix ranges are base-table only');
    this.descending = range.descending;
    this.pkAttr = range.index ? `${range.index}pk` : 'pk';
    this.skAttr = range.index ? `${range.index}sk` : 'sk';
  }

  /** The range after `afterKey` in the given direction. */
  private input(afterKey: string | null, descending: boolean): Omit<QueryCommandInput, 'TableName'> {
    const r = this.range;
    const names: Record<string, string> = { '#pk': this.pkAttr, ...(r.filter?.names ?? {}) };
    const values: Record<string, unknown> = { ':p': r.partition, ...(r.filter?.values ?? {}) };
    let cond = '#pk = :p';
    let start: Record<string, unknown> | undefined;
    if (r.prefix !== undefined) {
      names['#sk'] = this.skAttr;
      cond += ' AND begins_with(#sk, :pre)';
      values[':pre'] = r.prefix;
      // The base table's whole key: a Query may start after any key, present or not.
      if (afterKey !== null) start = { pk: r.partition, sk: afterKey };
    } else if (afterKey !== null) {
      names['#sk'] = this.skAttr;
      cond += descending ? ' AND #sk < :a' : ' AND #sk > :a';
      values[':a'] = afterKey;
    }
    return {
      ...(r.index ? { IndexName: r.index } : {}),
      KeyConditionExpression: cond,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: !descending,
      ...(r.filter ? { FilterExpression: r.filter.expression } : {}),
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
  }

  private get filtered(): boolean {
    return this.range.filter !== undefined || this.range.match !== undefined;
  }

  /** Reads the range chunk by chunk until `want` items matched or it ends. */
  private async collect(input: Omit<QueryCommandInput, 'TableName'>, want: number): Promise<Item[]> {
    const out: Item[] = [];
    let start = input.ExclusiveStartKey;
    // Unfiltered, Limit is exact. Filtered, Limit counts items read before the filter:
    // start at what is wanted and double while matches are sparse.
    let filteredChunk = Math.min(want, WALK_CHUNK);
    do {
      const chunk = this.filtered ? filteredChunk : Math.min(want - out.length, WALK_CHUNK);
      filteredChunk = Math.min(filteredChunk * 2, WALK_CHUNK);
      const res = await this.db.send(new QueryCommand({ ...input, TableName: this.table, Limit: chunk, ExclusiveStartKey: start }));
      const items = (res.Items ?? []) as Item[];
      const match = this.range.match;
      if (match) {
        const keep = await Promise.all(items.map(async (i) => match(i)));
        out.push(...items.filter((_, n) => keep[n]));
      } else out.push(...items);
      start = res.LastEvaluatedKey;
    } while (start && out.length < want);
    return out.slice(0, want);
  }

  /** Keys only in the answer, unless code must see the item to filter it. */
  private keysOnly(input: Omit<QueryCommandInput, 'TableName'>): Omit<QueryCommandInput, 'TableName'> {
    if (this.range.match) return input;
    return { ...input, ProjectionExpression: '#sk', ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#sk': this.skAttr } };
  }

  async page(afterKey: string | null, limit: number): Promise<T[]> {
    const items = await this.collect(this.input(afterKey, this.descending), limit);
    return items.map(this.toEntity);
  }

  async skip(afterKey: string | null, count: number) {
    // The read is still charged by item size on an ALL projection, but nothing is
    // shipped or parsed beyond the sort key.
    const items = await this.collect(this.keysOnly(this.input(afterKey, this.descending)), count);
    const key = (i: Item | undefined) => (i === undefined ? null : String(i[this.skAttr]));
    return { firstKey: key(items[0]), lastKey: key(items.at(-1)), skipped: items.length };
  }

  async hasAbove(key: string): Promise<boolean> {
    // Above = a higher key: the ascending direction from `key`.
    const found = await this.collect(this.keysOnly(this.input(key, false)), 1);
    return found.length > 0;
  }
}

/** Page cursors and list generations, one small item each. */
export class DynamoPageCursors implements PageCursors {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async cursorAtOrBelow(listing: string, offset: number): Promise<PageCursor | null> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk <= :o',
        ExpressionAttributeValues: { ':p': pageKeys.cursorPartition(listing), ':o': pad(offset) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = res.Items?.[0];
    if (!item || typeof item.after_key !== 'string') return null;
    return {
      offset: Number(item.offset),
      afterKey: item.after_key,
      generation: Number(item.generation),
      newestKey: typeof item.newest_key === 'string' ? item.newest_key : null,
    };
  }

  async putCursor(listing: string, c: PageCursor): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...pageKeys.cursor(listing, c.offset),
          entity: 'page-cursor',
          offset: c.offset,
          after_key: c.afterKey,
          generation: c.generation,
          newest_key: c.newestKey,
          [TTL_ATTRIBUTE]: Math.ceil(Date.now() / 1000) + CURSOR_TTL_S,
        },
      }),
    );
  }
}

/** The generation of listings whose items can be deleted (`scope` names the listing family). */
export async function listGeneration(db: DynamoDBDocumentClient, table: string, scope: string): Promise<number> {
  const res = await db.send(new GetCommand({ TableName: table, Key: pageKeys.generation(scope) }));
  return Number(res.Item?.generation ?? 0);
}

/** Every deletion of a listed item calls this (before and after deleting): older cursors stop being used. */
export async function bumpListGeneration(db: DynamoDBDocumentClient, table: string, scope: string): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: pageKeys.generation(scope),
      UpdateExpression: 'ADD generation :one SET entity = :e',
      ExpressionAttributeValues: { ':one': 1, ':e': 'list-generation' },
    }),
  );
}
