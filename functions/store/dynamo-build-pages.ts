import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { summaryChroots, type Build, type BuildState, type ChrootView } from '../core/build-model.js';
import type { BuildListing, BuildPageIndex, BuildRange } from '../core/build-pages.js';
import { buildState } from '../core/build-state.js';
import type { KeysetListing } from '../core/keyset-pages.js';
import { plainItem, type Item } from './dynamo-ops.js';
import { bumpListGeneration, DynamoKeysetListing, DynamoPageCursors, listGeneration } from './dynamo-keyset.js';
import { buildKeys as bk, INDEX, keys, listScopes, pad, pageKeys } from './table.js';


/**
 * build/list keyset pages (functions/core/build-pages.ts) on the project-builds index
 * (gsi1, `gsi1sk` = zero-padded build id), through the shared keyset listing.
 */
export class DynamoBuildPages implements BuildPageIndex {
  readonly cursors: DynamoPageCursors;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** A build's chroots from their own items: for builds stored before summaries. */
    private readonly readChroots: (id: number) => Promise<ChrootView[]>,
  ) {
    this.cursors = new DynamoPageCursors(db, table);
  }

  /** A build item's state from its own summary (build-model.ts), or from its chroots when it has none. */
  private async itemState(item: Item): Promise<BuildState> {
    const b = plainItem<Build>(item) as Build;
    return buildState(b, summaryChroots(b) ?? (await this.readChroots(b.id)));
  }

  private listingOf(name: string, l: BuildRange, status: BuildState | null): DynamoKeysetListing<Build> {
    return new DynamoKeysetListing<Build>(
      this.db,
      this.table,
      name,
      {
        index: INDEX.byParent,
        partition: bk.projectBuildsPartition(l.ownername, l.projectname),
        descending: l.descending,
        ...(l.packageName === null ? {} : { filter: { expression: 'package_name = :n', values: { ':n': l.packageName } } }),
        ...(status === null ? {} : { match: async (i: Item) => (await this.itemState(i)) === status }),
      },
      (b) => pad(b.id),
      () => listGeneration(this.db, this.table, listScopes.projectBuilds(l.ownername, l.projectname)),
    );
  }

  listing(l: BuildListing, status: BuildState | null): KeysetListing<Build> {
    const name = `B#${l.projectId}#${l.descending ? 'DESC' : 'ASC'}#${l.packageName ?? '*'}#${status ?? '*'}`;
    return this.listingOf(name, l, status);
  }

  page(range: BuildRange, afterId: number | null, limit: number): Promise<Build[]> {
    return this.listingOf('', range, null).page(afterId === null ? null : pad(afterId), limit);
  }

  /** Every build deletion calls this (before and after deleting): older cursors stop being used. */
  bumpGeneration(ownername: string, projectname: string): Promise<void> {
    return bumpListGeneration(this.db, this.table, listScopes.projectBuilds(ownername, projectname));
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
