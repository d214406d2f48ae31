import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzippedName, writeConfigsTarball } from '../../builder-ami/agent/result-extras.js';
import type { RpmTask } from '../../builder-ami/agent/task.js';
import { TaskSchema } from '../../builder-ami/agent/task.js';
import { removeDir, tempDir } from './helpers.js';

/** The names Copr's RPM result dir gives the builder's files (copr-rpmbuild with mock's compress_logs). */
describe('shipped names', () => {
  it('gzips the logs Copr gzips, and nothing else', () => {
    expect(['build.log', 'root.log', 'state.log', 'hw_info.log'].map(gzippedName)).toEqual(['build.log.gz', 'root.log.gz', 'state.log.gz', 'hw_info.log.gz']);
    // Copr keeps the package list plain; the live log is gzipped by the service at close.
    expect(gzippedName('installed_pkgs.log')).toBeNull();
    expect(gzippedName('builder-live.log')).toBeNull();
    // Already gzipped (mock's compress_logs), or not a log.
    expect(gzippedName('build.log.gz')).toBeNull();
    expect(gzippedName('hello.spec')).toBeNull();
    expect(gzippedName('configs.tar.gz')).toBeNull();
  });
});

describe('configs.tar.gz', () => {
  let root: string;
  const parsed = TaskSchema.parse({
    kind: 'rpm', task_id: '9-fedora-44-x86_64', build_id: 9, project_owner: 'jdoe', project_name: 'demo', project_dirname: 'demo',
    timeout: 60, enable_net: false, package_name: 'hello', chroot: 'fedora-44-x86_64', srpm_url: 'http://127.0.0.1:9/hello-1-1.src.rpm',
  });
  if (parsed.kind !== 'rpm') throw new Error('an RPM task was parsed as another kind');
  const task: RpmTask = parsed;
  const tarList = (file: string) => execFileSync('tar', ['-tzvf', file], { encoding: 'utf8' }).split('\n').filter((l) => l.length > 0);

  beforeAll(() => {
    root = tempDir('configs');
  });
  afterAll(() => removeDir(root));

  it("packs a mock host's config dir beside child.cfg, symlinks as symlinks (copr-rpmbuild copies /etc/mock)", async () => {
    const meta = join(root, 'mock-meta');
    const etcMock = join(root, 'etc-mock');
    mkdirSync(meta);
    mkdirSync(join(etcMock, 'templates'), { recursive: true });
    writeFileSync(join(etcMock, 'fedora-44-x86_64.cfg'), "include('templates/fedora-44.tpl')\n");
    writeFileSync(join(etcMock, 'templates', 'fedora-44.tpl'), "config_opts['dist'] = 'fc44'\n");
    symlinkSync('fedora-44-x86_64.cfg', join(etcMock, 'default.cfg'));
    await writeConfigsTarball(meta, task, { buildtag: '.copr9' }, new AbortController().signal, { hostConfigDir: etcMock });
    const listing = tarList(join(meta, 'configs.tar.gz'));
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual(
      expect.arrayContaining(['configs/child.cfg', 'configs/fedora-44-x86_64.cfg', 'configs/templates/fedora-44.tpl', 'configs/default.cfg -> fedora-44-x86_64.cfg']),
    );
    const child = execFileSync('tar', ['-xzOf', join(meta, 'configs.tar.gz'), 'configs/child.cfg'], { encoding: 'utf8' });
    expect(child).toContain("config_opts['macros']['%buildtag'] = '.copr9'");
  });

  it("packs a bwrap build's macro files, never what a planted symlink points at", async () => {
    const meta = join(root, 'bwrap-meta');
    const work = join(root, 'bwrap-work');
    mkdirSync(meta);
    mkdirSync(work);
    writeFileSync(join(work, 'macros.fedora'), '%dist .fc44\n');
    writeFileSync(join(root, 'host-secret'), 'not for the results\n');
    symlinkSync(join(root, 'host-secret'), join(work, 'macros.planted'));
    await writeConfigsTarball(meta, task, {}, new AbortController().signal, { macroFiles: [join(work, 'macros.fedora'), join(work, 'macros.planted')] });
    const names = tarList(join(meta, 'configs.tar.gz')).map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names.sort()).toEqual(['configs/', 'configs/child.cfg', 'configs/macros/', 'configs/macros/macros.fedora'].sort());
    // Written again (after the buildroot preparation), the tarball is whole, not appended to.
    await writeConfigsTarball(meta, task, {}, new AbortController().signal);
    expect(tarList(join(meta, 'configs.tar.gz')).map((l) => l.split(/\s+/).slice(5).join(' ')).sort()).toEqual(['configs/', 'configs/child.cfg']);
  });
});
