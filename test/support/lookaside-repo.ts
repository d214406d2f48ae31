import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A dist-git package for lookaside tests (test/fixtures/builder/lookaside): a git repository
 * with the spec and a `sources` file (one `SHA512 (file) = hash` line, one old `md5  file`
 * line), and a lookaside cache directory laid out as `<repo name>/<file>/<hashtype>/<hash>/<file>`
 * that an HTTP server can serve. The tarball holds a script the git tree lacks.
 */
export interface LookasideFixture {
  /** The git work tree (branch main, one commit). */
  repo: string;
  /** Root of the cache layout, to serve over HTTP. */
  cache: string;
  tarball: { name: string; sha512: string; bytes: Buffer };
  conf: { name: string; md5: string };
  /** The script inside the tarball, as the built RPM must carry it. */
  script: string;
}

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'builder', 'lookaside');
const NAME = 'hello-lookaside';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

function hex(algo: string, data: Buffer): string {
  return createHash(algo).update(data).digest('hex');
}

/**
 * Builds the fixture under `root`: `<root>/<repoName>` (the repository, whose last path part
 * is the `{name}` of the URI pattern) and `<root>/cache`. `subdir` puts spec and sources file
 * below a subdirectory (rpkg's --subdir).
 */
export function makeLookasideFixture(root: string, repoName = NAME, subdir = ''): LookasideFixture {
  const repo = join(root, repoName);
  const pkgDir = join(repo, subdir);
  mkdirSync(pkgDir, { recursive: true });
  cpSync(join(FIXTURE, `${NAME}.spec`), join(pkgDir, `${NAME}.spec`));

  const script = '#!/bin/sh\necho "hello from the lookaside cache"\n';
  const staging = join(root, 'staging', `${NAME}-1.0`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, `${NAME}.sh`), script, { mode: 0o755 });
  const tarName = `${NAME}-1.0.tar.gz`;
  const tarPath = join(root, 'staging', tarName);
  execFileSync('tar', ['-czf', tarPath, '-C', join(root, 'staging'), `${NAME}-1.0`]);
  const bytes = readFileSync(tarPath);
  const conf = Buffer.from('greeting=hello\n');
  const tarball = { name: tarName, sha512: hex('sha512', bytes), bytes };
  const confEntry = { name: `${NAME}.conf`, md5: hex('md5', conf) };

  writeFileSync(join(pkgDir, 'sources'), `SHA512 (${tarball.name}) = ${tarball.sha512}\n${confEntry.md5}  ${confEntry.name}\n`);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'package with lookaside sources');

  const cache = join(root, 'cache');
  const put = (file: string, hashtype: string, hash: string, data: Buffer) => {
    const dir = join(cache, repoName.replace(/\.git$/, ''), file, hashtype, hash);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), data);
  };
  put(tarball.name, 'sha512', tarball.sha512, bytes);
  put(confEntry.name, 'md5', confEntry.md5, conf);
  return { repo, cache, tarball, conf: confEntry, script };
}

/** The URI pattern matching the cache layout above (rpkg's non-namespaced lookaside layout). */
export const LOOKASIDE_PATTERN = '{name}/{filename}/{hashtype}/{hash}/{filename}';
