import { createHash } from 'node:crypto';

/**
 * Many distinct, valid RPMs fast, for the publish benchmark: one package built by
 * rpmbuild is copied with its name replaced by another of the same length, and the
 * signature header's digests (SHA1 and SHA256 of the main header, MD5 of header and
 * payload) are computed again, so `rpm -K` passes and createrepo_c reads a distinct
 * header from each copy. rpmbuild itself needs about 20 ms of CPU per package, and
 * a spec of 10,000 subpackages would take minutes.
 */
const RPMSIGTAG_MD5 = 1004;
const RPMSIGTAG_SHA1 = 269;
const RPMSIGTAG_SHA256 = 273;
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
const LEAD_SIZE = 96;

interface HeaderLayout {
  start: number;
  /** Bytes of the header structure (intro, index, data store). */
  length: number;
  index: Array<{ tag: number; type: number; offset: number; count: number }>;
  store: number;
}

function headerAt(buf: Buffer, start: number): HeaderLayout {
  if (!buf.subarray(start, start + 4).equals(HEADER_MAGIC)) throw new Error(`no RPM header at ${start}`);
  const nindex = buf.readUInt32BE(start + 8);
  const hsize = buf.readUInt32BE(start + 12);
  const index = Array.from({ length: nindex }, (_, i) => {
    const at = start + 16 + i * 16;
    return { tag: buf.readUInt32BE(at), type: buf.readUInt32BE(at + 4), offset: buf.readUInt32BE(at + 8), count: buf.readUInt32BE(at + 12) };
  });
  return { start, length: 16 + nindex * 16 + hsize, index, store: start + 16 + nindex * 16 };
}

export interface RpmTemplate {
  data: Buffer;
  name: string;
  sig: HeaderLayout;
  main: HeaderLayout;
}

export function rpmTemplate(data: Buffer, name: string): RpmTemplate {
  const sig = headerAt(data, LEAD_SIZE);
  const mainStart = LEAD_SIZE + sig.length + ((8 - (sig.length % 8)) % 8);
  return { data, name, sig, main: headerAt(data, mainStart) };
}

/** A copy named `name` (same length as the template's name), digests recomputed. */
export function cloneRpm(t: RpmTemplate, name: string): Buffer {
  if (Buffer.byteLength(name) !== Buffer.byteLength(t.name)) throw new Error(`${name}: must be as long as ${t.name}`);
  const out = Buffer.from(t.data);
  const from = Buffer.from(t.name);
  const to = Buffer.from(name);
  // The name occurs in the main header (NAME, PROVIDENAME) and in the lead.
  for (let at = out.indexOf(from); at !== -1; at = out.indexOf(from, at + from.length)) to.copy(out, at);
  const main = out.subarray(t.main.start, t.main.start + t.main.length);
  const headerAndPayload = out.subarray(t.main.start);
  for (const e of t.sig.index) {
    const at = t.sig.store + e.offset;
    if (e.tag === RPMSIGTAG_SHA1) out.write(createHash('sha1').update(main).digest('hex'), at, 'latin1');
    if (e.tag === RPMSIGTAG_SHA256) out.write(createHash('sha256').update(main).digest('hex'), at, 'latin1');
    if (e.tag === RPMSIGTAG_MD5) createHash('md5').update(headerAndPayload).digest().copy(out, at);
  }
  return out;
}
