import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../functions/api/router.js';
import type { PermissionValue } from '../../functions/core/model.js';
import { newRecorder, recordingBuildsPlugin, type Recorder } from '../api/build-support.js';
import { createProject, createProjectBody, multipart, type CoprClient } from '../support/copr-client.js';
import { makeHelloRpm } from '../support/hello-srpm.js';
import { startTestService, type TestService } from '../support/service.js';
import { apiEvent, fillPath, mutatingRoutes, newTally, report, tableSnapshot } from './battery-support.js';
import { basic } from './raw-http.js';

/**
 * Who may do what, for every mutating endpoint, against Copr's rules
 * (shared/spec/copr-wire-contract.md §1 auth, §2.2 projects, §2.4 builds, §2.5
 * packages, §2.9 permissions; project deletion and batches as Copr's frontend
 * decides them). The target is a group project `@team/m`: its group member stands
 * for the owner. Every identity sends a request the route would accept from an
 * allowed caller, so a refusal can only come from authorization.
 */
type Identity =
  | 'anonymous'
  | 'wrong token'
  | 'expired token'
  | 'other user'
  | 'builder requested'
  | 'builder approved'
  | 'admin requested'
  | 'admin approved'
  | 'group member'
  | 'site admin';

const IDENTITIES: Identity[] = [
  'anonymous', 'wrong token', 'expired token', 'other user', 'builder requested', 'builder approved',
  'admin requested', 'admin approved', 'group member', 'site admin',
];

/** `ok`: allowed (any answer but 401/403 and 5xx); a number: exactly that status. */
type Outcome = 'ok' | 400 | 401 | 403;

type Rule =
  | 'login' // anyone logged in (api-token, fork into one's own namespace)
  | 'create-in-group' // a project under @team: its members, and site admins
  | 'edit' // owner / group member, site admin, `admin` approved
  | 'build' // everyone who may edit, plus `builder` approved
  | 'edit-list' // as `edit`, for a list of builds: the refusal is one 400 naming the builds per reason (all or nothing)
  | 'delete-project' // owner / group member, site admin: NOT the `admin` permission
  | 'request-permission' // anyone logged in but the owners; asking again for an approved role is 400
  | 'builder-credential' // the backend's own protocol: a user's credentials count for nothing
  | 'webhook-secret'; // anonymous by design: the secret in the URL decides, not who asks

const NOT_LOGGED_IN = { anonymous: 401, 'wrong token': 401, 'expired token': 401 } as const;

/** The expected answer of each identity under each rule: the table this test holds the service to. */
const EXPECTED: Record<Exclude<Rule, 'webhook-secret'>, Record<Identity, Outcome>> = {
  login: { ...NOT_LOGGED_IN, 'other user': 'ok', 'builder requested': 'ok', 'builder approved': 'ok', 'admin requested': 'ok', 'admin approved': 'ok', 'group member': 'ok', 'site admin': 'ok' },
  'create-in-group': { ...NOT_LOGGED_IN, 'other user': 403, 'builder requested': 403, 'builder approved': 403, 'admin requested': 403, 'admin approved': 403, 'group member': 'ok', 'site admin': 'ok' },
  edit: { ...NOT_LOGGED_IN, 'other user': 403, 'builder requested': 403, 'builder approved': 403, 'admin requested': 403, 'admin approved': 'ok', 'group member': 'ok', 'site admin': 'ok' },
  'edit-list': { ...NOT_LOGGED_IN, 'other user': 400, 'builder requested': 400, 'builder approved': 400, 'admin requested': 400, 'admin approved': 'ok', 'group member': 'ok', 'site admin': 'ok' },
  build: { ...NOT_LOGGED_IN, 'other user': 403, 'builder requested': 403, 'builder approved': 'ok', 'admin requested': 403, 'admin approved': 'ok', 'group member': 'ok', 'site admin': 'ok' },
  'delete-project': { ...NOT_LOGGED_IN, 'other user': 403, 'builder requested': 403, 'builder approved': 403, 'admin requested': 403, 'admin approved': 403, 'group member': 'ok', 'site admin': 'ok' },
  'request-permission': { ...NOT_LOGGED_IN, 'other user': 'ok', 'builder requested': 'ok', 'builder approved': 'ok', 'admin requested': 'ok', 'admin approved': 400, 'group member': 400, 'site admin': 'ok' },
  'builder-credential': { anonymous: 401, 'wrong token': 401, 'expired token': 401, 'other user': 401, 'builder requested': 401, 'builder approved': 401, 'admin requested': 401, 'admin approved': 401, 'group member': 401, 'site admin': 401 },
};

/** Each mutating route's rule. A route missing here fails the test: new routes must be classified. */
const RULE_OF: Record<string, Rule> = {
  'POST /api_3/api-token': 'login',
  'POST /api_3/project/add/{ownername}': 'create-in-group',
  'PUT /api_3/project/edit/{ownername}/{projectname}': 'edit',
  'DELETE /api_3/project/delete/{ownername}/{projectname}': 'delete-project',
  'PUT /api_3/project/regenerate-repos/{ownername}/{projectname}': 'edit',
  'POST /api_3/project/fork/{ownername}/{projectname}': 'login',
  'POST /api_3/package/add/{ownername}/{projectname}/{package_name}/{source_type}': 'edit',
  'POST /api_3/package/edit/{ownername}/{projectname}/{package_name}/{source_type}': 'edit',
  'POST /api_3/package/edit/{ownername}/{projectname}/{package_name}': 'edit',
  'PUT /api_3/package/reset': 'edit',
  'DELETE /api_3/package/delete': 'edit',
  'PUT /api_3/project-chroot/edit/{ownername}/{projectname}/{chrootname}': 'edit',
  'PUT /api_3/project/permissions/set/{ownername}/{projectname}': 'edit',
  'PUT /api_3/project/permissions/request/{ownername}/{projectname}': 'request-permission',
  'PUT /api_3/build/cancel/{id}': 'build',
  'DELETE /api_3/build/delete/list': 'edit-list',
  'DELETE /api_3/build/delete/{id}': 'edit',
  'POST /api_3/build/check-before-build': 'build',
  'POST /api_3/build/create/url': 'build',
  'POST /api_3/build/create/upload': 'build',
  'POST /api_3/build/create/uploaded': 'build',
  'POST /api_3/build/create/rpm-upload': 'build',
  'POST /api_3/build/upload-slot': 'build',
  'POST /api_3/build/create/scm': 'build',
  'POST /api_3/build/create/pypi': 'build',
  'POST /api_3/build/create/rubygems': 'build',
  'POST /api_3/build/create/custom': 'build',
  'POST /api_3/build/create/distgit': 'build',
  'POST /api_3/package/build': 'build',
  'POST /api_3/build/resubmit/{id}': 'build',
  'POST /api_3/webhook/generate/{ownername}/{projectname}': 'edit',
  'POST /backend/builder/started': 'builder-credential',
  'POST /backend/builder/heartbeat': 'builder-credential',
  'POST /backend/builder/upload-url': 'builder-credential',
  'PUT /backend/builder/results/{key+}': 'builder-credential',
  'PUT /backend/builder/live-log/{offset}': 'builder-credential',
  'POST /backend/builder/finished': 'builder-credential',
  'POST /backend/builder/next-task': 'builder-credential',
  'POST /backend/builder/leave': 'builder-credential',
};
const ruleOf = (r: Route): Rule | undefined => RULE_OF[`${r.method} ${r.path}`] ?? (r.path.startsWith('/webhooks/') ? 'webhook-secret' : undefined);

let t: TestService;
const rec: Recorder = newRecorder();
const tally = newTally();
const headersOf = new Map<Identity, Record<string, string>>();
const userOf = new Map<Identity, string>();
let buildId = 0;
let coprId = 0;
let seq = 0;
let gm: CoprClient;
/** A real binary RPM (rpmbuild -bb): an allowed caller's rpm-upload must pass every check but authorization. */
let rpmBytes: Buffer = Buffer.alloc(0);

const OPTIONS = { ownername: '@team', projectname: 'm', project_dirname: 'm', chroots: null, background: false };

/** A request the route accepts from an allowed caller. */
function requestFor(route: Route, who: Identity): { path: string; query?: string; contentType?: string; body?: Buffer } {
  const n = ++seq;
  const json = (v: unknown) => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify(v)) });
  const path = fillPath(route, (p) =>
    encodeURIComponent(
      ({ ownername: '@team', projectname: 'm', package_name: 'pkg', chrootname: 'fedora-44-x86_64', source_type: 'scm', id: String(buildId), copr_id: String(coprId), uuid: 'not-the-secret', key: 'x/y', offset: '0' } as Record<string, string>)[p] ?? 'x',
    ),
  );
  const q = new URLSearchParams({ ownername: '@team', projectname: 'm' }).toString();
  switch (`${route.method} ${route.path}`) {
    case 'POST /api_3/project/add/{ownername}':
      return { path, query: q, ...json(createProjectBody(`new-${n}`)) };
    case 'PUT /api_3/project/edit/{ownername}/{projectname}':
      return { path, ...json({ description: `edited ${n}` }) };
    case 'DELETE /api_3/project/delete/{ownername}/{projectname}':
      return { path, query: q, ...json({ verify: true }) };
    case 'POST /api_3/project/fork/{ownername}/{projectname}':
      return { path, ...json({ name: `fork-${n}`, ownername: userOf.get(who) ?? 'nobody' }) };
    case 'POST /api_3/package/add/{ownername}/{projectname}/{package_name}/{source_type}':
      return { path: path.replace('/pkg/', `/pkg-${n}/`), ...json({ package_name: `pkg-${n}`, clone_url: 'https://example.com/p.git' }) };
    case 'POST /api_3/package/edit/{ownername}/{projectname}/{package_name}/{source_type}':
      return { path, ...json({ package_name: 'pkg', clone_url: `https://example.com/p${n}.git` }) };
    case 'POST /api_3/package/edit/{ownername}/{projectname}/{package_name}':
      return { path, ...json({ package_name: 'pkg', max_builds: n }) };
    case 'PUT /api_3/package/reset':
    case 'DELETE /api_3/package/delete':
      return { path, ...json({ ownername: '@team', projectname: 'm', package_name: 'pkg' }) };
    case 'PUT /api_3/project-chroot/edit/{ownername}/{projectname}/{chrootname}': {
      const m = multipart([], { additional_packages: [`pkg${n}`] });
      return { path, contentType: m.contentType, body: m.body };
    }
    case 'PUT /api_3/project/permissions/set/{ownername}/{projectname}':
      return { path, ...json({ [userOf.get('other user')!]: { builder: 'nothing' } }) };
    case 'PUT /api_3/project/permissions/request/{ownername}/{projectname}':
      return { path, ...json({ admin: true }) };
    case 'DELETE /api_3/build/delete/list':
      return { path, ...json({ builds: [buildId] }) };
    case 'POST /api_3/build/check-before-build':
      return { path, ...json(OPTIONS) };
    case 'POST /api_3/build/create/url':
      return { path, ...json({ ...OPTIONS, pkgs: ['https://example.com/a-1-1.src.rpm'] }) };
    case 'POST /api_3/build/create/upload': {
      const m = multipart([{ field: 'pkgs', filename: 'a-1-1.src.rpm', contentType: 'application/x-rpm', data: Buffer.from('srpm') }], OPTIONS);
      return { path, contentType: m.contentType, body: m.body };
    }
    case 'POST /api_3/build/create/rpm-upload': {
      const m = multipart([{ field: 'pkgs', filename: 'authz-tool-1.0-1.noarch.rpm', contentType: 'application/x-rpm', data: rpmBytes }], OPTIONS);
      return { path, contentType: m.contentType, body: m.body };
    }
    case 'POST /api_3/build/upload-slot':
      return { path, ...json({ ownername: '@team', projectname: 'm', filename: 'a-1-1.src.rpm' }) };
    case 'POST /api_3/build/create/uploaded':
      return { path, ...json({ ...OPTIONS, upload_id: '00000000-0000-4000-8000-000000000000/a-1-1.src.rpm' }) };
    case 'POST /api_3/build/create/scm':
      return { path, ...json({ ...OPTIONS, clone_url: 'https://example.com/p.git' }) };
    case 'POST /api_3/build/create/pypi':
      return { path, ...json({ ...OPTIONS, pypi_package_name: 'requests' }) };
    case 'POST /api_3/build/create/rubygems':
      return { path, ...json({ ...OPTIONS, gem_name: 'rake' }) };
    case 'POST /api_3/build/create/custom':
      return { path, ...json({ ...OPTIONS, script: '#!/bin/sh\necho hi\n', chroot: 'fedora-44-x86_64' }) };
    case 'POST /api_3/build/create/distgit':
      return { path, ...json({ ...OPTIONS, packagename: 'hello', distgit: 'fedora' }) };
    case 'POST /api_3/package/build':
      return { path, ...json({ ...OPTIONS, package_name: 'pkg' }) };
    case 'POST /backend/builder/upload-url':
      return { path, ...json({ path: 'x.log' }) };
    case 'POST /backend/builder/finished':
      return { path, ...json({ status: 'failed' }) };
    case 'PUT /backend/builder/results/{key+}':
    case 'PUT /backend/builder/live-log/{offset}':
      return { path, contentType: 'application/octet-stream', body: Buffer.from('log') };
    default:
      if (route.path.startsWith('/webhooks/')) return { path, ...json({ ref: 'refs/heads/main' }) };
      return { path };
  }
}

async function setPerm(user: string, admin: PermissionValue, builder: PermissionValue) {
  await t.service.ctx.store.putPermissions([{ ownername: '@team', projectname: 'm', username: user, admin, builder }]);
}

/** Puts back what an allowed request may have removed, so later identities meet the same fixture. */
async function restore() {
  if (!(await t.service.ctx.store.getProject('@team', 'm'))) return; // deleted by the last route, on purpose
  if (!(await t.service.ctx.store.getPackage('@team', 'm', 'pkg'))) {
    expect((await gm.send('POST', 'package/add/@team/m/pkg/scm', { json: { package_name: 'pkg', clone_url: 'https://example.com/p.git' } })).status).toBe(200);
  }
  if (!(await rec.deps!.builds.getBuild(buildId))) await newBuild();
}

async function newBuild() {
  const b = await gm.send('POST', 'build/create/url', { json: { ...OPTIONS, pkgs: ['https://example.com/a-1-1.src.rpm'] } });
  expect(b.status).toBe(200);
  buildId = (b.body.items as Array<{ id: number }>)[0]!.id;
  // Finished (canceled), so that deleting it is allowed to those who may.
  expect((await gm.send('PUT', `build/cancel/${buildId}`)).status).toBe(200);
}

beforeAll(async () => {
  const rpmDir = await mkdtemp(join(tmpdir(), 'authz-rpm-'));
  rpmBytes = await readFile(await makeHelloRpm(rpmDir, 'authz-tool'));
  await rm(rpmDir, { recursive: true, force: true });
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  gm = await t.user('gm', { groups: ['team'] });
  const users: Array<[Identity, string, { admin?: boolean; groups?: string[] }]> = [
    ['other user', 'eve', {}],
    ['builder requested', 'brq', {}],
    ['builder approved', 'bap', {}],
    ['admin requested', 'arq', {}],
    ['admin approved', 'aap', {}],
    ['site admin', 'root', { admin: true }],
  ];
  headersOf.set('group member', { authorization: basic(gm.creds!.login, gm.creds!.token) });
  userOf.set('group member', 'gm');
  for (const [who, name, opts] of users) {
    const c = await t.user(name, opts);
    headersOf.set(who, { authorization: basic(c.creds!.login, c.creds!.token) });
    userOf.set(who, name);
  }
  headersOf.set('anonymous', {});
  headersOf.set('wrong token', { authorization: basic(gm.creds!.login, 'notthetoken') });
  headersOf.set('expired token', { authorization: `Bearer ${await t.service.issuer.sign('gm', -60)}` });

  expect((await createProject(gm, '@team', 'm', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
  coprId = (await t.service.ctx.store.getProject('@team', 'm'))!.id;
  await setPerm('brq', 'nothing', 'request');
  await setPerm('bap', 'nothing', 'approved');
  await setPerm('arq', 'request', 'nothing');
  await setPerm('aap', 'approved', 'nothing');
  await restore();
  await newBuild();
});

afterAll(async () => {
  console.log(report('attack battery, authorization matrix', tally));
  await t.stop();
});

/** Refusing routes first, destructive ones last, so each identity meets the same fixture. */
// A new API token replaces the caller's old one: that route goes very last.
const ORDER = ['PUT /api_3/project/permissions/request/{ownername}/{projectname}', 'DELETE /api_3/build/delete/list', 'DELETE /api_3/build/delete/{id}', 'DELETE /api_3/project/delete/{ownername}/{projectname}', 'POST /api_3/api-token'];
const rank = (r: Route) => ORDER.indexOf(`${r.method} ${r.path}`);

describe('authorization matrix: identities × every mutating endpoint', () => {
  it('every route of the table has a rule', () => {
    const missing = mutatingRoutes(t).filter((r) => ruleOf(r) === undefined).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it("answers each identity as Copr's rules say, and a refusal changes nothing", async () => {
    const routes = [...mutatingRoutes(t)].sort((a, b) => rank(a) - rank(b));
    let before = await tableSnapshot(t);
    for (const route of routes) {
      const rule = ruleOf(route)!;
      // Refused identities first: they must find the fixture untouched by allowed ones.
      const ids = [...IDENTITIES].sort((a, b) => Number(rule !== 'webhook-secret' && EXPECTED[rule][a] === 'ok') - Number(rule !== 'webhook-secret' && EXPECTED[rule][b] === 'ok'));
      let anonymousAnswer: number | null = null;
      for (const who of ids) {
        const r = requestFor(route, who);
        const res = await t.service.api(
          apiEvent(route.method, r.path, { query: r.query, headers: { ...headersOf.get(who)!, ...(r.contentType ? { 'content-type': r.contentType } : {}) }, body: r.body }),
        );
        tally.requests++;
        const status = res.statusCode ?? 200;
        const what = `${who} → ${route.method} ${route.path}: ${status} ${(res.body ?? '').slice(0, 160)}`;
        if (status >= 500) tally.fiveXX.push(what);
        if (rule === 'webhook-secret') {
          anonymousAnswer ??= status;
          if (status !== anonymousAnswer || status === 401 || status < 400) tally.wrongAuthz.push(`${what} (expected ${anonymousAnswer} for everyone)`);
        } else {
          const want = EXPECTED[rule][who];
          const right = want === 'ok' ? status !== 401 && status !== 403 && status < 500 : status === want;
          if (!right) tally.wrongAuthz.push(`${what} (expected ${want})`);
        }
        if (status >= 400) {
          const after = await tableSnapshot(t);
          if (JSON.stringify(after) !== JSON.stringify(before)) tally.stateChanges.push(what);
          before = after;
        } else {
          await restore();
          before = await tableSnapshot(t);
        }
      }
    }
    expect(tally.wrongAuthz).toEqual([]);
    expect(tally.fiveXX).toEqual([]);
    expect(tally.stateChanges).toEqual([]);
  }, 120_000);
});
