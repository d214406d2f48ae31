import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckedSubmission } from '../../functions/core/build-check.js';
import { isCoprError } from '../../functions/core/errors.js';
import { archFitsChroot, bufferReader, readRpmHeader, type ByteReader } from '../../functions/core/rpm-header.js';
import { checkUploadedRpm, rpmUploadChroots } from '../../functions/core/rpm-upload.js';
import { makeHelloRpm, makeHelloSrpm } from '../support/hello-srpm.js';

/**
 * The header check behind `copr-cli uploadrpm`, on packages rpmbuild made here: what
 * it reads, what it refuses, and which chroots a package may go to.
 */
let work: string;
let noarch: Buffer;
let aarch64: Buffer;
let srpm: Buffer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-header-'));
  noarch = await readFile(await makeHelloRpm(work, 'hdr-tool', { version: '2.5', epoch: 3 }));
  aarch64 = await readFile(await makeHelloRpm(work, 'hdr-arm', { buildArch: 'aarch64' }));
  srpm = await readFile(await makeHelloSrpm(work, 'hdr-src'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The message of what `fn` throws. */
async function refusal(fn: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'nothing thrown';
}

describe('readRpmHeader', () => {
  it('reads name, version, release, epoch and arch, as rpm -qp does', async () => {
    expect(await readRpmHeader(bufferReader(noarch))).toEqual({ name: 'hdr-tool', version: '2.5', release: '1', epoch: 3, arch: 'noarch', isSource: false });
    expect(await readRpmHeader(bufferReader(aarch64))).toMatchObject({ name: 'hdr-arm', epoch: null, arch: 'aarch64', isSource: false });
    expect(await readRpmHeader(bufferReader(srpm))).toMatchObject({ name: 'hdr-src', isSource: true });
  });

  it('reads the headers only, never the payload', async () => {
    const reads: Array<[number, number]> = [];
    const inner = bufferReader(noarch);
    const counting: ByteReader = (offset, length) => {
      reads.push([offset, length]);
      return inner(offset, length);
    };
    await readRpmHeader(counting);
    const end = Math.max(...reads.map(([o, l]) => o + l));
    // The payload (the cpio archive after the main header) is never asked for.
    expect(end).toBeLessThan(noarch.length);
    expect(reads.length).toBe(5);
  });

  it('refuses cut, foreign and corrupted files with the reason', async () => {
    expect(await refusal(() => readRpmHeader(bufferReader(Buffer.from('%PDF-1.7 not a package'))))).toBe('not an RPM package (no RPM lead)');
    expect(await refusal(() => readRpmHeader(bufferReader(noarch.subarray(0, 50))))).toBe('the file ends inside the RPM lead');
    const sigEnd = 96 + 16 + noarch.readUInt32BE(104) * 16 + noarch.readUInt32BE(108);
    const mainAt = 96 + Math.ceil((sigEnd - 96) / 8) * 8;
    expect(await refusal(() => readRpmHeader(bufferReader(noarch.subarray(0, mainAt + 40))))).toBe('the file ends inside the package header');
    const noMagic = Buffer.from(noarch);
    noMagic.writeUInt32BE(0, mainAt);
    expect(await refusal(() => readRpmHeader(bufferReader(noMagic)))).toBe('no package header where one belongs');
    const badType = Buffer.from(noarch);
    badType.writeUInt32BE(77, mainAt + 16 + 4);
    expect(await refusal(() => readRpmHeader(bufferReader(badType)))).toMatch(/^header tag \d+ has an unknown type$/);
    const huge = Buffer.from(noarch);
    huge.writeUInt32BE(0x10000000, mainAt + 12);
    expect(await refusal(() => readRpmHeader(bufferReader(huge)))).toBe('the package header has impossible sizes');
  });
});

describe('which chroots an uploaded package may go to', () => {
  const checked = (chroots: string[] | null): Pick<CheckedSubmission, 'chroots' | 'usable'> => ({
    chroots,
    usable: ['fedora-44-aarch64', 'fedora-44-x86_64', 'fedora-44-i386'],
  });
  const rpm = (arch: string) => ({ filename: `p-1-1.${arch}.rpm`, header: { name: 'p', version: '1', release: '1', epoch: null, arch, isSource: false } });

  it('arch families as Fedora publishes them', () => {
    expect(archFitsChroot('noarch', 's390x')).toBe(true);
    expect(archFitsChroot('x86_64', 'x86_64')).toBe(true);
    expect(archFitsChroot('i686', 'i386')).toBe(true);
    expect(archFitsChroot('armv7hl', 'armhfp')).toBe(true);
    expect(archFitsChroot('i686', 'x86_64')).toBe(false);
    expect(archFitsChroot('aarch64', 'x86_64')).toBe(false);
  });

  it('chroots asked for must all take the arch; without a choice, those of its arch', () => {
    expect(rpmUploadChroots(checked(null), rpm('noarch'))).toEqual(['fedora-44-aarch64', 'fedora-44-x86_64', 'fedora-44-i386']);
    expect(rpmUploadChroots(checked(null), rpm('i686'))).toEqual(['fedora-44-i386']);
    expect(rpmUploadChroots(checked(['fedora-44-x86_64']), rpm('x86_64'))).toEqual(['fedora-44-x86_64']);
    let err: unknown = null;
    try {
      rpmUploadChroots(checked(['fedora-44-x86_64', 'fedora-44-aarch64']), rpm('x86_64'));
    } catch (e) {
      err = e;
    }
    expect(isCoprError(err) && err.message).toBe('pkgs: p-1-1.x86_64.rpm is built for x86_64, which does not fit chroot fedora-44-aarch64.');
    expect(() => rpmUploadChroots(checked(null), rpm('ppc64le'))).toThrow(/fits none of the project's chroots/);
  });

  it('refuses source packages and names Copr would refuse', () => {
    expect(() => checkUploadedRpm({ ...rpm('noarch'), header: { ...rpm('noarch').header, isSource: true } })).toThrow(/is a source RPM/);
    expect(() => checkUploadedRpm({ ...rpm('noarch'), header: { ...rpm('noarch').header, name: 'x'.repeat(101) } })).toThrow(/Invalid package name/);
    expect(() => checkUploadedRpm(rpm('noarch'))).not.toThrow();
  });
});
