/**
 * The `<data>` entries of a repomd.xml as createrepo_c writes them, and the rewrite
 * of some of them. Everything else in the document (revision aside, tags, other
 * entries) is kept byte for byte.
 */
export interface RepomdEntry {
  type: string;
  checksumType: string;
  checksum: string;
  /** `repodata/<file>` */
  href: string;
  timestamp: number;
  size: number;
  openChecksum?: { type: string; value: string };
  openSize?: number;
}

const DATA_RE = /<data type="([^"]+)">([\s\S]*?)<\/data>/g;

function tag(block: string, name: string): RegExpExecArray | null {
  return new RegExp(`<${name} type="([^"]+)">([^<]*)</${name}>`).exec(block);
}

function num(block: string, name: string): number | undefined {
  const m = new RegExp(`<${name}>(\\d+)</${name}>`).exec(block);
  return m ? Number(m[1]) : undefined;
}

/** The entries of `xml`, or null when one lacks what an entry needs (checksum, location, size). */
export function parseRepomd(xml: string): RepomdEntry[] | null {
  const out: RepomdEntry[] = [];
  for (const m of xml.matchAll(DATA_RE)) {
    const [, type = '', block = ''] = m;
    const checksum = tag(block, 'checksum');
    const open = tag(block, 'open-checksum');
    const href = /<location\b[^>]*?\shref="([^"]+)"/.exec(block)?.[1];
    const size = num(block, 'size');
    if (!checksum || !href || size === undefined) return null;
    out.push({
      type,
      checksumType: checksum[1] ?? '',
      checksum: checksum[2] ?? '',
      href,
      timestamp: num(block, 'timestamp') ?? 0,
      size,
      ...(open ? { openChecksum: { type: open[1] ?? '', value: open[2] ?? '' } } : {}),
      ...(num(block, 'open-size') !== undefined ? { openSize: num(block, 'open-size') } : {}),
    });
  }
  return out;
}

function renderEntry(e: RepomdEntry): string {
  const lines = [`<data type="${e.type}">`, `    <checksum type="${e.checksumType}">${e.checksum}</checksum>`];
  if (e.openChecksum) lines.push(`    <open-checksum type="${e.openChecksum.type}">${e.openChecksum.value}</open-checksum>`);
  lines.push(`    <location href="${e.href}"/>`, `    <timestamp>${e.timestamp}</timestamp>`, `    <size>${e.size}</size>`);
  if (e.openSize !== undefined) lines.push(`    <open-size>${e.openSize}</open-size>`);
  return `${lines.join('\n')}\n  </data>`;
}

/** `xml` with the entries named in `changed` replaced, and `<revision>` set when given. */
export function rewriteRepomd(xml: string, changed: ReadonlyMap<string, RepomdEntry>, revision?: number): string {
  let out = xml.replace(DATA_RE, (whole, type: string) => {
    const e = changed.get(type);
    return e ? renderEntry(e) : whole;
  });
  if (revision !== undefined) out = out.replace(/<revision>[^<]*<\/revision>/, `<revision>${revision}</revision>`);
  return out;
}
