import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Fixture specs for the browser tests (test/fixtures/web) and the builder's (test/fixtures/builder). */
export const WEB_FIXTURES = new URL('../fixtures/web/', import.meta.url).pathname;
export const BUILDER_FIXTURES = new URL('../fixtures/builder/', import.meta.url).pathname;

/**
 * Makes an SRPM from a spec (no sources) with the real rpmbuild, into `outDir`;
 * returns its path. The file the browser then uploads through the new-build form.
 */
export function srpmFromSpec(specPath: string, outDir: string): string {
  const top = join(outDir, `.top-${Date.now()}`);
  const sources = join(top, 'SOURCES');
  mkdirSync(sources, { recursive: true });
  const spec = join(sources, specPath.split('/').pop()!);
  copyFileSync(specPath, spec);
  const before = new Set(readdirSync(outDir));
  execFileSync('rpmbuild', ['-bs', '--define', `_topdir ${top}`, '--define', `_sourcedir ${sources}`, '--define', `_srcrpmdir ${outDir}`, '--define', 'dist %{nil}', spec], {
    stdio: 'pipe',
  });
  rmSync(top, { recursive: true, force: true });
  const made = readdirSync(outDir).find((f) => !before.has(f) && f.endsWith('.src.rpm'));
  if (!made) throw new Error(`rpmbuild made no SRPM from ${specPath}`);
  return join(outDir, made);
}
