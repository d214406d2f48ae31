import { cpSync, mkdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type TestServer } from '../builder/helpers.js';
import { createdBuildId, startCliEnv, waitForCliStatus, type CliEnv, type CliUser } from '../support/copr-cli.js';
import { LOOKASIDE_PATTERN, makeLookasideFixture, type LookasideFixture } from '../support/lookaside-repo.js';
import { run } from './dnf-support.js';

/**
 * Dist-git packages whose tarballs live only in a lookaside cache, built with the REAL
 * copr-cli: `buildscm --method rpkg` and `build-distgit` against a local "dist-git" served
 * over HTTP (git repositories over dumb HTTP, and the cache laid out as
 * `<name>/<file>/<hashtype>/<hash>/<file>`). The service offers it as DistGit instance
 * `local` (DISTGIT_INSTANCES); the builders know its cache (COPR_DISTGIT_LOOKASIDE).
 */
vi.setConfig({ testTimeout: 300_000 });
const CHROOT = 'fedora-44-x86_64';
let env: CliEnv;
let alice: CliUser;
let work: string;
let www: TestServer;
let fx: LookasideFixture;

/** A fixture repository published as `<www>/git/<name>.git`; its cache copied under `<www>/repo/pkgs` when `cached`. */
async function publish(root: string, name: string, cached: boolean): Promise<LookasideFixture> {
  const made = makeLookasideFixture(join(work, `src-${name}`), name);
  await run('git', ['clone', '-q', '--bare', made.repo, join(root, 'git', `${name}.git`)]);
  await run('git', ['-C', join(root, 'git', `${name}.git`), 'update-server-info']);
  if (cached) cpSync(made.cache, join(root, 'repo', 'pkgs'), { recursive: true });
  return made;
}

/** The RPM a build produced in CHROOT, fetched with `copr-cli download-build`. */
async function downloadedRpm(id: number): Promise<string> {
  const dest = join(work, `download-${id}`);
  const r = await alice.run(['download-build', String(id), '-r', CHROOT, '--dest', dest], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const rpm = (await readdir(join(dest, CHROOT))).find((f) => f.endsWith('.noarch.rpm'));
  if (!rpm) throw new Error(`no binary RPM downloaded for build ${id}`);
  return join(dest, CHROOT, rpm);
}

/** The script the RPM installs as /usr/bin/hello-lookaside. */
async function installedScript(rpm: string): Promise<string> {
  const out = join(work, `extract-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(out);
  await run('sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'sh', rpm], { cwd: out });
  const { stdout } = await run('cat', [join(out, 'usr', 'bin', 'hello-lookaside')]);
  return stdout;
}

async function srpmLog(id: number, file: string): Promise<string> {
  return (await fetch(`${env.url}/results/alice/demo/srpm-builds/${String(id).padStart(8, '0')}/${file}`)).text();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'copr-cli-distgit-'));
  const root = join(work, 'www');
  mkdirSync(join(root, 'git'), { recursive: true });
  fx = await publish(root, 'hello-lookaside', true);
  // Same package, but its cache holds nothing: the lookaside download must fail.
  await publish(root, 'hello-nocache', false);
  www = await startServer(root);
  env = await startCliEnv({
    builds: true,
    env: { DISTGIT_INSTANCES: JSON.stringify([{ name: 'local', priority: 10, clone_url: `${www.url}/git`, package_uri: '{pkgname}.git' }]) },
    agentEnv: {
      COPR_DISTGIT_LOOKASIDE: JSON.stringify([
        { name: 'local', clone_hostnames: ['127.0.0.1'], lookaside_location: `${www.url}/repo/pkgs`, lookaside_uri_pattern: LOOKASIDE_PATTERN },
      ]),
    },
  });
  alice = await env.user('alice');
  const created = await alice.run(['create', 'demo', '--chroot', CHROOT]);
  if (created.code !== 0) throw new Error(`copr-cli create failed: ${created.stderr}`);
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await www?.close();
  await rm(work, { recursive: true, force: true });
});

describe('lookaside sources with the real copr-cli', () => {
  it('buildscm --method rpkg: the tarball comes from the cache and its file is in the RPM; the task views say so', async () => {
    const url = `${www.url}/git/hello-lookaside.git`;
    const r = await alice.run(['buildscm', 'demo', '--clone-url', url, '--method', 'rpkg', '--nowait', '-r', CHROOT]);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    const state = await waitForCliStatus(alice, id, 240_000);
    expect(state, await srpmLog(id, 'builder-live.log')).toBe('succeeded');
    const live = await srpmLog(id, 'builder-live.log');
    expect(live).toContain(`lookaside (local): downloading ${fx.tarball.name} from ${www.url}/repo/pkgs/hello-lookaside/${fx.tarball.name}/sha512/${fx.tarball.sha512}/${fx.tarball.name}`);
    expect(live).toContain(`lookaside: ${fx.conf.name} md5 verified`);
    expect(await installedScript(await downloadedRpm(id))).toBe(fx.script);

    // The SRPM task is the source as submitted; the RPM task names the SRPM it builds from.
    const srpmTask = (await (await fetch(`${env.url}/backend/get-srpm-build-task/${id}`)).json()) as Record<string, unknown>;
    expect(srpmTask).toMatchObject({ source_type: 8, package_name: 'hello-lookaside' });
    expect(JSON.parse(String(srpmTask.source_json))).toMatchObject({ clone_url: url, srpm_build_method: 'rpkg', type: 'git' });
    const rpmTask = (await (await fetch(`${env.url}/backend/get-build-task/${id}-${CHROOT}`)).json()) as Record<string, unknown>;
    expect(rpmTask).toMatchObject({
      git_repo: `${env.url}/results/alice/demo/srpm-builds/${String(id).padStart(8, '0')}/hello-lookaside-1.0-1.src.rpm`,
      git_hash: null,
      package_name: 'hello-lookaside',
      package_version: '1.0-1',
    });
    expect(rpmTask).not.toHaveProperty('srpm_url');
  });

  it('build-distgit --distgit local: clones the instance\'s repository, fetches its lookaside sources, builds', async () => {
    const r = await alice.run(['build-distgit', 'demo', '--name', 'hello-lookaside', '--distgit', 'local', '--nowait', '-r', CHROOT]);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    const state = await waitForCliStatus(alice, id, 240_000);
    expect(state, await srpmLog(id, 'builder-live.log')).toBe('succeeded');
    const build = await alice.api.get<{ source_package: { name: string; version: string; url: string | null } }>(`build/${id}`);
    expect(build.body.source_package).toMatchObject({ name: 'hello-lookaside', version: '1.0-1' });
    expect(await installedScript(await downloadedRpm(id))).toBe(fx.script);
    const srpmTask = (await (await fetch(`${env.url}/backend/get-srpm-build-task/${id}`)).json()) as Record<string, unknown>;
    expect(srpmTask.source_type).toBe(10);
    expect(JSON.parse(String(srpmTask.source_json))).toEqual({ clone_url: `${www.url}/git/hello-lookaside.git`, distgit: 'local' });
  });

  it('a tarball missing from the cache fails the SRPM stage with the URL and HTTP status in its logs', async () => {
    const r = await alice.run(['build-distgit', 'demo', '--name', 'hello-nocache', '--distgit', 'local', '--nowait', '-r', CHROOT]);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    expect(await waitForCliStatus(alice, id, 240_000)).toBe('failed');
    const expected = `distgit: lookaside: ${fx.tarball.name}: download failed: HTTP 404 for ${www.url}/repo/pkgs/hello-nocache/${fx.tarball.name}/sha512/`;
    expect(await srpmLog(id, 'builder-live.log')).toContain(expected);
    expect(await srpmLog(id, 'backend.log')).toContain(`Reason: ${expected}`);
  });
});
