import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Package locations (`<subdir>/<file>.rpm`) listed by the primary metadata of a
 * `repodata/` dir, or an empty set when it has none. The publisher uses it to keep
 * a package that is already in the repository from being listed twice.
 */
export async function primaryHrefs(repodataDir: string): Promise<Set<string>> {
  const repomd = await readFile(join(repodataDir, 'repomd.xml'), 'utf8').catch(() => null);
  const href = repomd && /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
  if (!href) return new Set();
  const file = join(repodataDir, href.slice(href.lastIndexOf('/') + 1));
  const raw = await readFile(file);
  const xml = (href.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return new Set([...xml.matchAll(/<location\b[^>]*?\shref="([^"]+)"/g)].map((m) => m[1]!));
}
