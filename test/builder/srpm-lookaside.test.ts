import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookasideUrl, LookasideInstancesSchema, matchLookaside, repoNameParts, type LookasideInstance } from '../../builder-ami/agent/lookaside-config.js';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { parseSourcesFile } from '../../builder-ami/agent/srpm/lookaside.js';
import type { SourceType, TaskInput } from '../../builder-ami/agent/task.js';
import { LOOKASIDE_PATTERN, makeLookasideFixture, type LookasideFixture } from '../support/lookaside-repo.js';
import { localPorts, removeDir, startServer, tempDir, type TestServer } from './helpers.js';

/**
 * DistGit lookaside downloads in the SRPM stage, against a local cache served over HTTP: the
 * `sources` file's tarballs are fetched by the pattern of the instance serving the clone URL,
 * verified against their hashes, and fed to rpmbuild -bs (distgit and scm/rpkg).
 */
function srpmTask(sourceType: SourceType, source: unknown): TaskInput {
  return {
    kind: 'srpm',
    task_id: '31',
    build_id: 31,
    project_owner: 'jdoe',
    project_name: 'demo',
    project_dirname: 'demo',
    timeout: 120,
    enable_net: false,
    package_name: null,
    source_type: sourceType,
    source_json: JSON.stringify(source),
    chroot: null,
    distributions_in_build: ['fedora-44'],
    distributions_in_project: ['fedora-44'],
  } as TaskInput;
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

/** Local paths count as host `localhost` (as in dist-git-client). */
function localInstance(cacheUrl: string, extra: Partial<LookasideInstance> = {}): LookasideInstance[] {
  return LookasideInstancesSchema.parse([{ name: 'local', clone_hostnames: ['localhost'], lookaside_location: cacheUrl, lookaside_uri_pattern: LOOKASIDE_PATTERN, ...extra }]);
}

function portsWith(root: string, instances: readonly LookasideInstance[]) {
  const ports = localPorts(root);
  return { ...ports, deps: { ...ports.deps, config: { ...ports.deps.config, distgitLookaside: instances } } };
}

/** Files inside an SRPM. */
function srpmFiles(resultDir: string): { srpm: string; files: string[] } {
  const srpm = readdirSync(resultDir).find((f) => f.endsWith('.src.rpm'));
  if (!srpm) throw new Error(`no SRPM in ${readdirSync(resultDir).join(' ')}`);
  const files = execFileSync('rpm', ['-qpl', '--nosignature', join(resultDir, srpm)], { encoding: 'utf8' }).trim().split('\n').sort();
  return { srpm, files };
}

describe('lookaside configuration and sources files', () => {
  it('reads both sources formats; refuses odd lines, unknown hash types and paths', () => {
    const text = `SHA512 (a-1.0.tar.gz) = ${'ab'.repeat(64)}\n\n0123456789abcdef0123456789abcdef  b.conf\nSHA256 (dir/c.tar.xz) = ${'CD'.repeat(32)}\n`;
    expect(parseSourcesFile(text, 'md5')).toEqual([
      { hashtype: 'sha512', hash: 'ab'.repeat(64), filename: 'a-1.0.tar.gz' },
      { hashtype: 'md5', hash: '0123456789abcdef0123456789abcdef', filename: 'b.conf' },
      // Upstream keeps the base name only.
      { hashtype: 'sha256', hash: 'cd'.repeat(32), filename: 'c.tar.xz' },
    ]);
    expect(() => parseSourcesFile('one two three\n', 'md5')).toThrow(/line 1 is neither/);
    expect(() => parseSourcesFile('CRC32 (x) = 00ff\n', 'md5')).toThrow(/hash type crc32 is not supported/);
    expect(() => parseSourcesFile('zz  x\n', 'md5')).toThrow(/not a hex digest/);
    expect(() => parseSourcesFile('00  ..\n', 'md5')).toThrow(/not a file name/);
  });

  it('matches clone URLs by host and longest path prefix; fills the pattern', () => {
    const instances = LookasideInstancesSchema.parse([
      { name: 'forge', clone_hostnames: ['git.example.com'], lookaside_location: 'https://cache.example.com/', lookaside_uri_pattern: 'pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}' },
      { name: 'forge-rpms', clone_hostnames: ['git.example.com'], path_prefixes: ['/rpms'], lookaside_location: 'https://rpms.example.com', lookaside_uri_pattern: 'r/{namespace[0]}/{name}/{refspec}/{hash}' },
    ]);
    expect(matchLookaside(instances, 'https://git.example.com/tools/x.git')?.name).toBe('forge');
    expect(matchLookaside(instances, 'https://git.example.com/rpms/tar.git')?.name).toBe('forge-rpms');
    expect(matchLookaside(instances, 'ssh://me@git.example.com/rpms/tar')?.name).toBe('forge-rpms');
    expect(matchLookaside(instances, 'me@git.example.com:rpms/tar.git')?.name).toBe('forge-rpms');
    expect(matchLookaside(instances, 'https://elsewhere.example.com/rpms/tar')).toBeNull();
    expect(repoNameParts('https://git.example.com/rpms/tar.git')).toEqual({ name: 'tar', namespace: ['rpms'] });
    const vars = { ...repoNameParts('https://git.example.com/rpms/tar.git'), filename: 'tar 1.tar.gz', hashtype: 'sha512', hash: 'ab', refspec: 'c9s' };
    const [forge, rpms] = instances;
    if (!forge || !rpms) throw new Error('instances');
    expect(lookasideUrl(forge, vars)).toBe('https://cache.example.com/pkgs/tar/tar%201.tar.gz/sha512/ab/tar%201.tar.gz');
    expect(lookasideUrl(rpms, vars)).toBe('https://rpms.example.com/r/rpms/tar/c9s/ab');
    // A typo in a pattern is refused when the configuration is read.
    expect(
      LookasideInstancesSchema.safeParse([{ name: 'x', clone_hostnames: ['h'], lookaside_location: 'https://h', lookaside_uri_pattern: '{nme}' }]).success,
    ).toBe(false);
  });
});

describe('SRPM stage with a lookaside cache', () => {
  let root: string;
  let fx: LookasideFixture;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('lookaside');
    fx = makeLookasideFixture(join(root, 'pkgs'));
    server = await startServer(fx.cache);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('distgit: downloads both sources by the pattern, verifies them and builds the SRPM with them', async () => {
    const ports = portsWith(join(root, 'distgit'), localInstance(server.url));
    server.requests.length = 0;
    const outcome = await runTask(srpmTask('distgit', { clone_url: fx.repo, committish: 'main' }), ports.deps);
    expect(outcome.fail_reason, ports.liveLog()).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(server.requests.sort()).toEqual(
      [
        `GET /hello-lookaside/${fx.tarball.name}/sha512/${fx.tarball.sha512}/${fx.tarball.name}`,
        `GET /hello-lookaside/${fx.conf.name}/md5/${fx.conf.md5}/${fx.conf.name}`,
      ].sort(),
    );
    const { files } = srpmFiles(ports.resultDir);
    expect(files).toEqual(['hello-lookaside-1.0.tar.gz', 'hello-lookaside.conf', 'hello-lookaside.spec']);
    // The tarball in the SRPM is the cache's, byte for byte.
    const out = join(root, 'distgit-extract');
    mkdirSync(out);
    const { srpm } = srpmFiles(ports.resultDir);
    execFileSync('sh', ['-c', `rpm2cpio "$1" | cpio -idm --quiet`, 'sh', join(ports.resultDir, srpm)], { cwd: out });
    expect(readFileSync(join(out, fx.tarball.name)).equals(fx.tarball.bytes)).toBe(true);
    expect(ports.liveLog()).toContain(`lookaside: ${fx.tarball.name} sha512 verified`);
  });

  it('scm --method rpkg in a subdirectory: the sources file beside the spec, fetched instead of a git archive', async () => {
    const sub = makeLookasideFixture(join(root, 'rpkg-pkgs'), 'hello-lookaside', 'pkg');
    const own = await startServer(sub.cache);
    try {
      const ports = portsWith(join(root, 'rpkg'), localInstance(own.url));
      const source = { type: 'git', clone_url: sub.repo, committish: 'main', subdirectory: 'pkg', spec: '', srpm_build_method: 'rpkg' };
      const outcome = await runTask(srpmTask('scm', source), ports.deps);
      expect(outcome.fail_reason, ports.liveLog()).toBeUndefined();
      expect(own.requests).toHaveLength(2);
      expect(srpmFiles(ports.resultDir).files).toEqual(['hello-lookaside-1.0.tar.gz', 'hello-lookaside.conf', 'hello-lookaside.spec']);
      expect(ports.liveLog()).not.toContain('git archive');
    } finally {
      await own.close();
    }
  });

  it('distgit with a CentOS-style layout: SPECS/, SOURCES/, .<name>.metadata with sha1 lines, {refspec}/{hash} URLs', async () => {
    const repo = join(root, 'centos-like', 'hello-lookaside');
    mkdirSync(join(repo, 'SPECS'), { recursive: true });
    execFileSync('cp', [join(fx.repo, 'hello-lookaside.spec'), join(repo, 'SPECS')]);
    const conf = Buffer.from('greeting=hello\n');
    const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
    writeFileSync(join(repo, '.hello-lookaside.metadata'), `${sha1(fx.tarball.bytes)} SOURCES/${fx.tarball.name}\n${sha1(conf)} SOURCES/hello-lookaside.conf\n`);
    git(repo, 'init', '-q', '-b', 'c9s');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'centos-like');
    const cache = join(root, 'centos-cache');
    mkdirSync(join(cache, 'sources', 'hello-lookaside', 'c9s'), { recursive: true });
    for (const bytes of [fx.tarball.bytes, conf]) writeFileSync(join(cache, 'sources', 'hello-lookaside', 'c9s', sha1(bytes)), bytes);
    const centos = await startServer(cache);
    try {
      const instances = localInstance(centos.url, {
        lookaside_uri_pattern: 'sources/{name}/{refspec}/{hash}',
        sources_file: '.{name}.metadata',
        specs: 'SPECS',
        sources: 'SOURCES',
        default_sum: 'sha1',
      });
      const ports = portsWith(join(root, 'centos-run'), instances);
      const outcome = await runTask(srpmTask('distgit', { clone_url: repo }), ports.deps);
      expect(outcome.fail_reason, ports.liveLog()).toBeUndefined();
      expect(centos.requests.sort()).toEqual([`GET /sources/hello-lookaside/c9s/${sha1(conf)}`, `GET /sources/hello-lookaside/c9s/${sha1(fx.tarball.bytes)}`].sort());
      expect(srpmFiles(ports.resultDir).files).toEqual(['hello-lookaside-1.0.tar.gz', 'hello-lookaside.conf', 'hello-lookaside.spec']);
    } finally {
      await centos.close();
    }
  });

  it('fails with the reason in the log: a checksum mismatch, a missing file, no configured cache', async () => {
    // The cache serves other bytes under the tarball's path.
    const tampered = makeLookasideFixture(join(root, 'tampered'));
    writeFileSync(join(tampered.cache, 'hello-lookaside', tampered.tarball.name, 'sha512', tampered.tarball.sha512, tampered.tarball.name), 'not the tarball');
    const bad = await startServer(tampered.cache);
    try {
      const ports = portsWith(join(root, 'mismatch'), localInstance(bad.url));
      const outcome = await runTask(srpmTask('distgit', { clone_url: tampered.repo }), ports.deps);
      expect(outcome.status).toBe('failed');
      expect(outcome.fail_reason).toMatch(
        new RegExp(`^distgit: lookaside: ${tampered.tarball.name} from http://127\\.0\\.0\\.1:\\d+/\\S+ has sha512 [0-9a-f]{128}, the sources file says ${tampered.tarball.sha512}$`),
      );
      expect(ports.liveLog()).toContain(outcome.fail_reason);
      // Nothing unverified was left for rpmbuild.
      expect(readdirSync(ports.resultDir)).not.toContain('success');
    } finally {
      await bad.close();
    }

    const empty = await startServer(join(root, 'nothing-here'));
    try {
      const ports = portsWith(join(root, 'missing'), localInstance(empty.url));
      const outcome = await runTask(srpmTask('distgit', { clone_url: fx.repo }), ports.deps);
      expect(outcome.fail_reason).toMatch(/^distgit: lookaside: hello-lookaside-1\.0\.tar\.gz: download failed: HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/hello-lookaside\/hello-lookaside-1\.0\.tar\.gz\/sha512\//);
      expect(ports.liveLog()).toContain('HTTP 404');
    } finally {
      await empty.close();
    }

    const ports = portsWith(join(root, 'unconfigured'), []);
    const outcome = await runTask(srpmTask('scm', { clone_url: fx.repo, srpm_build_method: 'rpkg' }), ports.deps);
    expect(outcome.fail_reason).toBe(
      `scm: lookaside: ${fx.tarball.name} is listed in sources but no lookaside cache is configured for ${fx.repo} (COPR_DISTGIT_LOOKASIDE)`,
    );
  });

  it('refuses a committed symlink in place of a listed source, and a sources file pointing out of the clone', async () => {
    const planted = makeLookasideFixture(join(root, 'planted'));
    symlinkSync('/etc/hostname', join(planted.repo, planted.tarball.name));
    git(planted.repo, 'add', '-A');
    git(planted.repo, 'commit', '-q', '-m', 'symlink');
    const ports = portsWith(join(root, 'planted-run'), localInstance(server.url));
    const outcome = await runTask(srpmTask('distgit', { clone_url: planted.repo }), ports.deps);
    expect(outcome.fail_reason).toBe(`distgit: lookaside: ${planted.tarball.name} in the repository is not a regular file`);

    const escaping = makeLookasideFixture(join(root, 'escaping'));
    rmSync(join(escaping.repo, 'sources'));
    symlinkSync('/etc/passwd', join(escaping.repo, 'sources'));
    git(escaping.repo, 'add', '-A');
    git(escaping.repo, 'commit', '-q', '-m', 'symlinked sources');
    const ports2 = portsWith(join(root, 'escaping-run'), localInstance(server.url));
    const outcome2 = await runTask(srpmTask('distgit', { clone_url: escaping.repo }), ports2.deps);
    expect(outcome2.fail_reason).toBe('distgit: the sources file sources leaves the repository');
    expect(ports2.liveLog()).not.toContain('root:');
  });
});
