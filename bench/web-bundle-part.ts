import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { skipped, type BenchPart, type PartResult } from './harness.js';

/**
 * The dashboard bundle size, measured by `bench/web-bundle.ts` (written with the
 * web part). It runs as its own process because it is a script, not a module
 * with an entry function; its output is shown as is.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./web-bundle.ts', import.meta.url));

export const webBundlePart: BenchPart = {
  name: 'web-bundle',
  title: 'dashboard bundle size (bench/web-bundle.ts)',
  async run(): Promise<PartResult> {
    if (!existsSync(SCRIPT)) return skipped('bench/web-bundle.ts does not exist yet');
    const res = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    if (res.error) throw res.error;
    const text = `${res.stdout}${res.stderr ? `\n${res.stderr}` : ''}`;
    // The script itself sets exit code 1 when the JS is over its budget: that is a figure, not a crash.
    return { tables: [], text: res.status === 0 ? text : `${text}\n(web-bundle.ts exited with status ${res.status})` };
  },
};
