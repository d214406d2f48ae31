import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<data dir>/service.json`: where the running local service answers (its real
 * URL and pid), written once it is ready and removed when it stops, so tools on the
 * same data dir (bin/copr-admin.ts) print and use the real address, not a default.
 */
const FILE = 'service.json';

export interface ServiceFile {
  url: string;
  pid: number;
}

export function writeServiceFile(dataDir: string, url: string): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify({ url, pid: process.pid } satisfies ServiceFile), { mode: 0o600 });
}

export function removeServiceFile(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running service on this data dir, or null (none, or a stale file of a crashed one). */
export function readServiceFile(dataDir: string): ServiceFile | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<ServiceFile>;
    if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return null;
    return isProcessAlive(parsed.pid) ? { url: parsed.url, pid: parsed.pid } : null;
  } catch {
    return null;
  }
}
