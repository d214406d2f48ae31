import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const primaryHref = (repomd: string) => /<data type="primary">[\s\S]*?<location href="repodata\/([^"]+)"/.exec(repomd)?.[1];

/**
 * The `<location href>`s of the primary metadata the live repomd.xml names, sorted;
 * null when there is no repomd.xml (or it names no primary). A publish run may swap
 * in new metadata and delete the old primary between the two reads: then repomd.xml
 * has changed and the read starts over from the new one. A directory may also hold an
 * older primary, so only the one repomd.xml names counts.
 */
export async function readPrimaryHrefs(repodataDir: string): Promise<string[] | null> {
  for (let attempt = 0; ; attempt += 1) {
    const repomd = await readFile(join(repodataDir, 'repomd.xml'), 'utf8').catch(() => null);
    const href = repomd === null ? undefined : primaryHref(repomd);
    if (!href) return null;
    try {
      const xml = gunzipSync(await readFile(join(repodataDir, href))).toString('utf8');
      return [...xml.matchAll(/<location\b[^>]*?\shref="([^"]+)"/g)].map((m) => m[1] ?? '').sort();
    } catch (err) {
      const now = await readFile(join(repodataDir, 'repomd.xml'), 'utf8').catch(() => null);
      if (now === repomd || attempt >= 20) throw err;
    }
  }
}
