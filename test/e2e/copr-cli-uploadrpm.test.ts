import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createdBuildId, startCliEnv, type CliEnv, type CliUser } from '../support/copr-cli.js';
import { multipart } from '../support/copr-client.js';
import { makeHelloRpm, makeHelloSrpm } from '../support/hello-srpm.js';
import { dnfIn, repoPackages, run } from './dnf-support.js';

/**
 * `copr-cli uploadrpm PROJECT file.rpm` (copr-cli 2.6) with the REAL copr-cli: the
 * already built package becomes a build without any builder (the builders are held
 * at zero, so nothing here can have been built), is published signed into the
 * chosen chroots' repositories and installs with dnf (gpgcheck on). Bad uploads
 * (not an RPM, an SRPM, an arch the chroot does not take) get Copr's form error
 * and leave builds, packages and result dirs as they were.
 */
// Each copr-cli run is a Python start-up (~1 s, several on a loaded 2-core box).
vi.setConfig({ testTimeout: 120_000 });
const X86 = 'fedora-44-x86_64';
const ARM = 'fedora-44-aarch64';
let env: CliEnv;
let alice: CliUser;
let work: string;

beforeAll(async () => {
  env = await startCliEnv({ builds: true, maxBuilders: 0 });
  alice = await env.user('alice');
  work = await mkdtemp(join(env.work, 'rpms-'));
  const created = await alice.run(['create', 'bins', '--chroot', X86, '--chroot', ARM]);
  if (created.code !== 0) throw new Error(`copr-cli create failed: ${created.stderr}`);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const resultsRoot = () => {
  const sys = env.builds;
  if (sys === null) throw new Error('the local build system did not start');
  return sys.results.root;
};

interface ApiBuild {
  id: number;
  state: string;
  chroots: string[];
  source_package: { name: string | null; version: string | null; url: string | null };
}

/** Everything a refused upload must leave alone: builds, packages, and the chroot dirs' entries. */
async function snapshot(): Promise<string> {
  const builds = await alice.run(['list-builds', 'bins', '--output-format', 'json']);
  const pkgs = await alice.run(['list-package-names', 'bins']);
  const dirs = await Promise.all(
    [X86, ARM].map(async (c) => {
      const dir = join(resultsRoot(), 'alice', 'bins', c);
      return existsSync(dir) ? (await readdir(dir)).sort().join(',') : '-';
    }),
  );
  return JSON.stringify({ builds: builds.stdout, pkgs: pkgs.stdout, dirs });
}

describe('copr-cli uploadrpm', () => {
  it('publishes a noarch RPM into the chroot asked for; dnf installs it with gpgcheck', async () => {
    const rpm = await makeHelloRpm(work, 'uploaded-tool', { purpose: 'uploaded as a built RPM' });
    // Without --nowait: copr-cli watches the build, which is finished as soon as it exists.
    const r = await alice.run(['uploadrpm', 'bins', rpm, '-r', X86]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Uploading package ${rpm}`);
    expect(r.stdout).toContain(`Build was added to bins:\n  ${env.url}/coprs/build/`);
    const id = createdBuildId(r.stdout);
    expect(r.stdout).toContain(`Watching build(s): (this may be safely interrupted)`);
    expect(r.stdout).toMatch(new RegExp(`Build ${id}: succeeded`));
    expect((await alice.run(['status', String(id)])).stdout).toBe('succeeded\n');

    const build = (await alice.api.get<ApiBuild>(`build/${id}`)).body;
    expect(build).toMatchObject({ state: 'succeeded', chroots: [X86], source_package: { name: 'uploaded-tool', version: '1.0-1', url: null } });
    const built = await alice.api.get<Record<string, { packages: unknown[] }>>(`build/built-packages/${id}`);
    expect(built.body[X86]?.packages).toEqual([{ name: 'uploaded-tool', epoch: null, version: '1.0', release: '1', arch: 'noarch' }]);
    const pkg = await alice.run(['get-package', 'bins', '--name', 'uploaded-tool']);
    expect(pkg.code, pkg.stderr).toBe(0);
    // The package has no source to rebuild from, and a resubmit of the build is refused.
    expect(JSON.parse(pkg.stdout)).toMatchObject({ name: 'uploaded-tool', source_type: 'unset' });
    const again = await alice.api.send('POST', `build/resubmit/${id}`, { json: {} });
    expect(again.status).toBe(400);

    // The result dir holds what a builder leaves: the RPM, results.json, success, backend.log.gz.
    const dir = join(resultsRoot(), 'alice', 'bins', X86, `${String(id).padStart(8, '0')}-uploaded-tool`);
    expect((await readdir(dir)).filter((f) => !f.startsWith('.') && f !== 'index.html').sort()).toEqual([
      'backend.log.gz', 'results.json', 'success', 'uploaded-tool-1.0-1.noarch.rpm',
    ]);
    expect(gunzipSync(await readFile(join(dir, 'backend.log.gz'))).toString()).toContain('uploaded by alice (no SRPM or RPM stage)');
    // Copr's read-only task view names the package where other builds name an SRPM.
    const task = (await (await fetch(`${env.url}/backend/get-build-task/${id}-${X86}`)).json()) as { prebuilt_rpm_urls?: string[] };
    const rpmUrl = `${env.url}/results/alice/bins/${X86}/${String(id).padStart(8, '0')}-uploaded-tool/uploaded-tool-1.0-1.noarch.rpm`;
    expect(task).toMatchObject({ git_repo: null, git_hash: null, package_name: 'uploaded-tool', package_version: '1.0-1', prebuilt_rpm_urls: [rpmUrl] });
    expect((await fetch(rpmUrl)).status).toBe(200);
    // Only the chroot asked for; the aarch64 repository does not get it.
    expect(existsSync(join(resultsRoot(), 'alice', 'bins', ARM, `${String(id).padStart(8, '0')}-uploaded-tool`))).toBe(false);

    const repodata = join(resultsRoot(), 'alice', 'bins', X86, 'repodata');
    await expect.poll(() => repoPackages(repodata), { timeout: 180_000, interval: 500 }).toContain('uploaded-tool-1.0-1.noarch.rpm');
    // Signed with the project's key: rpm names the key that pubkey.gpg holds.
    const pubkey = join(work, 'bins-pubkey.gpg');
    await writeFile(pubkey, Buffer.from(await (await fetch(`${env.url}/results/alice/bins/pubkey.gpg`)).arrayBuffer()));
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec((await run('gpg', ['--show-keys', '--with-colons', pubkey])).stdout)?.[1];
    expect(fpr).toBeDefined();
    // Polled: the project's first (full-scan) publish may list the file before the upload's own run signs it.
    const signature = async () =>
      (await run('rpm', ['-qp', '--qf', '%{SIGPGP:pgpsig}|%{RSAHEADER:pgpsig}\n', join(dir, 'uploaded-tool-1.0-1.noarch.rpm')])).stdout.toLowerCase();
    await expect.poll(signature, { timeout: 180_000, interval: 500 }).toContain(`key id ${(fpr ?? 'none').slice(-16).toLowerCase()}`);
    // The run that signed it has finished (metadata with the signed checksum, listings).
    await env.builds?.publisher.idle();

    const reposdir = join(work, 'repos');
    await mkdir(reposdir, { recursive: true });
    const repoFile = await fetch(`${env.url}/coprs/alice/bins/repo/fedora-44/alice-bins-fedora-44.repo`);
    expect(repoFile.status).toBe(200);
    await writeFile(join(reposdir, 'alice-bins.repo'), await repoFile.text());
    const dnf = dnfIn(join(work, 'dnf'));
    const res = await dnf(reposdir, ['install', 'uploaded-tool']);
    expect(res.ok, res.out).toBe(true);
    const installed = await readFile(join(res.root, 'usr', 'bin', 'uploaded-tool'), 'utf8');
    expect(installed).toContain('hello from uploaded-tool');
  }, 400_000);

  it('without -r, an arch-specific RPM goes to the chroots of its arch only; delete-build removes it', async () => {
    const rpm = await makeHelloRpm(work, 'arm-tool', { buildArch: 'aarch64' });
    const r = await alice.run(['uploadrpm', 'bins', rpm, '--nowait']);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    const build = (await alice.api.get<ApiBuild>(`build/${id}`)).body;
    expect(build).toMatchObject({ state: 'succeeded', chroots: [ARM], source_package: { name: 'arm-tool', version: '1.0-1' } });
    await expect
      .poll(() => repoPackages(join(resultsRoot(), 'alice', 'bins', ARM, 'repodata')), { timeout: 180_000, interval: 500 })
      .toContain('arm-tool-1.0-1.aarch64.rpm');
    // delete-build takes it out of the repository again, as for any built package.
    const del = await alice.run(['delete-build', String(id)]);
    expect(del.code, del.stderr).toBe(0);
    await expect
      .poll(() => repoPackages(join(resultsRoot(), 'alice', 'bins', ARM, 'repodata')), { timeout: 180_000, interval: 500 })
      .not.toContain('arm-tool-1.0-1.aarch64.rpm');
  }, 400_000);

  it('refuses an arch the chroot does not take, an SRPM and a file that is no RPM, changing nothing', async () => {
    const before = await snapshot();
    const cases: Array<{ file: string; args: string[]; error: RegExp }> = [
      {
        file: await makeHelloRpm(work, 'wrong-arch', { buildArch: 'aarch64' }),
        args: ['-r', X86],
        error: /^Error: pkgs: wrong-arch-1\.0-1\.aarch64\.rpm is built for aarch64, which does not fit chroot fedora-44-x86_64\.$/m,
      },
      {
        file: await makeHelloSrpm(work, 'a-source'),
        args: [],
        error: /^Error: pkgs: a-source-1\.0-1\.src\.rpm is a source RPM; build it with copr-cli build/m,
      },
      {
        file: await writeFile(join(work, 'not-really.rpm'), '#!/bin/sh\necho this is a script\n').then(() => join(work, 'not-really.rpm')),
        args: [],
        error: /^Error: pkgs: not-really\.rpm is not a readable RPM package: not an RPM package \(no RPM lead\)\.$/m,
      },
    ];
    for (const c of cases) {
      const r = await alice.run(['uploadrpm', 'bins', c.file, '--nowait', ...c.args]);
      expect(r.code, `${c.file}: ${r.stdout}`).toBe(1);
      expect(r.stderr, c.file).toMatch(c.error);
    }
    // A project the caller may not build in: copr-cli's authorization error, exit 7.
    const carol = await env.user('carol');
    const denied = await carol.run(['uploadrpm', 'alice/bins', await makeHelloRpm(work, 'not-yours'), '--nowait']);
    expect(denied.code, denied.stderr).toBe(7);
    expect(await snapshot()).toBe(before);
  }, 300_000);

  it('the raw API answers a refused upload with 400 in Copr\'s error shape', async () => {
    const form = multipart(
      [{ field: 'pkgs', filename: 'broken.rpm', contentType: 'application/x-rpm', data: Buffer.from([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0]) }],
      { ownername: 'alice', projectname: 'bins', project_dirname: null, chroots: [X86] },
    );
    const res = await alice.api.send<{ error: string }>('POST', 'build/create/rpm-upload', { raw: form });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ output: 'notok', error: 'pkgs: broken.rpm is not a readable RPM package: the file ends inside the RPM lead.' });
  });
});
