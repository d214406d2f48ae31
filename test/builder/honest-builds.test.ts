import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { localPorts, readGzLog, makeSrpm, removeDir, rpmQuery, startServer, tempDir, type TestServer } from './helpers.js';

/**
 * Local (bwrap) builds that do only what they can do faithfully: the ELF machine check,
 * the foreign-arch refusal, BuildRequires resolved or failed, Fedora-like macros.
 */
function rpmTask(chroot: string, srpmUrl: string, extra: Partial<TaskInput> = {}): TaskInput {
  return {
    kind: 'rpm',
    task_id: `31-${chroot}`,
    build_id: 31,
    project_owner: 'jdoe',
    project_name: 'honest',
    project_dirname: 'honest',
    timeout: 120,
    enable_net: false,
    package_name: null,
    chroot,
    srpm_url: srpmUrl,
    ...extra,
  } as TaskInput;
}

const rpmsIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.rpm')).sort();

// Real rpmbuild runs (with dnf and createrepo_c): generous per-test time on a loaded 2-core box.
describe('honest local builds', { timeout: 120_000 }, () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('honest');
    const srpms = join(root, 'srpms');
    makeSrpm('hello-c.spec', srpms, ['hello.c', 'hello-c.1']);
    makeSrpm('wrong-arch.spec', srpms);
    makeSrpm('unmet-br.spec', srpms);
    makeSrpm('hello-noarch.spec', srpms, ['hello.sh']);
    makeSrpm('dep-a.spec', srpms);
    makeSrpm('dep-b.spec', srpms);
    makeSrpm('noarch-elf.spec', srpms, ['hello.c']);
    // Also serves the "project repository" the dep-b test publishes dep-a into.
    server = await startServer(root);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('builds a C package for x86_64 with Copr macros, debuginfo, debugsource and compressed man pages', async () => {
    const ports = localPorts(join(root, 'hello-c'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/hello-c-1.0-1.src.rpm`), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(rpmsIn(ports.resultDir)).toEqual([
      'hello-c-1.0-1.fc44.src.rpm',
      'hello-c-1.0-1.fc44.x86_64.rpm',
      'hello-c-debuginfo-1.0-1.fc44.x86_64.rpm',
      'hello-c-debugsource-1.0-1.fc44.x86_64.rpm',
    ]);
    const main = join(ports.resultDir, 'hello-c-1.0-1.fc44.x86_64.rpm');
    expect(rpmQuery(main, '%{VENDOR}|%{NAME}')).toBe('Unknown Copr - user jdoe|hello-c');
    const files = rpmQuery(main, '[%{FILENAMES}\n]').split('\n');
    // %rpmmacrodir is Fedora's, and man pages are gzip-compressed as in a Fedora buildroot.
    expect(files).toContain('/usr/lib/rpm/macros.d/macros.hello-c');
    expect(files).toContain('/usr/share/man/man1/hello-c.1.gz');
    // %buildtag = .copr<build id>, written into the package by the spec.
    const unpacked = join(root, 'hello-c-unpacked');
    mkdirSync(unpacked);
    execFileSync('bash', ['-c', `rpm2cpio "${main}" | cpio -idm --quiet`], { cwd: unpacked });
    expect(readFileSync(join(unpacked, 'usr/lib/rpm/macros.d/macros.hello-c'), 'utf8').trim()).toBe('%hello_c_buildtag .copr31');
    const debugFiles = rpmQuery(join(ports.resultDir, 'hello-c-debuginfo-1.0-1.fc44.x86_64.rpm'), '[%{FILENAMES}\n]');
    expect(debugFiles).toMatch(/\/usr\/lib\/debug\/usr\/bin\/hello-c-1\.0-1\.fc44\.x86_64\.debug/);
    expect(rpmQuery(join(ports.resultDir, 'hello-c-debugsource-1.0-1.fc44.x86_64.rpm'), '[%{FILENAMES}\n]')).toContain('hello.c');
    const live = ports.liveLog();
    expect(live).toContain('BuildRequires: gcc: host tool /usr/bin/gcc');
    // The buildroot preparation is root.log's, the rpmbuild run build.log's (as with mock).
    expect(readGzLog(ports.resultDir, 'root.log')).toMatch(/^Resolving 2 build requirement\(s\)[^]*BuildRequires: make: host tool \/usr\/bin\/make\n/);
    expect(readGzLog(ports.resultDir, 'build.log')).toContain('Wrote: ');
    expect(live).toContain('BuildRequires: make: host tool /usr/bin/make');
    expect(live).toMatch(/Architecture check passed: \d+ ELF object\(s\) in 3 package\(s\) match x86_64/);
  });

  it('refuses aarch64 for a compiled package, with the reason and no RPM', async () => {
    const ports = localPorts(join(root, 'hello-c-aarch64'));
    const outcome = await runTask(rpmTask('fedora-44-aarch64', `${server.url}/srpms/hello-c-1.0-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe('local builders build only x86_64; fedora-44-aarch64 needs an aarch64 builder');
    expect(rpmsIn(ports.resultDir)).toEqual([]);
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
    expect(readFileSync(join(ports.resultDir, 'builder-live.log'), 'utf8')).toContain('fedora-44-aarch64 needs an aarch64 builder');
  });

  it('builds a noarch package for a foreign chroot (nothing arch-specific in it)', async () => {
    const ports = localPorts(join(root, 'noarch-aarch64'));
    const outcome = await runTask(rpmTask('fedora-44-aarch64', `${server.url}/srpms/hello-noarch-1.0-1.src.rpm`), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(rpmsIn(ports.resultDir)).toEqual(['hello-noarch-1.0-1.fc44.noarch.rpm', 'hello-noarch-1.0-1.fc44.src.rpm']);
  });

  it('fails a package that contains a binary of another architecture', async () => {
    const ports = localPorts(join(root, 'wrong-arch'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/wrong-arch-1.0-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe(
      'wrong architecture: a binary not for x86_64 (wrong-arch-1.0-1.fc44.x86_64.rpm: /usr/libexec/helper is ELF 64-bit aarch64)',
    );
    expect(rpmsIn(ports.resultDir)).toEqual([]);
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
  });

  it('fails a noarch package that carries a compiled program', async () => {
    const ports = localPorts(join(root, 'noarch-elf'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/noarch-elf-1.0-1.src.rpm`), ports.deps);
    expect(outcome.fail_reason).toBe(
      'wrong architecture: a binary not for x86_64 (noarch-elf-1.0-1.fc44.noarch.rpm: /usr/share/noarch-elf/hello is ELF 64-bit x86-64 in a noarch package)',
    );
    expect(rpmsIn(ports.resultDir)).toEqual([]);
  });

  it('fails on unmet BuildRequires with the list, before building', async () => {
    const ports = localPorts(join(root, 'unmet'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/unmet-br-1.0-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe(
      "unmet BuildRequires: No matching package to install: 'libnothing-devel >= 2.0'; No matching package to install: 'no-such-package-xyz'",
    );
    const live = ports.liveLog();
    expect(live).toContain('BuildRequires: make: host tool /usr/bin/make');
    expect(live).toContain("No matching package to install: 'no-such-package-xyz'");
    expect(live).not.toContain('rpmbuild -ra');
    // root.log says it too, as mock's would.
    expect(readGzLog(ports.resultDir, 'root.log')).toContain("No matching package to install: 'no-such-package-xyz'");
  });

  it("satisfies a BuildRequires from the project's repository (dep-a built and published, then dep-b)", async () => {
    // Build dep-a and publish it as the project's repository for fedora-44-x86_64.
    const a = localPorts(join(root, 'dep-a'));
    const built = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/dep-a-1.2-1.src.rpm`), a.deps);
    expect(built.fail_reason).toBeUndefined();
    const repo = join(root, 'results', 'jdoe', 'honest', 'fedora-44-x86_64');
    mkdirSync(repo, { recursive: true });
    cpSync(join(a.resultDir, 'dep-a-1.2-1.fc44.noarch.rpm'), join(repo, 'dep-a-1.2-1.fc44.noarch.rpm'));
    execFileSync('createrepo_c', ['-q', repo]);
    const repos = [
      { id: 'copr_base', name: 'Copr repository', baseurl: `${server.url}/results/jdoe/honest/fedora-44-x86_64/` },
      // An unreachable additional repo is skipped, as dnf's skip_if_unavailable does.
      { id: 'gone', name: 'Additional repo gone', baseurl: `${server.url}/nothing-here/` },
    ];
    const b = localPorts(join(root, 'dep-b'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/dep-b-1.0-1.src.rpm`, { repos }), b.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(b.liveLog()).toContain('BuildRequires: dep-a >= 1.0: installing dep-a-1.2-1.fc44.noarch from repository copr_base');
    // installed_pkgs.log lists it as mock's package_state does: NEVRA, build time, size, sigmd5.
    const installed = readFileSync(join(b.resultDir, 'installed_pkgs.log'), 'utf8');
    expect(installed).toMatch(/^dep-a-1\.2-1\.fc44\.noarch \d+ \d+ [0-9a-f]{32} installed\n$/);
    const generated = join(root, 'dep-b-unpacked');
    mkdirSync(generated);
    execFileSync('bash', ['-c', `rpm2cpio "${join(b.resultDir, 'dep-b-1.0-1.fc44.noarch.rpm')}" | cpio -idm --quiet`], { cwd: generated });
    // The tool ran from the unpacked package, with the macro its macro file defines.
    expect(readFileSync(join(generated, 'usr/share/dep-b/generated.txt'), 'utf8').trim()).toBe('generated by dep-a-tool hello-from-dep-a');
  });

  it('without the repository the same dep-b fails with the unmet requirement', async () => {
    const ports = localPorts(join(root, 'dep-b-alone'));
    const outcome = await runTask(rpmTask('fedora-44-x86_64', `${server.url}/srpms/dep-b-1.0-1.src.rpm`), ports.deps);
    expect(outcome.fail_reason).toBe("unmet BuildRequires: No matching package to install: 'dep-a >= 1.0'");
  });

  describe('SRPM stage', () => {
    function srpmTask(source: unknown): TaskInput {
      return {
        kind: 'srpm', task_id: '32', build_id: 32, project_owner: 'jdoe', project_name: 'honest', project_dirname: 'honest',
        timeout: 60, enable_net: false, package_name: 'macros', source_type: 'custom', source_json: JSON.stringify(source),
        chroot: null, distributions_in_build: ['fedora-44'], distributions_in_project: ['fedora-44'],
      } as TaskInput;
    }
    const SPEC = [
      'Name: macros', 'Version: 1', 'Release: 1%{?dist}', 'Summary: by %{copr_username}/%{copr_projectname} tag %{buildtag}',
      'License: MIT', 'BuildArch: noarch', '%description', 'x', '%files',
    ].join('\n');
    const script = `#!/bin/bash\nset -e\ncat > macros.spec <<'EOF'\n${SPEC}\nEOF\n`;

    it('defines Copr\'s macros and the configured vendor when building the SRPM', async () => {
      const ports = localPorts(join(root, 'srpm-macros'));
      const outcome = await runTask(srpmTask({ script, builddeps: 'git make' }), { ...ports.deps, config: { vendor: 'Example Copr' } });
      expect(outcome.fail_reason).toBeUndefined();
      expect(rpmQuery(join(ports.resultDir, 'macros-1-1.src.rpm'), '%{SUMMARY}|%{VENDOR}')).toBe('by jdoe/honest tag .copr32|Example Copr');
      expect(ports.liveLog()).toContain('Script build dependency git: host tool /usr/bin/git');
    });

    it('fails a custom build whose --script-builddeps this builder cannot provide', async () => {
      const ports = localPorts(join(root, 'srpm-builddeps'));
      const outcome = await runTask(srpmTask({ script, builddeps: 'make rpkg-util no-such-tool' }), ports.deps);
      expect(outcome.fail_reason).toBe(
        "unmet script build dependencies: No matching package to install: 'rpkg-util'; No matching package to install: 'no-such-tool'",
      );
      expect(ports.liveLog()).not.toContain('macros.spec');
    });
  });
});
