import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm start`'s last net: an error that escapes every handler is logged and the process keeps serving. */
const ROOT = resolve(import.meta.dirname, '..', '..');

describe('process guards', () => {
  it('log an uncaught exception and an unhandled rejection, and the process lives on', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => {
      execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'test/security/fixtures/guarded.ts')], { cwd: ROOT }, (err, stdout, stderr) => {
        ok({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('still serving');
    expect(run.stderr).toMatch(/uncaught exception \(still serving\): Error: escaped every handler/);
    expect(run.stderr).toMatch(/unhandled rejection \(still serving\): Error: nobody awaited this/);
  });
});
