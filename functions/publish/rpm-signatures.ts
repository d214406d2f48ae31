import type { ProcessRunner } from './process-runner.js';

/**
 * Which of `files` do not carry a signature by the key `fingerprint`. One `rpm -qp`
 * call for all files: rpm prints one line per package in argument order. A package
 * signed by another key is re-signed (rpmsign --addsign replaces the signature).
 */
export async function rpmsNotSignedBy(
  runner: ProcessRunner,
  files: readonly string[],
  fingerprint: string,
): Promise<string[]> {
  if (files.length === 0) return [];
  const res = await runner.run('rpm', [
    '-qp', '--nosignature', '--nodigest', '--qf', '%{SIGPGP:pgpsig}|%{RSAHEADER:pgpsig}\\n', ...files,
  ]);
  const lines = res.stdout.split('\n').filter((l) => l.includes('|'));
  if (lines.length !== files.length) {
    throw new Error(`rpm -qp printed ${lines.length} signature lines for ${files.length} packages`);
  }
  const keyId = `Key ID ${fingerprint.slice(-16).toLowerCase()}`;
  return files.filter((_, i) => !lines[i]!.toLowerCase().includes(keyId.toLowerCase()));
}
