// What a Fedora buildroot gives rpmbuild that the Debian host's rpm does not: the
// macros from redhat-rpm-config/systemd-rpm-macros that specs rely on, automatic
// -debuginfo/-debugsource subpackages (find-debuginfo from Debian's debugedit), a
// man-page compression step that works (Debian's brp-compress uses `read -d`, which
// /bin/sh = dash rejects, so man pages stayed uncompressed), and Copr's own build
// macros. Only the bwrap sandbox needs this; mock builds in a real Fedora buildroot.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Copr's per-build macros (copr-rpmbuild's mock config defines the same four). */
export interface CoprBuildIdentity {
  buildId: number;
  owner: string;
  project: string;
  /** The instance's configured vendor; null = Copr's default for the owner. */
  vendor: string | null;
}

export function coprBuildMacros(id: CoprBuildIdentity): Record<string, string> {
  return {
    copr_username: id.owner,
    copr_projectname: id.project,
    buildtag: `.copr${id.buildId}`,
    vendor: id.vendor ?? `Unknown Copr - user ${id.owner}`,
  };
}

/** Macros whose Fedora value differs from (or is missing in) Debian's rpm. */
const FEDORA_DIR_MACROS: Readonly<Record<string, string>> = {
  rpmmacrodir: '%{_rpmconfigdir}/macros.d',
  _rpmmacrodir: '%{_rpmconfigdir}/macros.d',
  _sharedstatedir: '/var/lib',
  _docdir: '%{_datadir}/doc',
  _pkgdocdir: '%{_docdir}/%{name}',
  _unitdir: '/usr/lib/systemd/system',
  _userunitdir: '/usr/lib/systemd/user',
  _presetdir: '/usr/lib/systemd/system-preset',
  _tmpfilesdir: '/usr/lib/tmpfiles.d',
  _sysusersdir: '/usr/lib/sysusers.d',
  _udevrulesdir: '/usr/lib/udev/rules.d',
  _modulesloaddir: '/usr/lib/modules-load.d',
  _sysctldir: '/usr/lib/sysctl.d',
  _environmentdir: '/usr/lib/environment.d',
};

const DEBUGINFO_MACROS = [
  '%_enable_debug_packages 1',
  '%_debugsource_packages 1',
  '%_debuginfo_subpackages 1',
  '%_include_minidebuginfo 1',
  '%_include_gdb_index 1',
  '%_build_id_links compat',
  '%install %{?_enable_debug_packages:%{?buildsubdir:%{debug_package}}}\\',
  '%%install\\',
  '%{nil}',
];

/**
 * The macro file body. `%install` is redefined the way redhat-rpm-config does it, so a
 * compiled package gets `%debug_package` injected before its %install section; a
 * package that sets `%global debug_package %{nil}` gets none, and a noarch package (the
 * caller passes debuginfo: false) neither: Debian's rpm 4.18 still reports the build arch
 * to %ifnarch while building a noarch package, so the file cannot decide that itself.
 */
export function fedoraMacroFile(brpCompress: string, options: { debuginfo: boolean }): string {
  const lines = [
    '# Generated per build by the Copr local builder (fedora-macros.ts).',
    ...Object.entries(FEDORA_DIR_MACROS).map(([name, value]) => `%${name} ${value}`),
    ...(options.debuginfo ? DEBUGINFO_MACROS : []),
    `%__brp_compress ${brpCompress} %{?_prefix}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Compresses man and info pages below the buildroot with gzip -9 -n, as Fedora's
 * brp-compress does, in bash (the sandbox has it) and without `read -d`. Already
 * compressed pages are recompressed; symlinks are re-pointed at the .gz names.
 */
export const BRP_COMPRESS_SCRIPT = `#!/bin/bash
# Man/info page compression for the Copr local builder (a dash-safe brp-compress).
set -u
[ -n "\${RPM_BUILD_ROOT:-}" ] && [ "\${RPM_BUILD_ROOT}" != / ] || exit 0
prefix="\${1:-/usr}"
cd "$RPM_BUILD_ROOT" || exit 1
shopt -s nullglob
dirs=(."$prefix"/share/man/man* ."$prefix"/share/man/*/man* ."$prefix"/man/man* ."$prefix"/share/info ."$prefix"/info)
for dir in "\${dirs[@]}"; do
  [ -d "$dir" ] || continue
  while IFS= read -r -d '' page; do
    case "$page" in
      */dir) continue ;;
      *.gz) gzip -d -f "$page"; page="\${page%.gz}" ;;
      *.bz2) bzip2 -d -f "$page"; page="\${page%.bz2}" ;;
      *.xz) xz -d -f "$page"; page="\${page%.xz}" ;;
      *.zst) zstd -q -d -f --rm "$page"; page="\${page%.zst}" ;;
    esac
    gzip -9 -n -f "$page"
  done < <(find "$dir" -type f -print0)
  while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    target="\${target%.gz}"; target="\${target%.bz2}"; target="\${target%.xz}"; target="\${target%.zst}"
    base="\${link%.gz}"; base="\${base%.bz2}"; base="\${base%.xz}"; base="\${base%.zst}"
    rm -f "$link"
    ln -sf "$target.gz" "$base.gz"
  done < <(find "$dir" -type l -print0)
done
exit 0
`;

/** Writes the macro file and the brp script into `dir` (inside the work dir); returns the macro file. */
export async function writeFedoraMacros(dir: string, options: { debuginfo: boolean }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const brp = join(dir, 'brp-compress');
  await writeFile(brp, BRP_COMPRESS_SCRIPT);
  await chmod(brp, 0o755);
  const file = join(dir, 'macros.fedora-like');
  await writeFile(file, fedoraMacroFile(brp, options));
  return file;
}

let defaultMacroPath: string | null = null;

/** rpm's own macro file list on this host (`Macro path:` of `rpm --showrc`). */
function hostMacroPath(): string {
  if (defaultMacroPath === null) {
    const showrc = execFileSync('rpm', ['--showrc'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const line = showrc.split('\n').find((l) => l.startsWith('Macro path:'));
    if (line === undefined) throw new Error('rpm --showrc shows no macro path');
    defaultMacroPath = line.slice('Macro path:'.length).trim();
  }
  return defaultMacroPath;
}

/**
 * The `--macros` value that adds `files` after rpm's own macro files. Not `--load`:
 * rpmbuild --target re-reads its configuration and drops files loaded before, while the
 * --macros list is read again for every target, after the platform's macros (so
 * %__brp_compress here wins over the platform file's).
 */
export function macroPathWith(files: readonly string[]): string {
  return [hostMacroPath(), ...files].join(':');
}
