import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Build } from '../core/build-model.js';
import type { BuildListing, BuildPageIndex, BuildRange, PageCursor } from '../core/build-pages.js';
import { plainItem, type Item } from './dynamo-ops.js';
import { buildKeys as bk, INDEX, keys, pad, pageKeys, TTL_ATTRIBUTE } from './table.js';

/** Cursors are garbage after a day (DynamoDB TTL); the generation check keeps them correct until then. */
const CURSOR_TTL_S = 86_400;
/** Items asked for per call while walking or filtering (a Query also stops at 1 MB). */
const WALK_CHUNK = 1000;

const listingKey = (l: BuildListing) => `${l.projectId}#${l.descending ? 'DESC' : 'ASC'}#${l.packageName ?? '*'}`;

/**
 * The build/list keyset pages (functions/core/build-pages.ts) on the project-builds
 * index (gsi1, `gsi1sk` = zero-padded build id): "after id N" is a key condition,
 * so no page reads an item before its start.
 */
export class DynamoBuildPages implements BuildPageIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The index range after `afterId` in listing order, filtered to the package if any. */
  private range(l: BuildRange, afterId: number | null): Omit<QueryCommandInput, 'TableName'> {
    const values: Record<string, unknown> = { ':p': bk.projectBuildsPartition(l.ownername, l.projectname) };
    let cond = 'gsi1pk = :p';
    if (afterId !== null) {
      cond += l.descending ? ' AND gsi1sk < :a' : ' AND gsi1sk > :a';
      values[':a'] = pad(afterId);
    }
    const filter = l.packageName === null ? {} : { FilterExpression: 'package_name = :n' };
    if (l.packageName !== null) values[':n'] = l.packageName;
    return { IndexName: INDEX.byParent, KeyConditionExpression: cond, ExpressionAttributeValues: values, ScanIndexForward: !l.descending, ...filter };
  }

  /** Reads the range chunk by chunk until `want` items matched or it ends. */
  private async collect(input: Omit<QueryCommandInput, 'TableName'>, want: number, filtered: boolean): Promise<Item[]> {
    const out: Item[] = [];
    let start: Record<string, unknown> | undefined;
    // Unfiltered, Limit is exact. Filtered, Limit counts items read before the filter:
    // start at what is wanted and double while matches are sparse.
    let filteredChunk = Math.min(want, WALK_CHUNK);
    do {
      const chunk = filtered ? filteredChunk : Math.min(want - out.length, WALK_CHUNK);
      filteredChunk = Math.min(filteredChunk * 2, WALK_CHUNK);
      const res = await this.db.send(new QueryCommand({ ...input, TableName: this.table, Limit: chunk, ExclusiveStartKey: start }));
      out.push(...((res.Items ?? []) as Item[]));
      start = res.LastEvaluatedKey;
    } while (start && out.length < want);
    return out.slice(0, want);
  }

  async page(l: BuildRange, afterId: number | null, limit: number): Promise<Build[]> {
    const items = await this.collect(this.range(l, afterId), limit, l.packageName !== null);
    return items.map((i) => plainItem<Build>(i) as Build);
  }

  async skip(l: BuildRange, afterId: number | null, count: number) {
    // Keys only in the answer: the read is still charged by item size on an ALL
    // projection, but nothing is shipped or parsed beyond the sort key.
    const items = await this.collect({ ...this.range(l, afterId), ProjectionExpression: 'gsi1sk' }, count, l.packageName !== null);
    const id = (i: Item | undefined) => (i === undefined ? null : Number(i.gsi1sk));
    return { firstId: id(items[0]), lastId: id(items.at(-1)), skipped: items.length };
  }

  async hasNewer(l: BuildRange, id: number): Promise<boolean> {
    // Newer = higher id, in the opposite direction of a newest-first listing.
    const newer = { ...l, descending: false };
    const found = await this.collect({ ...this.range(newer, id), ProjectionExpression: 'gsi1sk' }, 1, l.packageName !== null);
    return found.length > 0;
  }

  async generation(ownername: string, projectname: string): Promise<number> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: pageKeys.listGeneration(ownername, projectname) }));
    return Number(res.Item?.generation ?? 0);
  }

  /** Every build deletion calls this (before and after deleting): older cursors stop being used. */
  async bumpGeneration(ownername: string, projectname: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: pageKeys.listGeneration(ownername, projectname),
        UpdateExpression: 'ADD generation :one SET entity = :e',
        ExpressionAttributeValues: { ':one': 1, ':e': 'build-list-generation' },
      }),
    );
  }

  async cursorAtOrBelow(l: BuildListing, offset: number): Promise<PageCursor | null> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND sk <= :o',
        ExpressionAttributeValues: { ':p': pageKeys.cursorPartition(listingKey(l)), ':o': pad(offset) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = res.Items?.[0];
    if (!item) return null;
    return {
      offset: Number(item.offset),
      afterId: Number(item.after_id),
      generation: Number(item.generation),
      newestId: item.newest_id === null || item.newest_id === undefined ? null : Number(item.newest_id),
    };
  }

  async putCursor(l: BuildListing, c: PageCursor): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...pageKeys.cursor(listingKey(l), c.offset),
          entity: 'page-cursor',
          offset: c.offset,
          after_id: c.afterId,
          generation: c.generation,
          newest_id: c.newestId,
          [TTL_ATTRIBUTE]: Math.ceil(Date.now() / 1000) + CURSOR_TTL_S,
        },
      }),
    );
  }

  /** Called by createBuild for a build outside the project's own directory (idempotent). */
  async recordDir(ownername: string, projectname: string, dirname: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...pageKeys.projectDir(ownername, projectname, dirname), entity: 'project-dir', dirname } }));
  }

  async projectDirs(ownername: string, projectname: string): Promise<string[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :d)',
        ExpressionAttributeValues: { ':p': keys.projectPartition(ownername, projectname), ':d': pageKeys.projectDirPrefix },
      }),
    );
    return (res.Items ?? []).map((i) => String(i.dirname));
  }
}
