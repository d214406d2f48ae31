import { describe, expect, it } from 'vitest';
import {
  chrootRepoUrl,
  pickChroot,
  renderRepoFile,
  repoFileHeaders,
  repoFileNotFound,
  type RepoTarget,
} from '../../functions/publish/repo-file.js';
import { renderRpmRepo } from '../../functions/publish/rpmrepo.js';

const B = 'https://download.example.org/results';
const alice: RepoTarget = { owner: 'alice', dirname: 'proj', repoUrl: `${B}/alice/proj` };

describe('renderRepoFile', () => {
  it('renders the single section of spec §4.10', () => {
    expect(renderRepoFile({ frontendHost: 'copr.example.org:443', target: alice, chroot: 'fedora-41-x86_64' })).toBe(
      [
        '[copr:copr.example.org:alice:proj]',
        'name=Copr repo for proj owned by alice',
        `baseurl=${B}/alice/proj/fedora-$releasever-$basearch/`,
        'type=rpm-md',
        'skip_if_unavailable=True',
        'gpgcheck=1',
        `gpgkey=${B}/alice/proj/pubkey.gpg`,
        'repo_gpgcheck=0',
        'enabled=1',
        'enabled_metadata=1',
        '',
      ].join('\n'),
    );
  });

  it('groups, module_hotfixes, priority and repo_gpgcheck as a parameter', () => {
    const text = renderRepoFile({
      frontendHost: 'copr.example.org',
      target: { owner: '@team', dirname: 'tools:pr:7', repoUrl: `${B}/@team/tools:pr:7`, moduleHotfixes: true, repoPriority: 5 },
      chroot: 'epel-9-aarch64',
      repoGpgcheck: 1,
      gpgcheck: 0,
    });
    expect(text).toContain('[copr:copr.example.org:group_team:tools:pr:7]\nname=Copr repo for tools:pr:7 owned by @team\n');
    expect(text).toContain(`baseurl=${B}/@team/tools:pr:7/epel-9-$basearch/\n`);
    expect(text).toContain('gpgcheck=0\n');
    expect(text).toContain('repo_gpgcheck=1\nenabled=1\nenabled_metadata=1\nmodule_hotfixes=1\npriority=5\n');
  });

  it('adds the :ml section only for ?arch= on a multilib project', () => {
    const input = { frontendHost: 'h', target: alice, chroot: 'fedora-41-x86_64', multilib: true };
    expect(renderRepoFile(input)).not.toContain(':ml]');
    const ml = renderRepoFile({ ...input, arch: 'x86_64' });
    expect(ml).toContain(
      [
        '',
        '[copr:h:alice:proj:ml]',
        'name=Copr repo for proj owned by alice (i386)',
        `baseurl=${B}/alice/proj/fedora-$releasever-i386/`,
        'type=rpm-md',
        'skip_if_unavailable=True',
        'gpgcheck=1',
        `gpgkey=${B}/alice/proj/pubkey.gpg`,
        'repo_gpgcheck=0',
        'cost=1100',
        'enabled=1',
        '',
      ].join('\n'),
    );
    expect(renderRepoFile({ ...input, arch: 'x86_64', multilib: false })).not.toContain(':ml]');
  });

  it('renders runtime dependencies', () => {
    const text = renderRepoFile({
      frontendHost: 'h',
      target: alice,
      chroot: 'centos-stream-10-x86_64',
      dependencies: [
        { type: 'copr', owner: '@g', dirname: 'base', repoUrl: `${B}/@g/base`, repoPriority: 9 },
        { type: 'external', url: 'https://mirror.example.com/$distname/$chroot/?priority=3' },
        { type: 'missing', fullName: 'bob/gone' },
      ],
    });
    expect(text).toContain(
      [
        '[coprdep:h:group_g:base]',
        'name=Copr h/alice/proj runtime dependency #1 - @g/base',
        `baseurl=${B}/@g/base/centos-stream-$releasever-$basearch/`,
      ].join('\n'),
    );
    expect(text).toContain('priority=9\n');
    expect(text).toContain(
      [
        '[coprdep:https_mirror_example_com_distname_chroot_priority_3]',
        'name=Copr h/alice/proj external runtime dependency #1 - https_mirror_example_com_distname_chroot_priority_3',
        'baseurl=https://mirror.example.com/centos-stream/centos-stream-10-x86_64/',
        'type=rpm-md',
        'skip_if_unavailable=True',
        'repo_gpgcheck=0',
        'gpgcheck=0',
        'enabled=1',
        'enabled_metadata=1',
      ].join('\n'),
    );
    expect(text).toContain("# This repository is configured to have a runtime dependency on a Copr project bob/gone but that doesn't exist.");
  });
});

describe('chrootRepoUrl', () => {
  it('uses $releasever only for distributions dnf knows the version of', () => {
    expect(chrootRepoUrl('u', 'fedora-rawhide-x86_64')).toBe('u/fedora-$releasever-$basearch/');
    expect(chrootRepoUrl('u', 'opensuse-leap-15.6-x86_64')).toBe('u/opensuse-leap-$releasever-$basearch/');
    expect(chrootRepoUrl('u', 'mageia-9-x86_64')).toBe('u/mageia-$releasever-$basearch/');
    expect(chrootRepoUrl('u', 'mageia-cauldron-x86_64')).toBe('u/mageia-cauldron-$basearch/');
    expect(chrootRepoUrl('u/', 'epel-9-x86_64')).toBe('u/epel-9-$basearch/');
    expect(chrootRepoUrl('u', 'rhel-8-x86_64', 'i386')).toBe('u/rhel-8-i386/');
  });
});

describe('pickChroot', () => {
  const chroots = ['epel-9-aarch64', 'epel-9-x86_64', 'fedora-41-x86_64', 'fedora-rawhide-x86_64'];
  it('prefix match, last match wins, ?arch narrows', () => {
    expect(pickChroot('epel-9', chroots)).toBe('epel-9-x86_64');
    expect(pickChroot('epel-9', chroots, { arch: 'aarch64' })).toBe('epel-9-aarch64');
    expect(pickChroot('fedora-41', chroots)).toBe('fedora-41-x86_64');
    expect(pickChroot('fedora-40', chroots)).toBeUndefined();
  });
  it('aliases apply only when nothing matches directly', () => {
    expect(pickChroot('fedora-eln', chroots, { aliases: { 'fedora-eln': 'fedora-rawhide' } })).toBe('fedora-rawhide-x86_64');
    expect(pickChroot('fedora-41', chroots, { aliases: { 'fedora-41': 'fedora-rawhide' } })).toBe('fedora-41-x86_64');
  });
});

describe('repoFileNotFound / headers', () => {
  it('carries the available chroots as base64 JSON for the dnf plugin', () => {
    const r = repoFileNotFound('fedora-40', 'alice/proj', ['fedora-41-x86_64', 'epel-9-x86_64']);
    expect(r.status).toBe(404);
    expect(Buffer.from(r.headers['Copr-Error-Data']!, 'base64').toString()).toBe(
      '{"available chroots": ["fedora-41-x86_64", "epel-9-x86_64"]}',
    );
    expect(r.body).toBe('Chroot fedora-40 does not exist in alice/proj.\nAvailable chroots:\nfedora-41-x86_64\nepel-9-x86_64\n');
    expect(repoFileNotFound('x', 'a/p', []).body).toContain('There are no enabled chroots in a/p.');
    expect(repoFileHeaders('@g', 'p')['Content-Disposition']).toBe('filename=@g-p.repo');
  });
});

describe('renderRpmRepo', () => {
  it('describes every name_release, multilib pairs, dirs and dependencies', () => {
    const json = renderRpmRepo({
      resultsUrl: B,
      frontendHost: 'h',
      owner: 'alice',
      project: 'proj',
      multilib: true,
      moduleHotfixes: true,
      chroots: [{ name: 'fedora-41-x86_64' }, { name: 'fedora-41-i386' }, { name: 'epel-8-x86_64', deleteAfterDays: 12 }],
      directories: [{ name: 'proj' }, { name: 'proj:pr:1', deleteAfterDays: 30 }],
      deleteAfterDays: 3,
      dependencies: [
        { type: 'external', url: 'https://x.example/a' },
        { type: 'copr', owner: 'bob', dirname: 'lib', repoUrl: `${B}/bob/lib` },
        { type: 'external', url: 'https://y.example/b' },
      ],
    });
    expect(json).toEqual({
      results_url: B,
      repos: {
        'fedora-41': {
          arch: {
            x86_64: { opts: { module_hotfixes: '1' }, multilib: { i386: { opts: { cost: '1100', module_hotfixes: '1' } } } },
            i386: { opts: { module_hotfixes: '1' } },
          },
        },
        'epel-8': { arch: { x86_64: { opts: { module_hotfixes: '1' }, delete_after_days: 12 } } },
      },
      directories: { proj: {}, 'proj:pr:1': { delete_after_days: 30 } },
      dependencies: [
        { opts: { id: 'coprdep:h:bob:lib', name: 'Copr h/alice/proj runtime dependency #1 - bob/lib' }, type: 'copr', data: { owner: 'bob', projectname: 'lib' } },
        { opts: { id: 'coprdep:https_x_example_a', name: 'Copr h/alice/proj external runtime dependency #2 - https_x_example_a' }, type: 'external_baseurl', data: { pattern: 'https://x.example/a' } },
        { opts: { id: 'coprdep:https_y_example_b', name: 'Copr h/alice/proj external runtime dependency #2 - https_y_example_b' }, type: 'external_baseurl', data: { pattern: 'https://y.example/b' } },
      ],
      delete_after_days: 3,
    });
  });
});
