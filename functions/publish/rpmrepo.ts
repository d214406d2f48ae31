import { parseChrootName } from '../core/names.js';
import { MULTILIB_PAIRS, repoSectionId, sanitizeRepoName, type RuntimeDependency } from './repo-file.js';

export interface RpmRepoInput {
  /** `<BACKEND_BASE_URL>/results`. */
  resultsUrl: string;
  frontendHost: string;
  /** The project (its main dir name is the project name). */
  owner: string;
  project: string;
  multilib: boolean;
  moduleHotfixes: boolean;
  /** Enabled chroots; `deleteAfterDays` set for EOL chroots still kept. */
  chroots: readonly { name: string; deleteAfterDays?: number | null }[];
  /** All dirs of the project (`proj`, `proj:pr:1`), with removal countdowns. */
  directories: readonly { name: string; deleteAfterDays?: number | null }[];
  deleteAfterDays?: number | null;
  dependencies?: readonly RuntimeDependency[];
}

type Opts = Record<string, string>;
interface ArchSpec {
  opts: Opts;
  delete_after_days?: number;
  multilib?: Record<string, { opts: Opts }>;
}

export interface RpmRepoJson {
  results_url: string;
  repos: Record<string, { arch: Record<string, ArchSpec> }>;
  directories: Record<string, { delete_after_days?: number }>;
  dependencies: (
    | { type: 'copr'; opts: { id: string; name: string }; data: { owner: string; projectname: string } }
    | { type: 'external_baseurl'; opts: { id: string; name: string }; data: { pattern: string } }
  )[];
  delete_after_days?: number;
}

/**
 * `GET /api_3/rpmrepo/<owner>/<dirname>/<name_release>/` for the dnf5 copr plugin
 * (spec §2.11). Like upstream, it describes every name_release of the project, and
 * the external-dependency numbering continues after the Copr dependencies.
 */
export function renderRpmRepo(input: RpmRepoInput): RpmRepoJson {
  const gen: Opts = input.moduleHotfixes ? { module_hotfixes: '1' } : {};
  const repos: RpmRepoJson['repos'] = {};
  const enabled = new Set(input.chroots.map((c) => c.name));
  for (const c of input.chroots) {
    const p = parseChrootName(c.name);
    const repo = (repos[p.name_release] ??= { arch: {} });
    const spec: ArchSpec = { opts: { ...gen } };
    if (c.deleteAfterDays !== undefined && c.deleteAfterDays !== null) spec.delete_after_days = c.deleteAfterDays;
    const ml = MULTILIB_PAIRS[p.arch];
    if (input.multilib && ml && enabled.has(`${p.name_release}-${ml}`)) {
      spec.multilib = { [ml]: { opts: { cost: '1100', ...gen } } };
    }
    repo.arch[p.arch] = spec;
  }
  const directories: RpmRepoJson['directories'] = {};
  for (const d of input.directories) {
    directories[d.name] = d.deleteAfterDays !== undefined && d.deleteAfterDays !== null ? { delete_after_days: d.deleteAfterDays } : {};
  }
  const host = input.frontendHost.split(':')[0] ?? input.frontendHost;
  const dependencies: RpmRepoJson['dependencies'] = [];
  let idx = 1;
  for (const d of input.dependencies ?? []) {
    if (d.type !== 'copr') continue;
    dependencies.push({
      opts: {
        id: repoSectionId(input.frontendHost, d.owner, d.dirname, { dep: true }),
        name: `Copr ${host}/${input.owner}/${input.project} runtime dependency #${idx} - ${d.owner}/${d.dirname}`,
      },
      type: 'copr',
      data: { owner: d.owner, projectname: d.dirname },
    });
    idx += 1;
  }
  // Upstream does not advance the number between external dependencies: all of them
  // carry the number after the last Copr dependency. Kept, since ids, not names, matter.
  for (const d of input.dependencies ?? []) {
    if (d.type !== 'external') continue;
    const sane = sanitizeRepoName(d.url);
    dependencies.push({
      opts: { id: `coprdep:${sane}`, name: `Copr ${host}/${input.owner}/${input.project} external runtime dependency #${idx} - ${sane}` },
      type: 'external_baseurl',
      data: { pattern: d.url },
    });
  }
  const out: RpmRepoJson = { results_url: input.resultsUrl, repos, directories, dependencies };
  if (input.deleteAfterDays !== undefined && input.deleteAfterDays !== null) out.delete_after_days = input.deleteAfterDays;
  return out;
}
