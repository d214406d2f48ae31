import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Every file below `dir` (an absolute path inside `root`), as sorted `/`-separated
 * paths relative to `root`: the keys a results tree on disk stands for. A missing
 * dir has no files.
 */
export async function filesUnder(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}
