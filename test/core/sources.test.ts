import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { CoprError } from '../../functions/core/errors.js';
import { fnmatch, matchAny } from '../../functions/core/fnmatch.js';
import { formatZodError } from '../../functions/api/error-mapping.js';
import { loadConfig } from '../../functions/config.js';
import {
  distgitCloneUrl,
  mergeStoredSource,
  normaliseSource,
  renameClientFields,
  type PackageSourceType,
} from '../../functions/core/sources.js';

/** The 400 text a client would see for this input. */
function errorOf(type: PackageSourceType, input: Record<string, unknown>, opts = {}): string {
  try {
    normaliseSource(type, input, opts);
  } catch (e) {
    if (e instanceof ZodError) return formatZodError(e);
    if (e instanceof CoprError) return e.message;
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('normaliseSource: scm', () => {
  it('stores what copr-cli add-package-scm sends under the builder keys, with defaults', () => {
    const body = {
      package_name: 'x',
      clone_url: 'https://example.com/x.git',
      committish: '',
      subdirectory: '',
      spec: '',
      scm_type: 'git',
      source_build_method: 'rpkg',
      max_builds: null,
      timeout: null,
      webhook_rebuild: null,
    };
    expect(normaliseSource('scm', body)).toEqual({
      type: 'git',
      clone_url: 'https://example.com/x.git',
      committish: '',
      subdirectory: '',
      spec: '',
      srpm_build_method: 'rpkg',
    });
    expect(normaliseSource('scm', { clone_url: 'git://example.com/x', scm_type: 'svn', source_build_method: 'make_srpm', spec: 'sub/x.spec' })).toMatchObject({
      type: 'svn',
      srpm_build_method: 'make_srpm',
      spec: 'sub/x.spec',
    });
  });

  it('refuses unsafe or invalid values, naming the field as the client sent it', () => {
    expect(errorOf('scm', {})).toBe('clone_url: This field is required.');
    expect(errorOf('scm', { clone_url: 'file:///etc/passwd' })).toMatch(/^clone_url: Invalid URL/);
    expect(errorOf('scm', { clone_url: '--upload-pack=evil' })).toMatch(/^clone_url:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', scm_type: 'hg' })).toMatch(/^scm_type:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', source_build_method: 'bash' })).toMatch(/^source_build_method:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', subdirectory: '../up' })).toMatch(/^subdirectory:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', subdirectory: '/abs' })).toMatch(/^subdirectory:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', spec: 'x.txt' })).toMatch(/^spec:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', committish: '--force' })).toMatch(/^committish:/);
    expect(errorOf('scm', { clone_url: 'https://e.com/x', committish: 'a b' })).toMatch(/^committish:/);
    expect(errorOf('scm', { clone_url: 42 })).toMatch(/^clone_url:/);
  });
});

describe('normaliseSource: pypi, rubygems', () => {
  it('pypi: stores the five builder keys; python_versions as strings, server default ["3"]', () => {
    expect(normaliseSource('pypi', { pypi_package_name: 'foo', python_versions: [3, 2], spec_template: null })).toEqual({
      pypi_package_name: 'foo',
      pypi_package_version: null,
      spec_generator: 'pyp2spec',
      spec_template: '',
      python_versions: ['3', '2'],
    });
    expect(normaliseSource('pypi', { pypi_package_name: 'foo', pypi_package_version: '1.2.3', spec_generator: 'pyp2rpm', spec_template: 'fedora' })).toEqual({
      pypi_package_name: 'foo',
      pypi_package_version: '1.2.3',
      spec_generator: 'pyp2rpm',
      spec_template: 'fedora',
      python_versions: ['3'],
    });
    expect(normaliseSource('pypi', { pypi_package_name: 'foo', python_versions: '3' }).python_versions).toEqual(['3']);
  });

  it('pypi/rubygems: rejects bad names and enums', () => {
    expect(errorOf('pypi', {})).toBe('pypi_package_name: This field is required.');
    expect(errorOf('pypi', { pypi_package_name: 'foo; rm -rf /' })).toMatch(/^pypi_package_name:/);
    expect(errorOf('pypi', { pypi_package_name: 'foo', python_versions: ['4'] })).toMatch(/^python_versions/);
    expect(errorOf('pypi', { pypi_package_name: 'foo', spec_generator: 'other' })).toMatch(/^spec_generator:/);
    expect(errorOf('pypi', { pypi_package_name: 'foo', spec_template: 'arch' })).toMatch(/^spec_template:/);
    expect(normaliseSource('rubygems', { gem_name: 'rails' })).toEqual({ gem_name: 'rails' });
    expect(errorOf('rubygems', { gem_name: '../x' })).toMatch(/^gem_name:/);
  });
});

describe('normaliseSource: custom', () => {
  it('maps script_* names, joins lists, appends the final newline', () => {
    expect(
      normaliseSource('custom', {
        script: '#!/bin/sh\r\necho hi',
        script_chroot: 'fedora-44-x86_64',
        script_builddeps: ['git', 'make'],
        script_resultdir: 'out',
        script_repos: 'https://example.com/r copr://bob/p',
      }),
    ).toEqual({
      script: '#!/bin/sh\necho hi\n',
      chroot: 'fedora-44-x86_64',
      builddeps: 'git make',
      resultdir: 'out',
      repos: 'https://example.com/r copr://bob/p',
    });
    expect(normaliseSource('custom', { script: 'x\n' })).toEqual({
      script: 'x\n',
      chroot: 'fedora-latest-x86_64',
      builddeps: '',
      resultdir: '',
      repos: '',
    });
  });

  it('refuses an oversize script, bad repos, escaping resultdir and unknown chroots', () => {
    expect(errorOf('custom', { script: 'a'.repeat(4097) })).toMatch(/^script:/);
    expect(errorOf('custom', { script: 'x', script_repos: 'file:///etc' })).toMatch(/^script_repos/);
    expect(errorOf('custom', { script: 'x', resultdir: '../../etc' })).toMatch(/^resultdir:/);
    expect(errorOf('custom', { script: 'x', script_chroot: 'fedora-1-x86_64' }, { activeChroots: ['fedora-44-x86_64'] })).toBe(
      'script_chroot: Not a valid choice: fedora-1-x86_64',
    );
    // The alias is always allowed; it is resolved when the build is submitted.
    expect(normaliseSource('custom', { script: 'x', chroot: 'fedora-latest-aarch64' }, { activeChroots: [] }).chroot).toBe(
      'fedora-latest-aarch64',
    );
  });
});

describe('normaliseSource: distgit', () => {
  it('derives the clone URL from instance, namespace and package; names the default instance; other optional keys only when set', () => {
    expect(normaliseSource('distgit', { distgit: null, namespace: null, committish: null }, { packageName: 'hello' })).toEqual({
      clone_url: 'https://src.fedoraproject.org/rpms/hello',
      distgit: 'fedora',
    });
    expect(
      normaliseSource('distgit', { distgit: 'fedora', namespace: 'forks/jdoe', committish: 'f44' }, { packageName: 'hello' }),
    ).toEqual({
      clone_url: 'https://src.fedoraproject.org/forks/jdoe/rpms/hello',
      distgit: 'fedora',
      namespace: 'forks/jdoe',
      committish: 'f44',
    });
    // build/create/distgit carries the package in the body.
    expect(normaliseSource('distgit', { package_name: 'tar', distgit: 'centos' })).toEqual({
      clone_url: 'https://git.centos.org/rpms/tar',
      distgit: 'centos',
    });
  });

  it('refuses unknown instances, bad namespaces and a missing package', () => {
    expect(errorOf('distgit', { distgit: 'nope' }, { packageName: 'x' })).toBe("distgit: DistGit instance 'nope' does not exist");
    expect(errorOf('distgit', { namespace: '../x' }, { packageName: 'x' })).toMatch(/^namespace:/);
    expect(errorOf('distgit', { distgit: 'centos-stream', namespace: 'forks/a' }, { packageName: 'x' })).toMatch(/^namespace:/);
    expect(errorOf('distgit', {})).toBe('package_name: This field is required.');
    expect(() => distgitCloneUrl(undefined, 'a/b')).toThrow(/package_name/);
  });

  it('DISTGIT_INSTANCES adds an instance (or replaces one by name); the highest priority is the default', () => {
    const config = loadConfig(
      {},
      {
        DISTGIT_INSTANCES: JSON.stringify([
          { name: 'local', priority: 200, clone_url: 'http://127.0.0.1:9999', package_uri: 'git/{pkgname}.git' },
          { name: 'centos', priority: 50, clone_url: 'https://git.example.org', package_uri: 'rpms/{pkgname}' },
        ]),
      },
    );
    expect(config.DISTGIT_INSTANCES.map((i) => i.name)).toEqual(['fedora', 'centos-stream', 'local', 'centos']);
    const distgitInstances = config.DISTGIT_INSTANCES;
    expect(normaliseSource('distgit', { package_name: 'hello' }, { distgitInstances })).toEqual({
      clone_url: 'http://127.0.0.1:9999/git/hello.git',
      distgit: 'local',
    });
    expect(normaliseSource('distgit', { package_name: 'tar', distgit: 'centos' }, { distgitInstances }).clone_url).toBe('https://git.example.org/rpms/tar');
    expect(errorOf('distgit', { distgit: 'local', namespace: 'forks/a' }, { packageName: 'x', distgitInstances })).toMatch(/^namespace: .*'local' does not support namespaces/);
    expect(() => loadConfig({}, { DISTGIT_INSTANCES: '[{"name": "x"}]' })).toThrow(/DISTGIT_INSTANCES/);
  });
});

describe('renames and merging', () => {
  it('renames client aliases; a sent alias beats a stored name; nulls are not sent', () => {
    const r = renameClientFields({ webhook_rebuild: true, is_background: false, memory_limit: 2048, type: 'git', scm_type: 'svn', x: null });
    expect(r.fields).toEqual({ auto_rebuild: true, background: false, memory_reqs: 2048, type: 'svn' });
    expect(r.sentAs.type).toBe('scm_type');
  });

  it('an edit keeps stored fields that are not sent', () => {
    const stored = normaliseSource('scm', { clone_url: 'https://e.com/x', committish: 'main', source_build_method: 'tito' });
    const merged = normaliseSource('scm', mergeStoredSource(stored, { committish: 'dev', spec: null }));
    expect(merged).toEqual({ ...stored, committish: 'dev' });
  });
});

describe('fnmatch', () => {
  it('matches like Python fnmatchcase', () => {
    expect(fnmatch('fedora-44-x86_64', 'fedora-*-x86_64')).toBe(true);
    expect(fnmatch('fedora-44-aarch64', 'fedora-*-x86_64')).toBe(false);
    expect(fnmatch('epel-9-x86_64', 'epel-[89]-*')).toBe(true);
    expect(fnmatch('epel-10-x86_64', 'epel-[!1]-*')).toBe(false);
    expect(fnmatch('fedora-4a-x86_64', 'fedora-4?-x86_64')).toBe(true);
    expect(fnmatch('fedora.44', 'fedora-44')).toBe(false);
    expect(fnmatch('a[b', 'a[b')).toBe(true);
    expect(matchAny(['a-1', 'b-1', 'a-2'], ['a-*'])).toEqual(['a-1', 'a-2']);
  });
});
