#!/usr/bin/env -S npx tsx
/**
 * `copr-admin`: the site administrator's commands (the equivalents of copr-frontend's
 * manage commands). Talks to DynamoDB directly: DYNAMODB_ENDPOINT / TABLE_NAME from
 * the environment, or `--data-dir DIR` for the local service's DynamoDB Local in DIR
 * (started here, and stopped again, when the service is not running).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mockChroot, seedMockChroots } from '../functions/core/mock-chroots.js';
import { isValidChrootName, isValidUserName } from '../functions/core/names.js';
import { AlreadyExists, systemClock, type Store } from '../functions/core/ports.js';
import { createUser } from '../functions/core/users.js';
import { coprCliConfig } from '../functions/local/bootstrap-admin.js';
import { readServiceFile } from '../functions/local/service-file.js';
import type { RekeyReport } from '../functions/store/rekey-items.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: copr-admin [--data-dir DIR] COMMAND [ARGS]

  create-tables [--seed-chroots]              create the table (and the default chroots)
  create-chroot NAME... [--deactivated] [--comment TEXT]
  alter-chroot NAME... --action activate|deactivate|eol
  list-chroots
  create-user NAME [--admin] [--group G]...   prints API credentials and a copr-cli config
  alter-user NAME --admin|--no-admin
  create-group NAME
  add-group-member GROUP USER
  migrate-keys                                rewrite items stored before keyset pages (safe to rerun)

Without --data-dir, DYNAMODB_ENDPOINT (unset = AWS) and TABLE_NAME are used.`;

/** A mistake in the command line (exit 2) rather than a failure (exit 1). */
class UsageError extends Error {}
class Failure extends Error {}

const OPTIONS = {
  'data-dir': { type: 'string' },
  'seed-chroots': { type: 'boolean' },
  deactivated: { type: 'boolean' },
  comment: { type: 'string' },
  action: { type: 'string' },
  admin: { type: 'boolean' },
  'no-admin': { type: 'boolean' },
  group: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Db {
  store: Store;
  frontendUrl: string;
  tokenDays: number;
  tableName: string;
  tableExists(): Promise<boolean>;
  createTable(): Promise<boolean>;
  rekey(): Promise<RekeyReport>;
  stop(): Promise<void>;
}


/**
 * The URL copr-cli configs point at: FRONTEND_URL when set, else the running local
 * service on this data dir (its service.json), else the port `npm start` would use.
 */
function frontendUrlOf(env: NodeJS.ProcessEnv, dataDir: string | undefined): string {
  if (env.FRONTEND_URL) return env.FRONTEND_URL.replace(/\/+$/, '');
  const running = readServiceFile(resolve(dataDir ?? env.COPR_DATA_DIR ?? '.copr-local'));
  if (running) return running.url;
  return `http://127.0.0.1:${env.PORT ?? '8080'}`;
}

async function connect(dataDir: string | undefined): Promise<Db> {
  // Loaded only when needed, so usage errors and --help answer quickly.
  const [{ DescribeTableCommand }, { loadConfig }, { startDynamoDbLocal, findRunningDynamoDbLocal }, { documentClient }, { DynamoStore }, { ensureTable }] =
    await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('../functions/config.js'),
      import('../functions/local/dynamodb-local.js'),
      import('../functions/store/dynamo-client.js'),
      import('../functions/store/dynamo-store.js'),
      import('../functions/store/table-admin.js'),
    ]);
  const { rekeyItems } = await import('../functions/store/rekey-items.js');
  let stop = async () => {};
  let endpoint: string | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (dataDir !== undefined) {
    const dbPath = resolve(dataDir, 'dynamodb');
    endpoint = (await findRunningDynamoDbLocal(dbPath)) ?? undefined;
    if (endpoint) {
      console.error(`copr-admin: using the running DynamoDB Local at ${endpoint}`);
    } else {
      const ddb = await startDynamoDbLocal({ dataDir: dbPath });
      endpoint = ddb.endpoint;
      stop = () => ddb.stop();
      console.error(`copr-admin: started DynamoDB Local on ${dbPath} (stopped on exit)`);
    }
    env.DYNAMODB_ENDPOINT = endpoint;
  }
  try {
    const config = loadConfig(env);
    const db = documentClient(config.DYNAMODB_ENDPOINT);
    const tableName = config.TABLE_NAME;
    return {
      store: new DynamoStore(db, tableName),
      frontendUrl: frontendUrlOf(env, dataDir),
      tokenDays: config.API_TOKEN_DAYS,
      tableName,
      async tableExists() {
        try {
          await db.send(new DescribeTableCommand({ TableName: tableName }));
          return true;
        } catch (err) {
          if ((err as Error).name === 'ResourceNotFoundException') return false;
          throw err;
        }
      },
      createTable: () => ensureTable(db, tableName),
      rekey: () => rekeyItems(db, tableName),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---- commands ------------------------------------------------------------------------------

function allowOnly(values: Values, allowed: Array<keyof typeof OPTIONS>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || k === 'data-dir') continue;
    if (!allowed.includes(k as keyof typeof OPTIONS)) throw new UsageError(`option --${k} does not apply to this command`);
  }
}

function needArgs(args: string[], min: number, max: number, what: string): void {
  if (args.length < min || args.length > max) throw new UsageError(`expected ${what}`);
}

async function createChroots(db: Db, names: string[], values: Values): Promise<void> {
  needArgs(names, 1, Infinity, 'one or more chroot names');
  const bad = names.filter((n) => !isValidChrootName(n));
  if (bad.length > 0) throw new Failure(`invalid chroot name: ${bad.join(', ')}`);
  const existing = new Set((await db.store.listMockChroots()).map((c) => c.name));
  const dup = names.filter((n) => existing.has(n));
  for (const name of names) {
    if (existing.has(name)) continue;
    await db.store.putMockChroot(mockChroot(name, !values.deactivated, false, values.comment ?? ''));
    console.log(`created chroot ${name}${values.deactivated ? ' (deactivated)' : ''}`);
  }
  if (dup.length > 0) throw new Failure(`chroot already exists: ${dup.join(', ')}`);
}

async function alterChroots(db: Db, names: string[], action: string | undefined): Promise<void> {
  needArgs(names, 1, Infinity, 'one or more chroot names');
  const states: Record<string, { is_active: boolean; eol: boolean }> = {
    activate: { is_active: true, eol: false },
    deactivate: { is_active: false, eol: false },
    eol: { is_active: false, eol: true },
  };
  const state = action === undefined ? undefined : states[action];
  if (!state) throw new UsageError('--action must be activate, deactivate or eol');
  const chroots = await Promise.all(names.map(async (n) => ({ name: n, chroot: await db.store.getMockChroot(n) })));
  const missing = chroots.filter((c) => !c.chroot).map((c) => c.name);
  if (missing.length > 0) throw new Failure(`no such chroot: ${missing.join(', ')}`);
  for (const { chroot } of chroots) {
    await db.store.putMockChroot({ ...chroot!, ...state });
    console.log(`${chroot!.name}: ${action}`);
  }
}

async function listChroots(db: Db): Promise<void> {
  const chroots = (await db.store.listMockChroots()).sort((a, b) => a.name.localeCompare(b.name));
  for (const c of chroots) {
    const state = c.is_active ? 'active' : c.eol ? 'eol' : 'deactivated';
    console.log([c.name, state, c.comment].filter((x) => x !== '').join('\t'));
  }
}

async function createUserCommand(db: Db, args: string[], values: Values): Promise<void> {
  needArgs(args, 1, 1, 'one user name');
  const name = args[0]!;
  if (!isValidUserName(name)) throw new Failure(`invalid user name '${name}'`);
  const groups = (values.group ?? []).map((g) => g.replace(/^@/, ''));
  for (const g of groups) {
    if (!(await db.store.getGroup(g))) throw new Failure(`group ${g} does not exist (create it with create-group)`);
  }
  let created;
  try {
    created = await createUser(db.store, systemClock, name, { admin: values.admin ?? false, groups: [...new Set(groups)], tokenDays: db.tokenDays });
  } catch (err) {
    if (err instanceof AlreadyExists) throw new Failure(`user ${name} already exists`);
    throw err;
  }
  const { token } = created;
  console.log(`created user ${name}${values.admin ? ' (admin)' : ''}`);
  console.log(`api login: ${token.api_login}`);
  console.log(`api token: ${token.api_token}`);
  console.log(`expires:   ${token.api_token_expiration}`);
  console.log('\n# copr-cli configuration (~/.config/copr):');
  process.stdout.write(
    coprCliConfig({ login: token.api_login, token: token.api_token, username: name, url: db.frontendUrl, expiration: token.api_token_expiration }),
  );
}

async function alterUser(db: Db, args: string[], values: Values): Promise<void> {
  needArgs(args, 1, 1, 'one user name');
  if (values.admin === values['no-admin']) throw new UsageError('give exactly one of --admin and --no-admin');
  const name = args[0]!;
  if (!(await db.store.getUser(name))) throw new Failure(`no such user: ${name}`);
  await db.store.setUserAdmin(name, values.admin === true);
  console.log(`${name}: admin ${values.admin === true ? 'granted' : 'revoked'}`);
}

async function createGroup(db: Db, args: string[]): Promise<void> {
  needArgs(args, 1, 1, 'one group name');
  const name = args[0]!.replace(/^@/, '');
  if (!isValidUserName(name)) throw new Failure(`invalid group name '${name}'`);
  try {
    await db.store.createGroup({ id: await db.store.nextId('group'), name, created_on: Math.floor(Date.now() / 1000) });
  } catch (err) {
    if (err instanceof AlreadyExists) throw new Failure(`group ${name} already exists`);
    throw err;
  }
  console.log(`created group @${name}`);
}

async function addGroupMember(db: Db, args: string[]): Promise<void> {
  needArgs(args, 2, 2, 'GROUP USER');
  const group = args[0]!.replace(/^@/, '');
  const username = args[1]!;
  if (!(await db.store.getGroup(group))) throw new Failure(`no such group: ${group}`);
  const user = await db.store.getUser(username);
  if (!user) throw new Failure(`no such user: ${username}`);
  if (!user.groups.includes(group)) await db.store.setUserGroups(username, [...user.groups, group]);
  console.log(`${username} is a member of @${group}`);
}

async function run(command: string, args: string[], values: Values): Promise<void> {
  const commands: Record<string, { options: Array<keyof typeof OPTIONS>; run: (db: Db) => Promise<void> }> = {
    'create-tables': {
      options: ['seed-chroots'],
      run: async (db) => {
        const created = await db.createTable();
        console.log(created ? `created table ${db.tableName}` : `table ${db.tableName} already exists`);
        if (values['seed-chroots']) console.log(`added ${await seedMockChroots(db.store)} default chroots`);
      },
    },
    'create-chroot': { options: ['deactivated', 'comment'], run: (db) => createChroots(db, args, values) },
    'alter-chroot': { options: ['action'], run: (db) => alterChroots(db, args, values.action) },
    'list-chroots': { options: [], run: (db) => (needArgs(args, 0, 0, 'no arguments'), listChroots(db)) },
    'create-user': { options: ['admin', 'group'], run: (db) => createUserCommand(db, args, values) },
    'alter-user': { options: ['admin', 'no-admin'], run: (db) => alterUser(db, args, values) },
    'create-group': { options: [], run: (db) => createGroup(db, args) },
    'add-group-member': { options: [], run: (db) => addGroupMember(db, args) },
    'migrate-keys': {
      options: [],
      run: async (db) => {
        needArgs(args, 0, 0, 'no arguments');
        const r = await db.rekey();
        console.log(
          `scanned ${r.scanned} items: re-keyed ${r.projects} projects, ${r.packages} packages, ${r.searchEntries} search entries ` +
            `(dropped ${r.searchEntriesDropped}); summarized ${r.buildSummaries} finished builds`,
        );
      },
    },
  };
  const cmd = commands[command];
  if (!cmd) throw new UsageError(`unknown command '${command}'`);
  allowOnly(values, cmd.options);
  const db = await connect(values['data-dir']);
  try {
    if (command !== 'create-tables' && !(await db.tableExists())) {
      throw new Failure(`table ${db.tableName} does not exist; run copr-admin create-tables first`);
    }
    await cmd.run(db);
  } finally {
    await db.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const [command, ...args] = parsed.positionals;
    if (parsed.values.help || command === undefined) {
      console.log(USAGE);
      return parsed.values.help ? 0 : 2;
    }
    await run(command, args, parsed.values);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`copr-admin: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`copr-admin: ${err instanceof Failure ? err.message : (err as Error).stack ?? String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
