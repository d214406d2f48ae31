// Never a binary of the wrong architecture in a repository. Two checks around the RPM
// stage: before it, a local (bwrap) builder refuses a chroot of another architecture
// than its own unless the package is noarch (the host's compiler would silently produce
// host binaries under a foreign arch label); after it, every file of every built RPM is
// read and each ELF object's machine compared with the chroot's arch.
//
// Policy, per ELF object found (e_machine at offset 18, byte order from EI_DATA):
// - arch package: an object for another Linux userspace arch (x86_64, i686, aarch64,
//   ppc64le/ppc64, s390x, armv7, riscv64) fails the build. Objects for machines no Fedora
//   userspace runs on (BPF programs, firmware for DSPs/GPUs) are listed but allowed.
// - noarch package: an object for any userspace arch fails the build. rpmbuild itself
//   accepts it, but such a file runs on one arch only while dnf installs the package on
//   every arch; that is exactly the wrong binary the check exists for (Fedora's packaging
//   guidelines also forbid arch-specific binaries in noarch packages). Non-userspace
//   objects (firmware, grub/BPF blobs) are listed but allowed, as Fedora ships them so.
import { endianness } from 'node:os';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readCpioHeads } from './cpio-reader.js';
import { BuildFailedError } from './errors.js';
import { runOrFail } from './run-command.js';
import type { StageContext } from './stage-context.js';

export interface ElfIdentity {
  machine: number;
  littleEndian: boolean;
  bits: 32 | 64;
}

interface ArchSpec {
  machine: number;
  littleEndian: boolean;
}

/** What an ELF object built for each Copr chroot arch looks like. */
const ARCH_ELF: Readonly<Record<string, ArchSpec>> = {
  x86_64: { machine: 62, littleEndian: true },
  i386: { machine: 3, littleEndian: true },
  i686: { machine: 3, littleEndian: true },
  aarch64: { machine: 183, littleEndian: true },
  ppc64le: { machine: 21, littleEndian: true },
  ppc64: { machine: 21, littleEndian: false },
  s390x: { machine: 22, littleEndian: false },
  armhfp: { machine: 40, littleEndian: true },
  armv7hl: { machine: 40, littleEndian: true },
  riscv64: { machine: 243, littleEndian: true },
};

/** e_machine values of the architectures Linux distributions run userspace on. */
const USERSPACE_MACHINES: Readonly<Record<number, string>> = {
  3: 'i386',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  62: 'x86-64',
  183: 'aarch64',
  243: 'riscv',
};

/** Reads the ELF identification from a file's first 20 bytes; null when it is not ELF. */
export function readElfIdentity(head: Buffer): ElfIdentity | null {
  if (head.length < 20 || head[0] !== 0x7f || head.toString('latin1', 1, 4) !== 'ELF') return null;
  const cls = head[4];
  const data = head[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return null;
  const littleEndian = data === 1;
  const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { machine, littleEndian, bits: cls === 1 ? 32 : 64 };
}

export function describeElf(elf: ElfIdentity): string {
  const name = USERSPACE_MACHINES[elf.machine] ?? `machine ${elf.machine}`;
  const suffix = elf.machine === 21 ? (elf.littleEndian ? 'le' : ' big-endian') : '';
  return `ELF ${elf.bits}-bit ${name}${suffix}`;
}

export type ElfVerdict = 'ok' | 'wrong' | 'foreign-machine';

/** How one ELF object in a package of `pkgArch` built for chroot arch `chrootArch` is judged. */
export function judgeElf(elf: ElfIdentity, pkgArch: string, chrootArch: string): ElfVerdict {
  const userspace = elf.machine in USERSPACE_MACHINES;
  if (pkgArch === 'noarch') return userspace ? 'wrong' : 'foreign-machine';
  // The chroot decides, not the package's label: an x86_64-labelled RPM from an aarch64 chroot is wrong too.
  const want = ARCH_ELF[chrootArch];
  if (want === undefined) return 'wrong';
  if (elf.machine === want.machine && elf.littleEndian === want.littleEndian) return 'ok';
  return userspace ? 'wrong' : 'foreign-machine';
}

/** The Copr arch name of the machine the agent runs on. */
export function hostArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    case 'ppc64':
      return endianness() === 'LE' ? 'ppc64le' : 'ppc64';
    case 'ia32':
      return 'i686';
    default:
      return process.arch;
  }
}


export const isNoarchOnly = (buildArchs: readonly string[]): boolean => buildArchs.length > 0 && buildArchs.every((a) => a === 'noarch');

/**
 * Refuses, before anything is built, a chroot whose arch this (bwrap) builder cannot
 * produce honestly: only its own arch, or any arch when every package is noarch.
 */
export function refuseForeignArch(ctx: StageContext, buildArchs: readonly string[], chroot: string, chrootArch: string): void {
  const native = hostArch();
  const target = chrootArch === 'i386' ? 'i686' : chrootArch;
  if (target === native) return;
  if (isNoarchOnly(buildArchs)) {
    ctx.log(`Local builder (${native}) builds noarch package for ${chroot}; no ${chrootArch} binaries are involved\n`);
    return;
  }
  const reason = `local builders build only ${native}; ${chroot} needs an ${chrootArch} builder`;
  ctx.log(`${reason} (no emulator or ${chrootArch} toolchain on this host, and the host's compiler would produce ${native} binaries)\n`);
  throw new BuildFailedError(reason);
}

/**
 * Reads every file of every built binary RPM (unpacked by rpm2cpio inside the sandbox,
 * walked by the agent without extracting) and fails the build on a wrong ELF object.
 */
export async function checkBuiltArchitectures(
  ctx: StageContext,
  rpms: readonly { file: string; arch: string }[],
  chrootArch: string,
): Promise<void> {
  const scratch = join(ctx.workDir, 'arch-check');
  const problems: string[] = [];
  let elfCount = 0;
  for (const [index, rpm] of rpms.entries()) {
    if (rpm.arch === 'src') continue;
    const cpio = join(scratch, `${index}.cpio`);
    const argv = ctx.sandbox.commandArgv({
      argv: ['bash', '-c', 'mkdir -p "$(dirname "$2")" && rpm2cpio "$1" > "$2"', 'arch-check', rpm.file, cpio],
      cwd: ctx.workDir,
      workDir: ctx.workDir,
      enableNet: false,
      chroot: null,
    });
    await runOrFail(argv, { signal: ctx.signal }, `cannot read the payload of ${basename(rpm.file)}`);
    let heads;
    try {
      heads = await readCpioHeads(cpio, 20);
    } catch (err) {
      throw new BuildFailedError(`cannot check ${basename(rpm.file)}: ${(err as Error).message}`);
    } finally {
      await rm(cpio, { force: true });
    }
    for (const file of heads) {
      const elf = readElfIdentity(file.head);
      if (elf === null) continue;
      elfCount += 1;
      const verdict = judgeElf(elf, rpm.arch, chrootArch);
      const path = `/${file.name.replace(/^\.?\//, '')}`;
      const noarchNote = rpm.arch === 'noarch' ? ' in a noarch package' : '';
      if (verdict === 'wrong') problems.push(`${basename(rpm.file)}: ${path} is ${describeElf(elf)}${noarchNote}`);
      if (verdict === 'foreign-machine') ctx.log(`Architecture check: ${basename(rpm.file)}: ${path} is ${describeElf(elf)} (not a userspace arch; allowed)\n`);
    }
  }
  await rm(scratch, { recursive: true, force: true });
  if (problems.length > 0) {
    for (const p of problems) ctx.log(`Architecture check: ${p}\n`);
    const what = problems.length === 1 ? 'a binary' : `${problems.length} binaries`;
    throw new BuildFailedError(`wrong architecture: ${what} not for ${chrootArch} (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''})`);
  }
  ctx.log(`Architecture check passed: ${elfCount} ELF object(s) in ${rpms.filter((r) => r.arch !== 'src').length} package(s) match ${chrootArch}\n`);
}
