/**
 * Reads what an uploaded package says about itself (copr-cli `uploadrpm`), from
 * the bytes alone: no `rpm` binary is needed, so the API function on AWS (no rpm
 * there) checks an upload the same way the local server does. Only the parts the
 * check needs are read: the lead, the signature header (to skip it) and the main
 * header's name, version, release, epoch, arch and whether it is a source package.
 *
 * Layout (rpm's file format v3, as rpm 4 writes it): a 96-byte lead, then two
 * header structures (signature, then main), each `8e ad e8 01`, 4 reserved bytes,
 * the index count and the data size (big endian), the 16-byte index entries and
 * the data; the signature header is padded to a multiple of 8.
 */

/** Reads up to `length` bytes at `offset` (fewer at the end of the file). */
export type ByteReader = (offset: number, length: number) => Promise<Buffer>;

export interface RpmHeaderInfo {
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string;
  /** A source package (`.src.rpm`): the lead says so, or the header has no SOURCERPM. */
  isSource: boolean;
}

/** Why bytes are not a package this service can publish; the API turns it into a form error. */
export class RpmHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpmHeaderError';
  }
}

const LEAD_MAGIC = 0xedabeedb;
const LEAD_SIZE = 96;
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
const HEADER_INTRO = 16;
const ENTRY_SIZE = 16;
// rpm's own sanity limits for one header (hdrchkTags, hdrchkData): larger is a corrupt file.
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, arch: 1022, sourcerpm: 1044, sourcepackage: 1106 } as const;
const TYPE_INT32 = 4;
/** RPM_I18NSTRING_TYPE, the highest data type rpm knows. */
const MAX_TYPE = 9;
const TYPE_STRING = 6;

async function readExactly(read: ByteReader, offset: number, length: number, what: string): Promise<Buffer> {
  const buf = await read(offset, length);
  if (buf.length < length) throw new RpmHeaderError(`the file ends inside the ${what}`);
  return buf;
}

interface HeaderBlock {
  entries: Buffer;
  data: Buffer;
  count: number;
  /** Bytes the block takes in the file (intro, index and data; no padding). */
  size: number;
}

async function readHeaderBlock(read: ByteReader, offset: number, what: string): Promise<HeaderBlock> {
  const intro = await readExactly(read, offset, HEADER_INTRO, what);
  if (!intro.subarray(0, 4).equals(HEADER_MAGIC)) throw new RpmHeaderError(`no ${what} where one belongs`);
  const count = intro.readUInt32BE(8);
  const dataSize = intro.readUInt32BE(12);
  if (count === 0 || count > MAX_ENTRIES || dataSize > MAX_DATA) throw new RpmHeaderError(`the ${what} has impossible sizes`);
  const body = await readExactly(read, offset + HEADER_INTRO, count * ENTRY_SIZE + dataSize, what);
  const entries = body.subarray(0, count * ENTRY_SIZE);
  // Like rpm's own header check: every entry has a known type and its data inside the header.
  for (let at = 0; at < entries.length; at += ENTRY_SIZE) {
    const tag = entries.readUInt32BE(at);
    if (entries.readUInt32BE(at + 4) > MAX_TYPE) throw new RpmHeaderError(`header tag ${tag} has an unknown type`);
    if (entries.readUInt32BE(at + 8) > dataSize) throw new RpmHeaderError(`header tag ${tag} points outside the header`);
  }
  return { entries, data: body.subarray(count * ENTRY_SIZE), count, size: HEADER_INTRO + count * ENTRY_SIZE + dataSize };
}

/** The entry of `tag`, or null; its type and data offset are checked against the block. */
function entryOf(block: HeaderBlock, tag: number): { type: number; offset: number; count: number } | null {
  for (let i = 0; i < block.count; i++) {
    const at = i * ENTRY_SIZE;
    if (block.entries.readUInt32BE(at) !== tag) continue;
    const offset = block.entries.readUInt32BE(at + 8);
    if (offset >= block.data.length) throw new RpmHeaderError(`header tag ${tag} points outside the header`);
    return { type: block.entries.readUInt32BE(at + 4), offset, count: block.entries.readUInt32BE(at + 12) };
  }
  return null;
}

function stringOf(block: HeaderBlock, tag: number): string | null {
  const e = entryOf(block, tag);
  if (e === null) return null;
  if (e.type !== TYPE_STRING) throw new RpmHeaderError(`header tag ${tag} is not a string`);
  const end = block.data.indexOf(0, e.offset);
  if (end < 0) throw new RpmHeaderError(`header tag ${tag} is not terminated`);
  return block.data.toString('utf8', e.offset, end);
}

function requiredString(block: HeaderBlock, tag: number, field: string): string {
  const v = stringOf(block, tag);
  if (v === null || v === '') throw new RpmHeaderError(`the header has no ${field}`);
  return v;
}

function int32Of(block: HeaderBlock, tag: number): number | null {
  const e = entryOf(block, tag);
  if (e === null) return null;
  if (e.type !== TYPE_INT32 || e.count < 1 || e.offset + 4 > block.data.length) throw new RpmHeaderError(`header tag ${tag} is not a number`);
  return block.data.readUInt32BE(e.offset);
}

/** The package's identity from its header; RpmHeaderError when the bytes are not a readable RPM. */
export async function readRpmHeader(read: ByteReader): Promise<RpmHeaderInfo> {
  const lead = await read(0, LEAD_SIZE);
  if (lead.length < 4 || lead.readUInt32BE(0) !== LEAD_MAGIC) throw new RpmHeaderError('not an RPM package (no RPM lead)');
  if (lead.length < LEAD_SIZE) throw new RpmHeaderError('the file ends inside the RPM lead');
  const leadSaysSource = lead.readUInt16BE(6) === 1;
  const sig = await readHeaderBlock(read, LEAD_SIZE, 'signature header');
  const mainAt = LEAD_SIZE + Math.ceil(sig.size / 8) * 8;
  const main = await readHeaderBlock(read, mainAt, 'package header');
  const name = requiredString(main, TAG.name, 'name');
  const version = requiredString(main, TAG.version, 'version');
  const release = requiredString(main, TAG.release, 'release');
  const arch = requiredString(main, TAG.arch, 'architecture');
  // rpm itself tells source packages by the missing SOURCERPM tag (headerIsSource).
  const isSource = leadSaysSource || stringOf(main, TAG.sourcerpm) === null || entryOf(main, TAG.sourcepackage) !== null;
  return { name, version, release, epoch: int32Of(main, TAG.epoch), arch, isSource };
}

/** A reader over bytes already in memory (inline uploads on Lambda). */
export function bufferReader(data: Buffer): ByteReader {
  return async (offset, length) => data.subarray(offset, offset + length);
}

/**
 * Which package arches a chroot's repository takes: its own, noarch, and the
 * family members Fedora publishes under the chroot's arch name (i386 chroots carry
 * i686 packages, armhfp ones armv7hl).
 */
const ARCH_FAMILY: Readonly<Record<string, readonly string[]>> = {
  i386: ['i386', 'i486', 'i586', 'i686'],
  armhfp: ['armv7hl', 'armv7hnl'],
};

export function archFitsChroot(rpmArch: string, chrootArch: string): boolean {
  if (rpmArch === 'noarch' || rpmArch === chrootArch) return true;
  return (ARCH_FAMILY[chrootArch] ?? []).includes(rpmArch);
}
