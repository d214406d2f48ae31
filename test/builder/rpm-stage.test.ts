import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { localPorts, readGzLog, makeSrpm, removeDir, rpmQuery, startServer, tempDir, type TestServer } from './helpers.js';

function rpmTask(chroot: string, srpmUrl: string, extra: Partial<TaskInput> = {}): TaskInput {
  return {
    kind: 'rpm',
    task_id: `7-${chroot}`,
    build_id: 7,
    project_owner: 'jdoe',
    project_name: 'demo',
    project_dirname: 'demo',
    timeout: 60,
    enable_net: false,
    package_name: 'hello-noarch',
    chroot,
    srpm_url: srpmUrl,
    ...extra,
  } as TaskInput;
}

describe('RPM stage', () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('rpm');
    const srpms = join(root, 'srpms');
    makeSrpm('hello-noarch.spec', srpms, ['hello.sh']);
    makeSrpm('broken.spec', srpms);
    server = await startServer(srpms);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it.each([
    ['fedora-41-x86_64', '.fc41'],
    ['epel-9-x86_64', '.el9'],
  ])('builds a noarch SRPM for %s with dist %s', async (chroot, dist) => {
    // Prepare
    const ports = localPorts(join(root, chroot));
    // Act
    const outcome = await runTask(rpmTask(chroot, `${server.url}/hello-noarch-1.0-1.src.rpm`), ports.deps);
    // Assess
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const files = readdirSync(ports.resultDir).sort();
    expect(files).toEqual(
      [
        `hello-noarch-1.0-1${dist}.noarch.rpm`,
        `hello-noarch-1.0-1${dist}.src.rpm`,
        'hello-noarch.spec',
        // Copr's layout: logs gzipped but the package list (result-extras.ts).
        'build.log.gz',
        'root.log.gz',
        'state.log.gz',
        'hw_info.log.gz',
        'installed_pkgs.log',
        'configs.tar.gz',
        'results.json',
        'builder-live.log',
        'success',
      ].sort(),
    );
    expect(rpmQuery(join(ports.resultDir, `hello-noarch-1.0-1${dist}.noarch.rpm`))).toBe(`hello-noarch-1.0-1${dist}.noarch`);
    expect(readFileSync(join(ports.resultDir, 'success'), 'utf8').trim()).toBe('done');
    const results = JSON.parse(readFileSync(join(ports.resultDir, 'results.json'), 'utf8'));
    expect(results).toEqual({
      packages: expect.arrayContaining([
        { name: 'hello-noarch', epoch: null, version: '1.0', release: `1${dist}`, arch: 'noarch' },
        { name: 'hello-noarch', epoch: null, version: '1.0', release: `1${dist}`, arch: 'src' },
      ]),
    });
    expect(results.packages).toHaveLength(2);
    expect(outcome.results).toEqual(results);
    // Copr macros reach the spec (the %install echo lands in build.log).
    const buildLog = readGzLog(ports.resultDir, 'build.log');
    expect(buildLog).toContain(`dist=${dist} buildtag=.copr7 owner=jdoe project=demo`);
    expect(ports.liveLog()).toContain('rpmbuild');
    expect(outcome.uploaded.at(-1)).toBe('success');
    // configs.tar.gz holds the chroot's mock config as the task defines it (copr-rpmbuild's child.cfg).
    const listing = execFileSync('tar', ['-tzf', join(ports.resultDir, 'configs.tar.gz')], { encoding: 'utf8' });
    // …with the rpm macro files this (bwrap) build loaded, as used.
    const listed = listing.split('\n').filter((l) => l.length > 0);
    expect(listed).toEqual(expect.arrayContaining(['configs/', 'configs/child.cfg', 'configs/macros/']));
    expect(listed.filter((l) => l.startsWith('configs/macros/') && l !== 'configs/macros/').length).toBeGreaterThan(0);
    const childCfg = execFileSync('tar', ['-xzOf', join(ports.resultDir, 'configs.tar.gz'), 'configs/child.cfg'], { encoding: 'utf8' });
    expect(childCfg).toContain(`include('/etc/mock/${chroot}.cfg')`);
    expect(childCfg).toContain("config_opts['macros']['%copr_username'] = 'jdoe'");
    expect(childCfg).toContain("config_opts['macros']['%buildtag'] = '.copr7'");
    expect(childCfg).toContain("config_opts['rpmbuild_networking'] = False");
    expect(readGzLog(ports.resultDir, 'hw_info.log')).toMatch(/^CPU info:\n {2}\d+ x /);
    // state.log: the phases in order, each one opened and closed, in mock's line shape.
    const phases = readGzLog(ports.resultDir, 'state.log').split('\n').filter((l) => l.length > 0);
    for (const line of phases) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (Start|Finish): /);
    expect(phases.map((l) => l.replace(/^.* - /, ''))).toEqual([
      `Start: RPM stage of 7-${chroot} in ${chroot}`,
      'Start: download hello-noarch-1.0-1.src.rpm',
      'Finish: download hello-noarch-1.0-1.src.rpm',
      'Start: chroot init',
      'Finish: chroot init',
      'Start: rpmbuild hello-noarch-1.0-1.src.rpm',
      'Finish: rpmbuild hello-noarch-1.0-1.src.rpm',
      'Start: check built packages',
      'Finish: check built packages',
      `Finish: RPM stage of 7-${chroot} in ${chroot}`,
    ]);
    // No package came from a repository (the host tools served): an empty package list.
    expect(readFileSync(join(ports.resultDir, 'installed_pkgs.log'), 'utf8')).toBe('');
    expect(outcome.uploaded).not.toContain('build.log');
  });

  it('fails a broken spec with build.log showing the error and no success file', async () => {
    const ports = localPorts(join(root, 'broken'));
    const outcome = await runTask(rpmTask('fedora-41-x86_64', `${server.url}/broken-1.0-1.src.rpm`), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: 'rpmbuild failed: see build.log' });
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
    const buildLog = readGzLog(ports.resultDir, 'build.log');
    expect(buildLog).toMatch(/no-such-compiler: (command )?not found/);
    expect(buildLog).toContain('Bad exit status');
    expect(readFileSync(join(ports.resultDir, 'builder-live.log'), 'utf8')).toContain('Build failed: rpmbuild failed');
  });

  it('fails with the HTTP status when the SRPM URL is missing', async () => {
    const ports = localPorts(join(root, 'missing'));
    const outcome = await runTask(rpmTask('fedora-41-x86_64', `${server.url}/nope-1.0-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe(`download failed: HTTP 404 for ${server.url}/nope-1.0-1.src.rpm`);
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
  });

  it('rejects a download over the size limit', async () => {
    const ports = localPorts(join(root, 'toolarge'));
    const outcome = await runTask(rpmTask('fedora-41-x86_64', `${server.url}/hello-noarch-1.0-1.src.rpm`), {
      ...ports.deps,
      config: { maxDownloadBytes: 100 },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toMatch(/larger than 100 bytes/);
  });
});
