import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { newBuild, newBuildChroot } from '../functions/core/builds.js';
import { allOfListing } from '../functions/core/keyset-pages.js';
import type { Package } from '../functions/core/model.js';
import { projectDefaults } from '../functions/core/projects.js';
import { documentClient } from '../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../functions/store/dynamo-build-store.js';
import { DynamoStore } from '../functions/store/dynamo-store.js';
import { buildKeys, keys } from '../functions/store/table.js';
import { ensureTable } from '../functions/store/table-admin.js';

/**
 * `copr-admin migrate-keys` on a table holding items in the layout from before keyset
 * pages (written here as that code wrote them): afterwards every list pages them, and a
 * second run finds nothing to do.
 */
const ROOT = resolve(import.meta.dirname, '..');
const TABLE = `t-${randomUUID()}`;
const db = documentClient(process.env.DYNAMODB_ENDPOINT);
const store = new DynamoStore(db, TABLE);
const builds = new DynamoBuildStore(db, TABLE);

function admin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const env = { ...process.env, TABLE_NAME: TABLE };
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/copr-admin.ts'), ...args], { cwd: ROOT, env }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const pkg = (id: number, name: string): Package => ({
  id,
  name,
  ownername: 'olduser',
  projectname: 'legacy',
  source_type: 'unset',
  source_dict: {},
  auto_rebuild: false,
  max_builds: null,
  timeout: null,
  chroot_denylist: [],
});

const names = <T extends { name: string }>(xs: T[]) => xs.map((x) => x.name).sort();
const inOrder = <T extends { name: string }>(xs: T[]) => xs.map((x) => x.name);

describe('copr-admin migrate-keys', () => {
  beforeAll(async () => {
    await ensureTable(db, TABLE);
    // Today's layout first, then each item turned back into what the old code wrote.
    for (const [id, name, description] of [[1, 'legacy', 'haystack'], [2, 'fresh', null], [3, 'gone', 'haystack']] as const) {
      await store.createProject({ ...projectDefaults('olduser', name, 1_700_000_000, id), description }, []);
    }
    await store.createPackage(pkg(10, 'old-pkg'));
    await store.createPackage(pkg(11, 'new-pkg'));
    await builds.createBuild(newBuild(20, 'olduser', 'legacy'), [newBuildChroot(20, 'fedora-44-x86_64', 'succeeded')], [], null);
    await builds.createBuild(newBuild(21, 'olduser', 'legacy'), [newBuildChroot(21, 'fedora-44-x86_64', 'running')], [], null);

    // Owner index by name (project 1), package without gsi1 (10), search entries by name
    // (project 1; project 3 deleted since, leaving its entry), builds without summaries.
    await db.send(new UpdateCommand({ TableName: TABLE, Key: keys.project('olduser', 'legacy'), UpdateExpression: 'SET gsi1sk = :s', ExpressionAttributeValues: { ':s': 'PROJECT#legacy' } }));
    await db.send(new UpdateCommand({ TableName: TABLE, Key: keys.package('olduser', 'legacy', 'old-pkg'), UpdateExpression: 'REMOVE gsi1pk, gsi1sk' }));
    for (const [id, name] of [[1, 'legacy'], [3, 'gone']] as const) {
      await db.send(new DeleteCommand({ TableName: TABLE, Key: keys.searchToken('haystack', id) }));
      await db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'SEARCH#haystack', sk: `olduser/${name}`, entity: 'search-token', ownername: 'olduser', name } }));
    }
    await db.send(new DeleteCommand({ TableName: TABLE, Key: keys.project('olduser', 'gone') }));
    for (const id of [20, 21]) await db.send(new UpdateCommand({ TableName: TABLE, Key: buildKeys.build(id), UpdateExpression: 'REMOVE chroot_summary' }));
  });

  it('re-keys what the lists miss; a second run changes nothing', async () => {
    const legacy = await store.getProject('olduser', 'legacy');
    if (!legacy) throw new Error('seed failed');
    // In id order, the project keyed by name sorts after every id key.
    expect(inOrder(await allOfListing(store.projectPages('olduser', false), 0))).toEqual(['fresh', 'legacy']);
    expect(names(await allOfListing(store.packagePages(legacy, 'id', false), 0))).toEqual(['new-pkg']);
    // Entries keyed by name carry no id to page by (and one names a deleted project).
    const before = await allOfListing(store.searchPages(['haystack'], false), 0);
    expect(before.filter((p) => Number.isInteger(p.project_id))).toEqual([]);

    const first = await admin(['migrate-keys']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/re-keyed 1 projects, 1 packages, 1 search entries \(dropped 1\); summarized 1 finished builds/);

    expect(inOrder(await allOfListing(store.projectPages('olduser', false), 0))).toEqual(['legacy', 'fresh']);
    expect(names(await allOfListing(store.packagePages(legacy, 'id', false), 0))).toEqual(['new-pkg', 'old-pkg']);
    expect(await allOfListing(store.searchPages(['haystack'], false), 0)).toEqual([{ project_id: 1, ownername: 'olduser', name: 'legacy' }]);
    const oldEntries = await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'SEARCH#haystack', sk: 'olduser/gone' } }));
    expect(oldEntries.Item).toBeUndefined();
    // The finished build got its summary; the running one still reads its chroots.
    const done = await db.send(new GetCommand({ TableName: TABLE, Key: buildKeys.build(20) }));
    expect(done.Item?.chroot_summary).toEqual({ 'fedora-44-x86_64': expect.objectContaining({ state: 'succeeded' }) });
    const running = await db.send(new GetCommand({ TableName: TABLE, Key: buildKeys.build(21) }));
    expect(running.Item?.chroot_summary).toBeUndefined();

    const again = await admin(['migrate-keys']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/re-keyed 0 projects, 0 packages, 0 search entries \(dropped 0\); summarized 0 finished builds/);
  });
});
