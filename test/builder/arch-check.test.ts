import { describe, expect, it } from 'vitest';
import { describeElf, judgeElf, readElfIdentity } from '../../builder-ami/agent/arch-check.js';

/** The first 20 bytes of an ELF file: ident (class, data), e_type, e_machine at offset 18. */
function elfHead(machine: number, opts: { bits?: 32 | 64; littleEndian?: boolean } = {}): Buffer {
  const head = Buffer.alloc(20);
  head.write('\x7fELF', 0, 'latin1');
  head[4] = opts.bits === 32 ? 1 : 2;
  const le = opts.littleEndian ?? true;
  head[5] = le ? 1 : 2;
  head[6] = 1;
  if (le) head.writeUInt16LE(machine, 18);
  else head.writeUInt16BE(machine, 18);
  return head;
}

describe('ELF machine check', () => {
  it('reads e_machine in the byte order EI_DATA names', () => {
    expect(readElfIdentity(elfHead(22, { littleEndian: false }))).toEqual({ machine: 22, littleEndian: false, bits: 64 });
    expect(readElfIdentity(elfHead(3, { bits: 32 }))).toEqual({ machine: 3, littleEndian: true, bits: 32 });
    expect(readElfIdentity(Buffer.from('#!/bin/sh\necho not an ELF file'))).toBeNull();
    expect(readElfIdentity(elfHead(62).subarray(0, 19))).toBeNull();
  });

  it.each([
    [62, true, 'x86_64', 'ok'],
    [183, true, 'aarch64', 'ok'],
    [21, true, 'ppc64le', 'ok'],
    [22, false, 's390x', 'ok'],
    [3, true, 'i386', 'ok'],
    [62, true, 'aarch64', 'wrong'],
    [183, true, 'x86_64', 'wrong'],
    // Same machine, other byte order: a big-endian ppc64 object is wrong in ppc64le.
    [21, false, 'ppc64le', 'wrong'],
    [62, true, 'i386', 'wrong'],
    // BPF programs are no userspace arch: listed, allowed.
    [247, true, 'x86_64', 'foreign-machine'],
  ] as const)('machine %i (LE %s) in an arch package for %s is %s', (machine, le, arch, verdict) => {
    const elf = readElfIdentity(elfHead(machine, { littleEndian: le }));
    expect(elf).not.toBeNull();
    if (elf) expect(judgeElf(elf, arch === 'i386' ? 'i686' : arch, arch)).toBe(verdict);
  });

  it('allows no userspace binary in a noarch package, whatever the chroot', () => {
    const x86 = readElfIdentity(elfHead(62));
    const bpf = readElfIdentity(elfHead(247));
    expect(x86 && judgeElf(x86, 'noarch', 'x86_64')).toBe('wrong');
    expect(bpf && judgeElf(bpf, 'noarch', 'x86_64')).toBe('foreign-machine');
  });

  it('names objects for the log', () => {
    const ppc = readElfIdentity(elfHead(21));
    const s390 = readElfIdentity(elfHead(22, { littleEndian: false }));
    expect(ppc && describeElf(ppc)).toBe('ELF 64-bit ppc64le');
    expect(s390 && describeElf(s390)).toBe('ELF 64-bit s390');
  });
});
