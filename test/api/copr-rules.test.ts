import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildState } from '../../functions/core/build-state.js';
import { submitBuild } from '../../functions/core/builds.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { finishSrpm, newRecorder, recordingBuildsPlugin } from './build-support.js';

/**
 * Copr's rules that the service used to let through: package names over 100 characters
 * and `--appstream on` (refused, since no AppStream metadata would be generated). Driven
 * by the real copr-cli from .venv-test where the client is the subject.
 */
const run = promisify(execFile);
const COPR_CLI = new URL('../../.venv-test/bin/copr-cli', import.meta.url).pathname;
const LONG = `p${'x'.repeat(100)}`; // 101 characters

let t: TestService;
let alice: CoprClient;
let home: string;
const rec = newRecorder();

/** Runs copr-cli as alice; never throws, returns the exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(COPR_CLI, ['--config', join(home, 'copr'), ...args], { env: { ...process.env, HOME: home }, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  home = mkdtempSync(join(tmpdir(), 'copr-rules-'));
  const creds = alice.creds!;
  writeFileSync(join(home, 'copr'), `[copr-cli]\nlogin = ${creds.login}\nusername = alice\ntoken = ${creds.token}\ncopr_url = ${t.service.url}\nencrypted = False\n`);
  expect((await createProject(alice, 'alice', 'rules', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('package names', () => {
  it('refuses a package name over 100 characters with a 400 in Copr shape, through copr-cli', async () => {
    const r = await cli('add-package-scm', 'alice/rules', '--name', LONG, '--clone-url', 'https://example.com/x.git');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('package_name: Field cannot be longer than 100 characters.');
    const res = await alice.send('POST', `package/add/alice/rules/${LONG}/scm`, {
      query: { ownername: 'alice', projectname: 'rules', package_name: LONG, source_type_text: 'scm' },
      json: { package_name: LONG, clone_url: 'https://example.com/x.git' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ output: 'notok', error: 'package_name: Field cannot be longer than 100 characters.' });
    expect(await t.service.ctx.store.listPackages('alice', 'rules')).toEqual([]);
  });

  it('accepts exactly 100 characters', async () => {
    const name = LONG.slice(0, 100);
    const r = await cli('add-package-scm', 'alice/rules', '--name', name, '--clone-url', 'https://example.com/x.git');
    expect(r.out).not.toContain('Field cannot be longer');
    expect(r.code).toBe(0);
    expect((await t.service.ctx.store.listPackages('alice', 'rules')).map((p) => p.name)).toEqual([name]);
  });

  it('fails a build whose SRPM names a package over 100 characters, with the reason, and creates no package', async () => {
    const deps = rec.deps!;
    const user = (await t.service.ctx.store.getUser('alice'))!;
    const b = await submitBuild(deps, { user }, { ownername: 'alice', projectname: 'rules', source_type: 'link', source_dict: { url: 'https://example.com/long.src.rpm' }, options: {} });
    await finishSrpm(deps, b, `${LONG}y`);
    const after = (await deps.builds.getBuild(b.id))!;
    expect(buildState(after, await deps.builds.listBuildChroots(b.id))).toBe('failed');
    expect(after.fail_reason).toMatch(/^Invalid package name 'px+y': at most 100 characters/);
    expect(after.package_name).toBeNull();
    expect((await t.service.ctx.store.listPackages('alice', 'rules')).some((p) => p.name.endsWith('y'))).toBe(false);
    // As in Copr, the service's reason is in the SRPM result dir's backend.log.gz (served
    // gzipped as backend.log.gz, and as text for backend.log).
    const dir = `${t.service.url}/results/alice/rules/srpm-builds/${String(b.id).padStart(8, '0')}`;
    const gz = await fetch(`${dir}/backend.log.gz`);
    expect(gz.status).toBe(200);
    const text = await (await fetch(`${dir}/backend.log`)).text();
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] Task \d+: SRPM stage of build \d+ in alice\/rules, queued/);
    expect(text).toContain('Worker finished the task: failed\n');
    expect(text).toMatch(/Reason: Invalid package name 'px+y': at most 100 characters/);
  });
});

describe('appstream', () => {
  const REASON = /^appstream: AppStream metadata generation is not available on this Copr instance/;

  it('refuses `copr-cli create --appstream on` and creates nothing', async () => {
    const r = await cli('create', 'alice/withappstream', '--chroot', 'fedora-44-x86_64', '--appstream', 'on');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('appstream: AppStream metadata generation is not available');
    expect(await t.service.ctx.store.getProject('alice', 'withappstream')).toBeNull();
  });

  it('still creates with `--appstream off` (what copr-cli sends by default)', async () => {
    const r = await cli('create', 'alice/noappstream', '--chroot', 'fedora-44-x86_64', '--appstream', 'off');
    expect(r.code).toBe(0);
    expect((await t.service.ctx.store.getProject('alice', 'noappstream'))?.appstream).toBe(false);
  });

  it('refuses turning it on by edit with a 400 and changes nothing', async () => {
    const res = await alice.send('POST', 'project/edit/alice/rules', { query: { ownername: 'alice', projectname: 'rules' }, json: { appstream: true, description: 'changed' } });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toMatch(REASON);
    const p = await t.service.ctx.store.getProject('alice', 'rules');
    expect(p?.appstream).toBe(false);
    expect(p?.description).toBeNull();
    const r = await cli('modify', 'alice/rules', '--appstream', 'on');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('appstream: AppStream metadata generation is not available');
  });
});
