import { DeleteCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chrootSummaryOf, FINISHED_STATES } from '../core/build-model.js';
import { projectSearchTokens } from '../core/search.js';
import { DynamoBuildStore } from './dynamo-build-store.js';
import { bumpListGeneration } from './dynamo-keyset.js';
import { conditionalUpdate, type Item } from './dynamo-ops.js';
import { DynamoStore } from './dynamo-store.js';
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

interface Pass {
  db: DynamoDBDocumentClient;
  table: string;
  store: DynamoStore;
  builds: DynamoBuildStore;
  report: RekeyReport;
  /** List generations to bump at the end (listScopes). */
  scopes: Set<string>;
}

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
  const pass: Pass = {
    db,
    table,
    store: new DynamoStore(db, table),
    builds: new DynamoBuildStore(db, table),
    report: { scanned: 0, projects: 0, packages: 0, searchEntries: 0, searchEntriesDropped: 0, buildSummaries: 0 },
    scopes: new Set<string>(),
  };
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
      pass.report.scanned += 1;
      if (item.entity === 'project') await rekeyProject(pass, item);
      else if (item.entity === 'package') await rekeyPackage(pass, item);
      else if (item.entity === 'search-token') await rekeySearchEntry(pass, item);
      else await summarizeBuild(pass, item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  for (const scope of [...pass.scopes].sort()) await bumpListGeneration(db, table, scope);
  log(`rekey: ${JSON.stringify(pass.report)}`);
  return pass.report;
}

/**
 * Sets an item's index keys unless they are set already, conditional on the item still
 * having its id (a concurrent delete wins); whether it wrote.
 */
async function setIndexKeys(pass: Pass, item: Item, want: Record<string, string>): Promise<boolean> {
  const names = Object.keys(want);
  if (names.every((n) => item[n] === want[n])) return false;
  const written = await conditionalUpdate(pass.db, pass.table, {
    Key: { pk: item.pk, sk: item.sk },
    UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}`,
    ConditionExpression: 'id = :id',
    ExpressionAttributeValues: { ...Object.fromEntries(names.map((n) => [`:${n}`, want[n]])), ':id': Number(item.id) },
  });
  return written !== null;
}

async function rekeyProject(pass: Pass, item: Item): Promise<void> {
  const id = Number(item.id);
  const owner = String(item.ownername);
  if (!(await setIndexKeys(pass, item, { ...keys.projectByOwner(owner, id), ...keys.projectInCollection(id) }))) return;
  pass.report.projects += 1;
  pass.scopes.add(listScopes.ownerProjects(owner));
  pass.scopes.add(listScopes.allProjects);
}

async function rekeyPackage(pass: Pass, item: Item): Promise<void> {
  const owner = String(item.ownername);
  const project = String(item.projectname);
  if (!(await setIndexKeys(pass, item, keys.packageOfProject(owner, project, Number(item.id))))) return;
  pass.report.packages += 1;
  pass.scopes.add(listScopes.projectPackages(owner, project));
}

async function rekeySearchEntry(pass: Pass, item: Item): Promise<void> {
  const sk = String(item.sk);
  if (PADDED_ID.test(sk)) return;
  // The old key named the project: `<owner>/<project>`.
  const slash = sk.indexOf('/');
  const owner = String(item.ownername ?? sk.slice(0, slash));
  const name = String(item.name ?? sk.slice(slash + 1));
  const project = await pass.store.getProject(owner, name);
  const token = String(item.pk).slice(keys.searchTokenPartition('').length);
  pass.scopes.add(listScopes.allProjects);
  // Only for a word of the project there now (a re-created project may not have it).
  if (project && projectSearchTokens(project).includes(token)) {
    await pass.db.send(new PutCommand({ TableName: pass.table, Item: keys.searchTokenItem(token, project) }));
    pass.report.searchEntries += 1;
  } else {
    pass.report.searchEntriesDropped += 1;
  }
  await pass.db.send(new DeleteCommand({ TableName: pass.table, Key: { pk: item.pk, sk: item.sk } }));
}

async function summarizeBuild(pass: Pass, item: Item): Promise<void> {
  if (item.chroot_summary !== undefined || item.sk !== 'PROFILE') return;
  const id = Number(item.id);
  const chroots = await pass.builds.listBuildChroots(id);
  if (chroots.length === 0 || !chroots.every((c) => FINISHED.has(c.state))) return;
  const written = await conditionalUpdate(pass.db, pass.table, {
    Key: buildKeys.build(id),
    UpdateExpression: 'SET chroot_summary = :s',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(chroot_summary)',
    ExpressionAttributeValues: { ':s': chrootSummaryOf(chroots) },
  });
  if (written !== null) pass.report.buildSummaries += 1;
}
