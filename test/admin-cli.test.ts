import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { writeServiceFile } from '../functions/local/service-file.js';
import { startLocalService } from '../functions/local/service.js';
import { documentClient } from '../functions/store/dynamo-client.js';
import { DynamoStore } from '../functions/store/dynamo-store.js';
import { CoprClient } from './support/copr-client.js';

const ROOT = resolve(import.meta.dirname, '..');
const TABLE = `t-${randomUUID()}`;
const store = new DynamoStore(documentClient(process.env.DYNAMODB_ENDPOINT!), TABLE);
const tmpDirs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `copr-admin` as its own process, the way an operator does. */
function admin(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((ok) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, TABLE_NAME: TABLE, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/copr-admin.ts'), ...args], { cwd: ROOT, env: childEnv }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** argv of running processes that serve a DynamoDB Local on `dbPath` (Linux /proc). */
function dynamoProcessesOn(dbPath: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes('DynamoDBLocal.jar')) && argv.includes(dbPath)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('copr-admin against DYNAMODB_ENDPOINT + TABLE_NAME', () => {
  it('refuses to work before create-tables, then creates the table once', async () => {
    const early = await admin(['list-chroots']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/run copr-admin create-tables/);
    const first = await admin(['create-tables', '--seed-chroots']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(`created table ${TABLE}`);
    expect(first.stdout).toMatch(/added \d+ default chroots/);
    const again = await admin(['create-tables']);
    expect(again.stdout).toMatch('already exists');
  });

  it('creates, alters and lists chroots', async () => {
    const [res, off] = await Promise.all([
      admin(['create-chroot', 'fedora-46-x86_64', 'fedora-46-aarch64', '--comment', 'Brand new']),
      admin(['create-chroot', 'mageia-9-x86_64', '--deactivated']),
    ]);
    expect([res.code, off.code], res.stderr + off.stderr).toEqual([0, 0]);
    expect(await store.getMockChroot('fedora-46-x86_64')).toMatchObject({ is_active: true, eol: false, comment: 'Brand new', os_version: '46', arch: 'x86_64' });
    expect((await store.getMockChroot('mageia-9-x86_64'))?.is_active).toBe(false);

    const [eol, activate] = await Promise.all([
      admin(['alter-chroot', 'fedora-46-x86_64', '--action', 'eol']),
      admin(['alter-chroot', 'mageia-9-x86_64', '--action', 'activate']),
    ]);
    expect([eol.code, activate.code]).toEqual([0, 0]);
    expect(await store.getMockChroot('fedora-46-x86_64')).toMatchObject({ is_active: false, eol: true });
    expect((await store.getMockChroot('mageia-9-x86_64'))?.is_active).toBe(true);

    const list = await admin(['list-chroots']);
    expect(list.stdout).toMatch(/^fedora-46-aarch64\tactive\tBrand new$/m);
    expect(list.stdout).toMatch(/^fedora-46-x86_64\teol\tBrand new$/m);
    expect(list.stdout).toMatch(/^mageia-9-x86_64\tactive$/m);
  });

  it('rejects bad chroot commands and changes nothing', async () => {
    const before = await store.listMockChroots();
    const cases: Array<[string[], number, RegExp]> = [
      [['create-chroot', '../etc'], 1, /invalid chroot name: \.\.\/etc/],
      [['create-chroot', 'fedora-47-x86_64', 'bad'], 1, /invalid chroot name: bad/],
      [['create-chroot'], 2, /expected one or more chroot names/],
      [['alter-chroot', 'fedora-46-aarch64', '--action', 'explode'], 2, /--action must be/],
      [['alter-chroot', 'fedora-46-aarch64', 'nope-1-x86_64', '--action', 'eol'], 1, /no such chroot: nope-1-x86_64/],
      [['alter-chroot', 'fedora-46-aarch64', '--action', 'eol', '--admin'], 2, /--admin does not apply/],
      [['frobnicate'], 2, /unknown command 'frobnicate'/],
      [['list-chroots', '--bogus'], 2, /bogus/],
    ];
    // Independent invocations run side by side to keep the file fast.
    const [dup, ...runs] = await Promise.all([admin(['create-chroot', 'fedora-46-aarch64']), ...cases.map(([args]) => admin(args))]);
    cases.forEach(([args, code, msg], i) => {
      expect(runs[i]!.code, args.join(' ')).toBe(code);
      expect(runs[i]!.stderr, args.join(' ')).toMatch(msg);
    });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists: fedora-46-aarch64/);
    const sort = (l: typeof before) => [...l].sort((a, b) => a.name.localeCompare(b.name));
    expect(sort(await store.listMockChroots())).toEqual(sort(before));
  });

  it('creates groups and users whose printed credentials work with the API', async () => {
    expect((await admin(['create-group', 'devs'])).code).toBe(0);
    const missingGroup = await admin(['create-user', 'alice', '--group', 'nogroup']);
    expect(missingGroup.code).toBe(1);
    expect(missingGroup.stderr).toMatch(/group nogroup does not exist/);
    expect(await store.getUser('alice')).toBeNull();

    const res = await admin(['create-user', 'alice', '--group', '@devs']);
    expect(res.code, res.stderr).toBe(0);
    const login = /^login = ([a-z]+)$/m.exec(res.stdout)?.[1];
    const token = /^token = ([a-z]+)$/m.exec(res.stdout)?.[1];
    expect(res.stdout).toMatch(/^\[copr-cli\]$/m);
    expect(res.stdout).toMatch(/^username = alice$/m);
    expect(res.stdout).toMatch(`api login: ${login}`);
    expect(await store.getUser('alice')).toMatchObject({ admin: false, groups: ['devs'] });

    const dataDir = mkdtempSync(join(tmpdir(), 'copr-admin-svc-'));
    tmpDirs.push(dataDir);
    const service = await startLocalService({ dataDir, port: 0, dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!, tableName: TABLE });
    try {
      const client = new CoprClient(service.url, { login: login!, token: token! });
      const me = await client.send('GET', 'auth-check', { auth: true });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ name: 'alice' });
    } finally {
      await service.stop();
    }

    const [dup, bad, dupGroup] = await Promise.all([
      admin(['create-user', 'alice']),
      admin(['create-user', '../root']),
      admin(['create-group', 'devs']),
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/user alice already exists/);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid user name/);
    expect(dupGroup.stderr).toMatch(/group devs already exists/);
  });

  it('create-user prints the URL of the running service on the data dir, else the PORT one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'copr-admin-url-'));
    tmpDirs.push(dataDir);
    const env = { FRONTEND_URL: undefined, COPR_DATA_DIR: dataDir };
    const byPort = await admin(['create-user', 'carol'], { ...env, PORT: '18123' });
    expect(byPort.code, byPort.stderr).toBe(0);
    expect(byPort.stdout).toMatch(/^copr_url = http:\/\/127\.0\.0\.1:18123$/m);
    writeServiceFile(dataDir, 'http://127.0.0.1:45678'); // a live pid: this test process
    const running = await admin(['create-user', 'dave'], { ...env, PORT: '18123' });
    expect(running.code, running.stderr).toBe(0);
    expect(running.stdout).toMatch(/^copr_url = http:\/\/127\.0\.0\.1:45678$/m);
  });

  it('alters admin rights and group membership', async () => {
    expect((await admin(['create-user', 'bob', '--admin'])).code).toBe(0);
    expect((await store.getUser('bob'))?.admin).toBe(true);
    const [noAdmin, aliceAdmin, member] = await Promise.all([
      admin(['alter-user', 'bob', '--no-admin']),
      admin(['alter-user', 'alice', '--admin']),
      admin(['add-group-member', 'devs', 'bob']),
    ]);
    expect([noAdmin.code, aliceAdmin.code, member.code]).toEqual([0, 0, 0]);
    expect(await store.getUser('bob')).toMatchObject({ admin: false, groups: ['devs'] });
    expect((await store.getUser('alice'))?.admin).toBe(true);

    const [both, nobody, again, noGroup] = await Promise.all([
      admin(['alter-user', 'bob', '--admin', '--no-admin']),
      admin(['alter-user', 'nobody', '--admin']),
      admin(['add-group-member', 'devs', 'bob']), // idempotent
      admin(['add-group-member', 'ops', 'bob']),
    ]);
    expect([both.code, nobody.code, again.code, noGroup.code]).toEqual([2, 1, 0, 1]);
    expect(noGroup.stderr).toMatch(/no such group: ops/);
    expect(await store.getUser('bob')).toMatchObject({ admin: false, groups: ['devs'] });
  });
});

describe('copr-admin --data-dir', () => {
  it('starts and stops its own DynamoDB Local when the service is not running', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'copr-admin-dd-'));
    tmpDirs.push(dataDir);
    const dbPath = join(dataDir, 'dynamodb');
    const env = { DYNAMODB_ENDPOINT: undefined, TABLE_NAME: undefined };
    const tables = await admin(['--data-dir', dataDir, 'create-tables', '--seed-chroots'], env);
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stderr).toMatch('started DynamoDB Local');
    expect(existsSync(dbPath)).toBe(true);
    expect(dynamoProcessesOn(dbPath)).toBe(0);

    // Now "the service" runs a DynamoDB Local on that dir: the CLI must use it, and
    // the table it made before was kept on disk.
    const running = await startDynamoDbLocal({ dataDir: dbPath });
    try {
      const res = await admin(['--data-dir', dataDir, 'create-group', 'local'], env);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toMatch(`using the running DynamoDB Local at ${running.endpoint}`);
      const local = new DynamoStore(documentClient(running.endpoint), 'copr');
      expect(await local.getGroup('local')).toMatchObject({ name: 'local' });
      expect((await local.listMockChroots()).length).toBeGreaterThan(0);
      expect(dynamoProcessesOn(dbPath)).toBe(1);
    } finally {
      await running.stop();
    }
  }, 60_000);
});
