import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chrootSummaryOf, FINISHED_STATES, type BuildChroot } from '../core/build-model.js';
import type { Project } from '../core/model.js';
import { projectSearchTokens } from '../core/search.js';
import { bumpListGeneration } from './dynamo-keyset.js';
import { isConditionFailure, plainItem, queryAll, type Item } from './dynamo-ops.js';
import { buildKeys, keys, listScopes } from './table.js';

/** What one pass changed, by kind (counts), for the operator's log. */
export interface RekeyReport {
  scanned: number;
  projects: number;
  packages: number;
  searchEntries: number;
  searchEntriesDropped: number;
  buildSummaries: number;
}

const PADDED_ID = /^\d{12}$/;
const FINISHED = new Set<string>(FINISHED_STATES);

/**
 * Rewrites the items a table kept from before keyset pages (docs/data-model.md, "Pages
 * and cursors") into today's keys, so every list pages them:
 * - a project indexed under its owner by name (gsi1sk `PROJECT#<name>`) gets the id key;
 * - a package without the byParent index entry gets it;
 * - a search entry keyed `<owner>/<project>` is put again under the project's id (and
 *   dropped when the project is gone or no longer has that word);
 * - a build without a chroot summary whose chroots have all finished gets one (finished
 *   chroots never change; an unfinished build keeps reading its chroots until it ends).
 * Every write is conditional on the item still being the old one, so it is safe to run
 * while the service runs and to run again. The listings it touched get a new generation,
 * so no cursor recorded over the incomplete index is used again. One table Scan.
 */
export async function rekeyItems(db: DynamoDBDocumentClient, table: string, log: (msg: string) => void = () => {}): Promise<RekeyReport> {
  const report: RekeyReport = { scanned: 0, projects: 0, packages: 0, searchEntries: 0, searchEntriesDropped: 0, buildSummaries: 0 };
  const scopes = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'entity IN (:project, :package, :search, :build)',
        ExpressionAttributeValues: { ':project': 'project', ':package': 'package', ':search': 'search-token', ':build': 'build' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      report.scanned += 1;
      if (item.entity === 'project') await rekeyProject(db, table, item, report, scopes);
      else if (item.entity === 'package') await rekeyPackage(db, table, item, report, scopes);
      else if (item.entity === 'search-token') await rekeySearchEntry(db, table, item, report, scopes);
      else await summarizeBuild(db, table, item, report);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  for (const scope of [...scopes].sort()) await bumpListGeneration(db, table, scope);
  log(`rekey: ${JSON.stringify(report)}`);
  return report;
}

/** Runs a conditional write; false when the item changed meanwhile (someone else's write wins). */
async function ifStill(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

async function rekeyProject(db: DynamoDBDocumentClient, table: string, item: Item, report: RekeyReport, scopes: Set<string>): Promise<void> {
  const id = Number(item.id);
  const owner = String(item.ownername);
  const want = keys.projectByOwner(owner, id);
  if (item.gsi1sk === want.gsi1sk && item.gsi1pk === want.gsi1pk) return;
  const done = await ifStill(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET gsi1pk = :pk, gsi1sk = :sk, gsi2pk = :cpk, gsi2sk = :csk',
        ConditionExpression: 'id = :id',
        ExpressionAttributeValues: { ':pk': want.gsi1pk, ':sk': want.gsi1sk, ':cpk': keys.projectInCollection(id).gsi2pk, ':csk': keys.projectInCollection(id).gsi2sk, ':id': id },
      }),
    ),
  );
  if (!done) return;
  report.projects += 1;
  scopes.add(listScopes.ownerProjects(owner));
  scopes.add(listScopes.allProjects);
}

async function rekeyPackage(db: DynamoDBDocumentClient, table: string, item: Item, report: RekeyReport, scopes: Set<string>): Promise<void> {
  const owner = String(item.ownername);
  const project = String(item.projectname);
  const want = keys.packageOfProject(owner, project, Number(item.id));
  if (item.gsi1pk === want.gsi1pk && item.gsi1sk === want.gsi1sk) return;
  const done = await ifStill(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET gsi1pk = :pk, gsi1sk = :sk',
        ConditionExpression: 'id = :id',
        ExpressionAttributeValues: { ':pk': want.gsi1pk, ':sk': want.gsi1sk, ':id': Number(item.id) },
      }),
    ),
  );
  if (!done) return;
  report.packages += 1;
  scopes.add(listScopes.projectPackages(owner, project));
}

async function rekeySearchEntry(db: DynamoDBDocumentClient, table: string, item: Item, report: RekeyReport, scopes: Set<string>): Promise<void> {
  const sk = String(item.sk);
  if (PADDED_ID.test(sk)) return;
  // The old key named the project: `<owner>/<project>`.
  const slash = sk.indexOf('/');
  const owner = String(item.ownername ?? sk.slice(0, slash));
  const name = String(item.name ?? sk.slice(slash + 1));
  const project = plainItem<Project>((await db.send(new GetCommand({ TableName: table, Key: keys.project(owner, name) }))).Item);
  const old = { pk: item.pk, sk: item.sk };
  scopes.add(listScopes.allProjects);
  const token = String(item.pk).slice('SEARCH#'.length);
  // Only for a word of the project there now (a re-created project may not have it).
  if (project && projectSearchTokens(project).includes(token)) {
    const id = project.id;
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.searchToken(token, id), entity: 'search-token', project_id: id, ownername: owner, name },
      }),
    );
    report.searchEntries += 1;
  } else {
    report.searchEntriesDropped += 1;
  }
  await db.send(new DeleteCommand({ TableName: table, Key: old }));
}

async function summarizeBuild(db: DynamoDBDocumentClient, table: string, item: Item, report: RekeyReport): Promise<void> {
  if (item.chroot_summary !== undefined || item.sk !== 'PROFILE') return;
  const id = Number(item.id);
  const items = await queryAll(db, table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
    ExpressionAttributeValues: { ':pk': buildKeys.buildPartition(id), ':c': buildKeys.buildChrootPrefix },
  });
  const chroots = items.map((i) => plainItem<BuildChroot>(i)).filter((c): c is BuildChroot => c !== null);
  if (chroots.length === 0 || !chroots.every((c) => FINISHED.has(c.state))) return;
  const done = await ifStill(() =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: buildKeys.build(id),
        UpdateExpression: 'SET chroot_summary = :s',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(chroot_summary)',
        ExpressionAttributeValues: { ':s': chrootSummaryOf(chroots) },
      }),
    ),
  );
  if (done) report.buildSummaries += 1;
}
