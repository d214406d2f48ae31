// Walks a "newc" cpio archive (what rpm2cpio writes) without unpacking it: for each
// regular file, its name and its first bytes. Reading by offset keeps memory flat for
// payloads of any size and never creates a file, so nothing in the archive (symlinks,
// absolute names, "..") can point the agent anywhere.
import { open } from 'node:fs/promises';

export interface CpioFileHead {
  /** Path as stored in the archive, e.g. "./usr/bin/hello". */
  name: string;
  size: number;
  /** The first bytes of the file (up to the requested length). */
  head: Buffer;
}

const HEADER_LEN = 110;
const TRAILER = 'TRAILER!!!';
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

const align4 = (n: number): number => (n + 3) & ~3;

/** Every regular file of the archive with its first `headLen` bytes. */
export async function readCpioHeads(path: string, headLen: number): Promise<CpioFileHead[]> {
  const fh = await open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    const files: CpioFileHead[] = [];
    let offset = 0;
    for (;;) {
      if (offset + HEADER_LEN > total) throw new Error('truncated cpio archive');
      const header = Buffer.alloc(HEADER_LEN);
      await fh.read(header, 0, HEADER_LEN, offset);
      const magic = header.toString('ascii', 0, 6);
      if (magic !== '070701' && magic !== '070702') throw new Error(`unsupported cpio format (magic ${JSON.stringify(magic)})`);
      const field = (index: number): number => Number.parseInt(header.toString('ascii', 6 + index * 8, 14 + index * 8), 16);
      const mode = field(1);
      const size = field(6);
      const nameSize = field(11);
      if (!Number.isFinite(size) || !Number.isFinite(nameSize) || nameSize < 1) throw new Error('corrupt cpio header');
      const nameBuf = Buffer.alloc(nameSize);
      await fh.read(nameBuf, 0, nameSize, offset + HEADER_LEN);
      const name = nameBuf.toString('utf8', 0, nameSize - 1);
      const dataStart = align4(offset + HEADER_LEN + nameSize);
      if (name === TRAILER) return files;
      if ((mode & S_IFMT) === S_IFREG && size > 0) {
        const head = Buffer.alloc(Math.min(headLen, size));
        await fh.read(head, 0, head.length, dataStart);
        files.push({ name, size, head });
      }
      offset = align4(dataStart + size);
    }
  } finally {
    await fh.close();
  }
}
