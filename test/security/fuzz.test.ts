import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../functions/api/router.js';
import { newRecorder, recordingBuildsPlugin, type Recorder } from '../api/build-support.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { apiEvent, fillPath, mutatingRoutes, newTally, report, tableSnapshot } from './battery-support.js';
import { basic, rawHttp } from './raw-http.js';

/**
 * Hostile input on every mutating endpoint of the router's table: malformed JSON,
 * wrong types, huge strings, unicode and NUL strings, path traversal, bodies that
 * are not objects, truncated multipart. The caller is the project's owner (the most
 * any request can do). Nothing may answer 5xx, nothing may change after a refusal,
 * and the process keeps serving.
 */
let t: TestService;
let alice: CoprClient;
let buildId = 0;
let coprId = 0;
const rec: Recorder = newRecorder();
const tally = newTally();

const KEYS = [
  'ownername', 'projectname', 'name', 'package_name', 'packagename', 'chroots', 'exclude_chroots', 'pkgs', 'clone_url', 'committish',
  'subdirectory', 'spec', 'scm_type', 'source_build_method', 'pypi_package_name', 'gem_name', 'script', 'builddeps', 'resultdir', 'chroot',
  'description', 'instructions', 'homepage', 'contact', 'additional_repos', 'timeout', 'with_build_id', 'after_build_id', 'verify',
  'admin', 'builder', 'status', 'results', 'path', 'project_dirname', 'distgit', 'namespace', 'bootstrap', 'isolation', 'buildroot_pkgs',
  'repos', 'module_toggle', 'with_opts', 'delete_after_days', 'build_ids', 'fail_reason', 'srpm_filename', 'confirm', 'webhook_rebuild',
];
const everyKey = (v: unknown) => Object.fromEntries(KEYS.map((k) => [k, v]));

const TRAVERSAL = '../../../../etc/passwd';
const HOSTILE_STRING = 'x\u0000\u202e\u2603\ud835\udd18\uffff"\'<script>`$(id)`;|&\r\n';

interface Variant {
  name: string;
  contentType: string;
  body: Buffer;
  /** Path params replaced by this value (URL-encoded) instead of the valid ones. */
  pathValue?: string;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const VARIANTS: Variant[] = [
  { name: 'malformed JSON', contentType: 'application/json', body: Buffer.from('{"ownername": "alice", "projectname": ') },
  { name: 'wrong types', contentType: 'application/json', body: json({ ...everyKey({ nested: [1, { x: null }] }), ownername: 42, projectname: ['fz'], chroots: 7, pkgs: true }) },
  { name: 'huge strings', contentType: 'application/json', body: json(everyKey('A'.repeat(60_000))) },
  { name: 'unicode and NUL', contentType: 'application/json', body: json({ ...everyKey(HOSTILE_STRING), ownername: 'alice', projectname: 'fz' }) },
  { name: 'path traversal in names', contentType: 'application/json', body: json({ ...everyKey(TRAVERSAL), ownername: 'alice', [TRAVERSAL]: { admin: 'approved' } }), pathValue: TRAVERSAL },
  { name: 'not an object', contentType: 'application/json', body: Buffer.from('[1e999, "x", null]') },
  { name: 'a number body', contentType: 'application/json', body: Buffer.from('-0.0e-999999') },
  { name: 'over the JSON cap', contentType: 'application/json', body: Buffer.alloc(1024 * 1024 + 10, 0x20) },
  { name: 'truncated multipart', contentType: 'multipart/form-data; boundary=zz', body: Buffer.from('--zz\r\nContent-Disposition: form-data; name="pkgs"; filename="a-1-1.src.rpm"\r\n\r\nAAAAAAAA') },
  { name: 'multipart, json part is garbage', contentType: 'multipart/form-data; boundary=zz', body: Buffer.from('--zz\r\nContent-Disposition: form-data; name="json"; filename="json"\r\n\r\n{{{\r\n--zz--\r\n') },
];

function validParam(name: string): string {
  switch (name) {
    case 'ownername': return 'alice';
    case 'projectname': return 'fz';
    case 'package_name': return 'pkg';
    case 'chrootname': return 'fedora-44-x86_64';
    case 'source_type': return 'scm';
    case 'id': return String(buildId);
    case 'copr_id': return String(coprId);
    case 'uuid': return '00000000-0000-0000-0000-000000000000';
    case 'key': return `alice/fz/srpm-builds/${String(buildId).padStart(8, '0')}/x.log`;
    default: return 'x';
  }
}

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  await t.user('bob');
  expect((await createProject(alice, 'alice', 'fz', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
  expect((await alice.send('POST', 'package/add/alice/fz/pkg/scm', { json: { package_name: 'pkg', clone_url: 'https://example.com/pkg.git' } })).status).toBe(200);
  const b = await alice.send('POST', 'build/create/url', { json: { ownername: 'alice', projectname: 'fz', pkgs: ['https://example.com/a-1-1.src.rpm'] } });
  expect(b.status).toBe(200);
  buildId = (b.body.items as Array<{ id: number }>)[0]!.id;
  coprId = (await t.service.ctx.store.getProject('alice', 'fz'))!.id;
});

afterAll(async () => {
  console.log(report('attack battery, fuzz', tally));
  await t.stop();
});

/** Deleting the project goes last, so every other route still finds it. */
const order = (r: Route) => (r.path.startsWith('/api_3/project/delete') ? 2 : r.path.startsWith('/api_3/build/delete') ? 1 : 0);

describe('fuzz over every mutating endpoint', () => {
  it('answers hostile input with 4xx, changes nothing when it refuses, and keeps serving', async () => {
    const routes = [...mutatingRoutes(t)].sort((a, b) => order(a) - order(b));
    expect(routes.length).toBeGreaterThan(30);
    const auth = basic(alice.creds!.login, alice.creds!.token);
    let before = await tableSnapshot(t);
    for (const route of routes) {
      for (const v of VARIANTS) {
        const path = fillPath(route, (n) => encodeURIComponent(v.pathValue ?? validParam(n)));
        const headers: Record<string, string> = { 'content-type': v.contentType };
        headers.authorization = route.path.startsWith('/backend/') ? 'Bearer 1.not-a-credential' : auth;
        const query = new URLSearchParams({ ownername: v.pathValue ?? 'alice', projectname: v.pathValue ?? 'fz' }).toString();
        const res = await t.service.api(apiEvent(route.method, path, { query, headers, body: v.body }));
        tally.requests++;
        const what = `${route.method} ${route.path} [${v.name}] → ${res.statusCode}`;
        const status = res.statusCode ?? 200;
        if (status >= 500) tally.fiveXX.push(`${what} ${res.body?.slice(0, 200)}`);
        const after = await tableSnapshot(t);
        if (status >= 400 && JSON.stringify(after) !== JSON.stringify(before)) tally.stateChanges.push(what);
        if (status >= 400) expect(JSON.parse(res.body ?? '{}'), what).toHaveProperty('error');
        before = after;
      }
    }
    expect(tally.fiveXX).toEqual([]);
    expect(tally.stateChanges).toEqual([]);
  }, 120_000);

  it('the real server takes truncated multipart and malformed JSON on every mutating route without a 5xx or a crash', async () => {
    const port = Number(new URL(t.service.url).port);
    const auth = basic(alice.creds!.login, alice.creds!.token);
    for (const route of mutatingRoutes(t)) {
      const path = fillPath(route, (n) => encodeURIComponent(validParam(n)));
      for (const v of [VARIANTS[0]!, VARIANTS[8]!]) {
        const before = await tableSnapshot(t);
        const res = await rawHttp({
          port,
          method: route.method,
          path,
          headers: { authorization: route.path.startsWith('/backend/') ? 'Bearer 1.nope' : auth, 'content-type': v.contentType, 'content-length': String(v.body.length) },
          body: v.body,
        });
        tally.requests++;
        const what = `HTTP ${route.method} ${route.path} [${v.name}] → ${res.status}`;
        if (res.status >= 500) tally.fiveXX.push(`${what} ${res.body.slice(0, 200)}`);
        if (res.status >= 400 && JSON.stringify(await tableSnapshot(t)) !== JSON.stringify(before)) tally.stateChanges.push(what);
      }
    }
    const still = await fetch(`${t.service.url}/api_3`).then((r) => r.status).catch(() => 0);
    if (still !== 200) tally.crashes++;
    expect(tally.crashes).toBe(0);
    expect(tally.fiveXX).toEqual([]);
    expect(tally.stateChanges).toEqual([]);
  }, 120_000);
});
