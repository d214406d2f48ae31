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

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/**
 * Which of `candidates` (package locations) the primary metadata of `repodataDir`
 * lists already. Searches the decompressed bytes for each `href="…"` instead of
 * collecting every location: a publish asks about a few packages of a repository
 * that may list tens of thousands.
 */
export async function listedAmong(repodataDir: string, candidates: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (candidates.length === 0) return found;
  const repomd = await readFile(join(repodataDir, 'repomd.xml'), 'utf8').catch(() => null);
  const href = repomd && /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
  if (!href) return found;
  const raw = await readFile(join(repodataDir, href.slice(href.lastIndexOf('/') + 1)));
  const xml = href.endsWith('.gz') ? gunzipSync(raw) : raw;
  for (const c of candidates) if (xml.includes(` href="${xmlEscape(c)}"`)) found.add(c);
  return found;
}
