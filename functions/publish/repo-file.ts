import { parseChrootName } from '../core/names.js';

/** The repository being described (a project dir: `proj` or `proj:pr:1`). */
export interface RepoTarget {
  owner: string;
  dirname: string;
  /** `<BACKEND_BASE_URL>/results/<owner>/<dirname>`, no trailing slash. */
  repoUrl: string;
  moduleHotfixes?: boolean;
  repoPriority?: number | null;
}

/** A runtime dependency, already resolved by the caller (transitively, like upstream). */
export type RuntimeDependency =
  | ({ type: 'copr' } & RepoTarget)
  /** Any other URL; `$chroot`/`$distname` are expanded, `?priority=` is dropped. */
  | { type: 'external'; url: string }
  /** `copr://owner/project` that does not exist: rendered as a comment. */
  | { type: 'missing'; fullName: string };

export interface RepoFileInput {
  /** PUBLIC_COPR_HOSTNAME; a `:port` suffix is dropped from section ids. */
  frontendHost: string;
  target: RepoTarget;
  /** The mock chroot picked for the request (see pickChroot), e.g. `fedora-41-x86_64`. */
  chroot: string;
  /** `?arch=` of the request; with `multilib` it adds the `:ml` section. */
  arch?: string;
  /** Project is multilib and this chroot has an enabled multilib counterpart. */
  multilib?: boolean;
  dependencies?: readonly RuntimeDependency[];
  /** `gpgcheck` (upstream config REPO_GPGCHECK, default 1). */
  gpgcheck?: 0 | 1;
  /** `repo_gpgcheck`; upstream renders 0. We sign repomd.xml, so callers may pass 1. */
  repoGpgcheck?: 0 | 1;
}

/** x86_64 ↔ i386 (spec §3.5). */
export const MULTILIB_PAIRS: Readonly<Record<string, string>> = { x86_64: 'i386' };

const RELEASEVER_DISTROS = new Set(['fedora', 'centos-stream', 'opensuse-leap']);

function host(frontendHost: string): string {
  return frontendHost.split(':')[0] ?? frontendHost;
}

/** `copr:<host>:<owner, @→group_>:<dirname>` (`coprdep:` for dependencies, `:ml` for multilib). */
export function repoSectionId(frontendHost: string, owner: string, dirname: string, opts: { dep?: boolean; multilib?: boolean } = {}): string {
  return `${opts.dep ? 'coprdep' : 'copr'}:${host(frontendHost)}:${owner.replace('@', 'group_')}:${dirname}${opts.multilib ? ':ml' : ''}`;
}

/** `<repoUrl>/<os_release>-<ver>-<arch or $basearch>/`, `$releasever` where dnf knows it. */
export function chrootRepoUrl(repoUrl: string, chroot: string, arch?: string): string {
  const c = parseChrootName(chroot);
  const releasever =
    RELEASEVER_DISTROS.has(c.os_release) || (c.os_release === 'mageia' && c.os_version !== 'cauldron');
  const ver = releasever ? '$releasever' : c.os_version;
  return `${repoUrl.replace(/\/+$/, '')}/${c.os_release}-${ver}-${arch ?? '$basearch'}/`;
}

/** Upstream's repo-name sanitizer: non-alphanumerics → `_`, runs collapsed, trimmed. */
export function sanitizeRepoName(url: string): string {
  return url.replace(/[^a-zA-Z0-9]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
}

/** Expands an external repo URL for a chroot (`$chroot`, `$distname`; `priority` query dropped). */
export function expandExternalUrl(url: string, chroot: string): string {
  let out = url;
  const q = url.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(url.slice(q + 1));
    if (params.has('priority')) {
      params.delete('priority');
      const rest = params.toString();
      out = url.slice(0, q) + (rest ? `?${rest}` : '');
    }
  }
  const distname = chroot.split('-').slice(0, -2).join('-');
  return out.replaceAll('$chroot', chroot).replaceAll('$distname', distname);
}

function coprSection(
  id: string,
  name: string,
  t: RepoTarget,
  baseurl: string,
  gpgcheck: number,
  repoGpgcheck: number,
  cost?: number,
): string {
  const lines = [
    `[${id}]`,
    `name=${name}`,
    `baseurl=${baseurl}`,
    'type=rpm-md',
    'skip_if_unavailable=True',
    `gpgcheck=${gpgcheck}`,
    `gpgkey=${t.repoUrl.replace(/\/+$/, '')}/pubkey.gpg`,
    `repo_gpgcheck=${repoGpgcheck}`,
  ];
  if (cost !== undefined) lines.push(`cost=${cost}`);
  lines.push('enabled=1', 'enabled_metadata=1');
  if (t.moduleHotfixes) lines.push('module_hotfixes=1');
  if (t.repoPriority !== undefined && t.repoPriority !== null) lines.push(`priority=${t.repoPriority}`);
  return `${lines.join('\n')}\n`;
}

/** The `.repo` file served at `/coprs/<owner>/<dirname>/repo/<name_release>/` (spec §4.10). */
export function renderRepoFile(input: RepoFileInput): string {
  const { target: t, chroot } = input;
  const gpg = input.gpgcheck ?? 1;
  const repoGpg = input.repoGpgcheck ?? 0;
  const sections: string[] = [];
  const mainName = `Copr repo for ${t.dirname} owned by ${t.owner}`;
  sections.push(
    coprSection(repoSectionId(input.frontendHost, t.owner, t.dirname), mainName, t, chrootRepoUrl(t.repoUrl, chroot), gpg, repoGpg),
  );

  const mlArch = MULTILIB_PAIRS[parseChrootName(chroot).arch];
  if (input.arch && input.multilib && mlArch) {
    sections.push(
      coprSection(
        repoSectionId(input.frontendHost, t.owner, t.dirname, { multilib: true }),
        `${mainName} (${mlArch})`,
        t,
        chrootRepoUrl(t.repoUrl, chroot, mlArch),
        gpg,
        repoGpg,
        1100,
      ),
    );
  }

  const deps = input.dependencies ?? [];
  const h = host(input.frontendHost);
  deps
    .filter((d) => d.type === 'copr')
    .forEach((d, i) => {
      const name = `Copr ${h}/${t.owner}/${t.dirname} runtime dependency #${i + 1} - ${d.owner}/${d.dirname}`;
      const id = repoSectionId(input.frontendHost, d.owner, d.dirname, { dep: true });
      sections.push(coprSection(id, name, d, chrootRepoUrl(d.repoUrl, chroot), gpg, repoGpg));
    });
  deps
    .filter((d) => d.type === 'external')
    .forEach((d, i) => {
      const sane = sanitizeRepoName(d.url);
      sections.push(
        [
          `[coprdep:${sane}]`,
          `name=Copr ${h}/${t.owner}/${t.dirname} external runtime dependency #${i + 1} - ${sane}`,
          `baseurl=${expandExternalUrl(d.url, chroot)}`,
          'type=rpm-md',
          'skip_if_unavailable=True',
          'repo_gpgcheck=0',
          'gpgcheck=0',
          'enabled=1',
          'enabled_metadata=1',
          '',
        ].join('\n'),
      );
    });
  let body = sections.join('\n');
  for (const d of deps) {
    if (d.type === 'missing') {
      body += `\n# This repository is configured to have a runtime dependency on a Copr project ${d.fullName} but that doesn't exist.\n`;
    }
  }
  return body;
}

/**
 * Picks the chroot for `name_release` (and `?arch=`) among the project's enabled
 * chroots, in the caller's order; like upstream, a prefix match and the last match
 * wins. An alias applies only when no chroot starts with the requested name.
 */
export function pickChroot(
  nameRelease: string,
  projectChroots: readonly string[],
  opts: { arch?: string; aliases?: Readonly<Record<string, string>> } = {},
): string | undefined {
  let nr = nameRelease;
  if (!projectChroots.some((c) => c.startsWith(nr))) nr = opts.aliases?.[nr] ?? nr;
  const searched = opts.arch ? `${nr}-${opts.arch}` : nr;
  let picked: string | undefined;
  for (const c of projectChroots) if (c.startsWith(searched)) picked = c;
  return picked;
}

/** HTTP response pieces for a served `.repo` file. */
export function repoFileHeaders(owner: string, dirname: string): Record<string, string> {
  return { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `filename=${owner}-${dirname}.repo` };
}

/**
 * The 404 for an unknown name_release. dnf's copr plugin decodes `Copr-Error-Data`
 * (base64 JSON) to print the available chroots.
 */
export function repoFileNotFound(
  searched: string,
  projectFullName: string,
  enabledChroots: readonly string[],
): { status: 404; headers: Record<string, string>; body: string } {
  let body = `Chroot ${searched} does not exist in ${projectFullName}.\n`;
  if (enabledChroots.length === 0) body += `There are no enabled chroots in ${projectFullName}.`;
  else body += `Available chroots:\n${enabledChroots.map((c) => `${c}\n`).join('')}`;
  // Byte-for-byte what upstream's json.dumps produces (`", "` and `": "` separators).
  const json = `{"available chroots": [${enabledChroots.map((c) => JSON.stringify(c)).join(', ')}]}`;
  const data = Buffer.from(json, 'utf8').toString('base64');
  return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Copr-Error-Data': data }, body };
}
