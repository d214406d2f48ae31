import { open, stat } from 'node:fs/promises';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';

/**
 * An appendable layout for createrepo's `primary/filelists/other.xml.gz`: one gzip
 * file made of several members (RFC 1952 §2.2; zlib, and so libsolv, dnf and
 * createrepo_c, read concatenated members as one stream):
 *
 *   [header member: `<?xml …?><metadata … packages="N">`] [body members …] [footer member: `</metadata>`]
 *
 * Adding packages writes a new header member (the count changes), copies the old
 * body members byte for byte, and appends one member with the new `<package>`
 * entries: nothing old is decompressed or compressed again. The header member
 * carries the layout in a gzip extra field (subfield `Cs`, which gzip readers skip):
 * its own length, the footer member's length and how many body bytes were appended
 * since the body was last compressed as one member, so a file describes itself and
 * no side file can disagree with it.
 */
const SUBFIELD = Buffer.from('Cs', 'latin1');
const EXTRA_DATA = 12;
const FIXED_HEADER = 10 + 2 + 4 + EXTRA_DATA;

export interface SplicedLayout {
  /** Bytes of the header member (body members start here). */
  headerLength: number;
  /** Bytes of the footer member (body members end this far from the end). */
  footerLength: number;
  /** Body bytes appended as separate members since the body was last compressed whole. */
  appended: number;
  size: number;
  /** The root element's opening text, `packages` included. */
  headerXml: string;
  footerXml: string;
  packages: number;
}

/** `<?xml …?>` and the root element's start tag (with its `packages` count), and the newline after it. */
const HEADER_RE = /^(<\?xml[^>]*\?>\s*<(metadata|filelists|otherdata)\b[^>]*?\bpackages="(\d+)"[^>]*>\n?)/;

/** Splits a whole metadata document into header, body and footer text; null when it has another shape. */
export function splitDocument(xml: string): { header: string; body: string; footer: string; root: string; packages: number } | null {
  const m = HEADER_RE.exec(xml.slice(0, 4096));
  if (!m) return null;
  const [header, , root, count] = m as unknown as [string, string, string, string];
  const end = xml.lastIndexOf(`</${root}>`);
  if (end < header.length) return null;
  return { header, body: xml.slice(header.length, end), footer: xml.slice(end), root, packages: Number(count) };
}

/** The header member: `xml` deflated, with the layout in the extra field. */
export function headerMember(xml: string, layout: { footerLength: number; appended: number }): Buffer {
  const text = Buffer.from(xml, 'utf8');
  const deflated = deflateRawSync(text);
  const length = FIXED_HEADER + deflated.length + 8;
  const head = Buffer.alloc(FIXED_HEADER);
  head.set([0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 255]); // magic, deflate, FEXTRA, no mtime, unknown OS
  head.writeUInt16LE(4 + EXTRA_DATA, 10);
  head.set(SUBFIELD, 12);
  head.writeUInt16LE(EXTRA_DATA, 14);
  head.writeUInt32LE(length, 16);
  head.writeUInt32LE(layout.footerLength, 20);
  head.writeUInt32LE(layout.appended, 24);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(text), 0);
  trailer.writeUInt32LE(text.length % 2 ** 32, 4);
  return Buffer.concat([head, deflated, trailer]);
}

export const member = (text: string): Buffer => gzipSync(Buffer.from(text, 'utf8'));

async function readRange(path: string, start: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The layout of a file written by this module, or null for any other file (such as
 * createrepo_c's single member) or one whose header or footer member does not hold
 * what the layout says.
 */
export async function readLayout(path: string): Promise<SplicedLayout | null> {
  const size = (await stat(path)).size;
  if (size < FIXED_HEADER) return null;
  const head = await readRange(path, 0, FIXED_HEADER);
  if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8 || head[3] !== 0x04) return null;
  if (head.readUInt16LE(10) !== 4 + EXTRA_DATA || !head.subarray(12, 14).equals(SUBFIELD) || head.readUInt16LE(14) !== EXTRA_DATA) return null;
  const headerLength = head.readUInt32LE(16);
  const footerLength = head.readUInt32LE(20);
  const appended = head.readUInt32LE(24);
  if (headerLength > 65_536 || footerLength > 4096 || headerLength + footerLength > size) return null;
  try {
    const headerXml = gunzipSync(await readRange(path, 0, headerLength)).toString('utf8');
    const footerXml = gunzipSync(await readRange(path, size - footerLength, footerLength)).toString('utf8');
    const doc = splitDocument(headerXml + footerXml);
    if (!doc || doc.header !== headerXml || doc.body !== '') return null;
    return { headerLength, footerLength, appended, size, headerXml, footerXml, packages: doc.packages };
  } catch {
    return null;
  }
}

/** `header` with its root element's `packages` count set to `n`. */
export function withCount(header: string, n: number): string {
  return header.replace(/(<(?:metadata|filelists|otherdata)\b[^>]*?\bpackages=")\d+"/, `$1${n}"`);
}
