import { readdir, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const REPOMD = 'repomd.xml';
const REPOMD_ASC = 'repomd.xml.asc';

/** File names under repodata/ that a repomd.xml points at (`<location href="repodata/x"/>`). */
export function referencedFiles(repomdXml: string): string[] {
  const names = new Set<string>();
  for (const m of repomdXml.matchAll(/<location\b[^>]*?\shref="([^"]+)"/g)) {
    const href = m[1]!;
    names.add(href.slice(href.lastIndexOf('/') + 1));
  }
  return [...names];
}

async function readRefs(repomdPath: string): Promise<string[]> {
  try {
    return referencedFiles(await readFile(repomdPath, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Moves freshly generated metadata from `stagedDir` into the live `repodata/` so that
 * a reader never sees a repomd.xml naming files that are not there yet:
 *  1. the data files (content-addressed names, so they never clash with live ones)
 *     are moved in first;
 *  2. repomd.xml replaces the old one by rename (atomic on one filesystem), then its
 *     signature;
 *  3. only then the files that the previous repomd.xml referenced and the new one
 *     does not are removed.
 * Staging lives inside the chroot dir, so every rename stays on one filesystem.
 */
export async function swapInRepodata(stagedDir: string, liveDir: string): Promise<{ removed: string[] }> {
  await mkdir(liveDir, { recursive: true });
  const oldRefs = await readRefs(join(liveDir, REPOMD));
  const staged = await readdir(stagedDir);
  if (!staged.includes(REPOMD)) throw new Error(`no ${REPOMD} in ${stagedDir}`);
  for (const name of staged) {
    if (name !== REPOMD && name !== REPOMD_ASC) await rename(join(stagedDir, name), join(liveDir, name));
  }
  await rename(join(stagedDir, REPOMD), join(liveDir, REPOMD));
  if (staged.includes(REPOMD_ASC)) await rename(join(stagedDir, REPOMD_ASC), join(liveDir, REPOMD_ASC));
  else await rm(join(liveDir, REPOMD_ASC), { force: true });
  const keep = new Set(await readRefs(join(liveDir, REPOMD)));
  const removed = oldRefs.filter((n) => !keep.has(n));
  for (const name of removed) await rm(join(liveDir, name), { force: true });
  return { removed };
}
