import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoprEvent } from '../functions/core/events.js';
import { projectDefaults } from '../functions/core/projects.js';
import type { Project } from '../functions/core/model.js';
import { newProjectChroot } from '../functions/core/projects.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { documentClient } from '../functions/store/dynamo-client.js';
import { DynamoStore } from '../functions/store/dynamo-store.js';
import { ensureTable } from '../functions/store/table-admin.js';

const ROOT = resolve(import.meta.dirname, '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `copr-maintenance` as its own process, the way an operator runs it next to `npm start`. */
function maintenance(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((ok) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/copr-maintenance.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('copr-maintenance', () => {
  let dataDir: string;
  let ddb: DynamoDbLocal;
  let store: DynamoStore;
  const table = `t-${randomUUID()}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'copr-maint-cli-'));
    // The "running service": its DynamoDB Local on the data dir, found by the CLI.
    ddb = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
    const db = documentClient(ddb.endpoint);
    await ensureTable(db, table);
    store = new DynamoStore(db, table);
  });

  afterAll(async () => {
    await ddb?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad command lines with exit 2', async () => {
    const [unknown, noDir, noJob] = await Promise.all([
      maintenance(['--data-dir', dataDir, 'sweep']),
      maintenance(['all']),
      maintenance(['--data-dir', dataDir]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown job 'sweep'/);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/--data-dir is required/);
    expect(noJob.code).toBe(2);
  });

  it('runs delete-expired against the data dir and notifies through events.jsonl', async () => {
    const expired: Project = {
      ...projectDefaults('alice', 'gone', 0, await store.nextId('project')),
      auto_prune: false,
      delete_after_days: 1,
      delete_after: Math.floor(Date.now() / 1000) - 60,
    };
    await store.createProject(expired, [newProjectChroot('alice', 'gone', 'fedora-41-x86_64')]);

    const run = await maintenance(['--data-dir', dataDir, 'delete-expired', 'reconcile'], { TABLE_NAME: table });
    expect(run.code, run.stderr).toBe(0);
    const reports = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { job: string; changed: string[] });
    expect(reports).toEqual([
      { job: 'delete-expired', changed: ['alice/gone'], skipped: [] },
      { job: 'reconcile', changed: [], skipped: [] },
    ]);
    expect(await store.getProject('alice', 'gone')).toBeNull();
    const events = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => CoprEvent.parse(JSON.parse(l)));
    expect(events).toEqual([expect.objectContaining({ type: 'project.deleted', ownername: 'alice', projectname: 'gone', reason: 'expired' })]);
  });

  it('says so when the table does not exist', async () => {
    const run = await maintenance(['--data-dir', dataDir, 'prune'], { TABLE_NAME: 'no-such-table' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/table no-such-table does not exist/);
  });
});
