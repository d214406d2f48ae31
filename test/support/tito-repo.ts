import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

/** A tito-managed repository: tag hello-tito-1.2-1, then one more commit. */
export function makeTitoRepo(dir: string): string {
  mkdirSync(join(dir, '.tito', 'packages'), { recursive: true });
  writeFileSync(
    join(dir, 'hello-tito.spec'),
    [
      'Name: hello-tito', 'Version: 1.2', 'Release: 1%{?dist}', 'Summary: tito-managed test package', 'License: MIT', 'BuildArch: noarch',
      'Source0: %{name}-%{version}.tar.gz', '%description', 'A package tito builds.', '%prep', '%setup -q', '%install',
      'mkdir -p %{buildroot}/usr/share/hello-tito', 'cp hello.txt %{buildroot}/usr/share/hello-tito/', '%files', '/usr/share/hello-tito', '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  writeFileSync(join(dir, '.tito', 'packages', 'hello-tito'), '1.2-1 ./\n');
  writeFileSync(join(dir, '.tito', 'tito.props'), '[buildconfig]\nbuilder = tito.builder.Builder\ntagger = tito.tagger.VersionTagger\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'package');
  git(dir, 'tag', 'hello-tito-1.2-1');
  writeFileSync(join(dir, 'hello.txt'), 'hello again\n');
  git(dir, 'commit', '-q', '-a', '-m', 'after the tag');
  return dir;
}
