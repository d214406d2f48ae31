// Which lookaside cache serves a dist-git repository's `sources` file. Modelled on upstream's
// dist-git-client configuration (one section per DistGit instance, matched by the clone URL's
// host and path prefix), so an instance's settings carry over as they are written there.
import * as z from 'zod';

/** The placeholders a URI pattern may use (dist-git-client's names). */
const PLACEHOLDER = /\{(name|filename|hashtype|hash|refspec|namespace\[\d+\])\}/g;

export const LookasideInstanceSchema = z.object({
  /** The instance's id, for log lines. */
  name: z.string().min(1),
  /** Clone URL hosts this instance serves; a path or file:// URL counts as `localhost`. */
  clone_hostnames: z.array(z.string().min(1)).min(1),
  /** When set, the clone URL's path must start with one of these (several instances on one host). */
  path_prefixes: z.array(z.string().startsWith('/')).optional(),
  /** Base URL of the cache, no trailing slash needed. */
  lookaside_location: z.string().url(),
  /** Path under the base: {name}, {filename}, {hashtype}, {hash}, {refspec}, {namespace[N]}. */
  lookaside_uri_pattern: z
    .string()
    .min(1)
    .refine((p) => p.replace(PLACEHOLDER, '').indexOf('{') === -1, 'unknown placeholder in lookaside_uri_pattern'),
  /** The sources file, relative to the repository; {name} is the spec's base name. */
  sources_file: z.string().min(1).default('sources'),
  /** Directory of the spec and of the sources, relative to the repository (CentOS: SPECS, SOURCES). */
  specs: z.string().min(1).default('.'),
  sources: z.string().min(1).default('.'),
  /** Hash type of old two-column lines (`<hash>  <file>`). */
  default_sum: z.string().min(1).default('md5'),
});

export type LookasideInstance = z.infer<typeof LookasideInstanceSchema>;

export const LookasideInstancesSchema = z.array(LookasideInstanceSchema);

/**
 * The DistGit instances the service offers (functions/core/sources.ts), with the lookaside
 * layouts their caches use. Operators replace the list with COPR_DISTGIT_LOOKASIDE (JSON).
 */
export const DEFAULT_LOOKASIDE_INSTANCES: readonly LookasideInstance[] = LookasideInstancesSchema.parse([
  {
    name: 'fedora',
    clone_hostnames: ['src.fedoraproject.org', 'pkgs.fedoraproject.org'],
    lookaside_location: 'https://src.fedoraproject.org',
    lookaside_uri_pattern: 'repo/pkgs/rpms/{name}/{filename}/{hashtype}/{hash}/{filename}',
  },
  {
    name: 'centos-stream',
    clone_hostnames: ['gitlab.com'],
    path_prefixes: ['/redhat/centos-stream/rpms'],
    lookaside_location: 'https://sources.stream.centos.org',
    lookaside_uri_pattern: 'sources/rpms/{name}/{filename}/{hashtype}/{hash}/{filename}',
  },
  {
    name: 'centos',
    clone_hostnames: ['git.centos.org'],
    lookaside_location: 'https://git.centos.org',
    lookaside_uri_pattern: 'sources/{name}/{refspec}/{hash}',
    sources_file: '.{name}.metadata',
    specs: 'SPECS',
    sources: 'SOURCES',
    default_sum: 'sha1',
  },
]);

/** The clone URL's host as dist-git-client reads it; paths and file:// are `localhost`. */
function hostAndPath(cloneUrl: string): { host: string; path: string } {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(cloneUrl);
  if (scheme) {
    try {
      const u = new URL(cloneUrl);
      return { host: u.hostname === '' ? 'localhost' : u.hostname, path: decodeURIComponent(u.pathname) };
    } catch {
      return { host: 'localhost', path: cloneUrl };
    }
  }
  // scp-like ssh: [user@]host:path
  const scp = /^(?:[^@/]+@)?([^/:]+):(.*)$/.exec(cloneUrl);
  if (scp?.[1] && scp[2] !== undefined) return { host: scp[1], path: scp[2].startsWith('/') ? scp[2] : `/${scp[2]}` };
  return { host: 'localhost', path: cloneUrl };
}

/** The instance serving `cloneUrl`: the host must match; among its instances the longest path prefix wins. */
export function matchLookaside(instances: readonly LookasideInstance[], cloneUrl: string): LookasideInstance | null {
  const { host, path } = hostAndPath(cloneUrl);
  let best: { inst: LookasideInstance; len: number } | null = null;
  for (const inst of instances) {
    if (!inst.clone_hostnames.includes(host)) continue;
    const prefixes = inst.path_prefixes;
    // An instance without prefixes is the host's default (length 0).
    const len = prefixes === undefined ? 0 : Math.max(-1, ...prefixes.filter((p) => path.startsWith(p)).map((p) => p.length));
    if (len < 0) continue;
    if (!best || len > best.len) best = { inst, len };
  }
  return best?.inst ?? null;
}

/** The repository's name and namespace (last path part first) from its clone URL. */
export function repoNameParts(cloneUrl: string): { name: string; namespace: string[] } {
  const parts = hostAndPath(cloneUrl).path.split('/').filter((p) => p.length > 0);
  const last = parts.pop() ?? '';
  return { name: last.replace(/\.git$/, ''), namespace: parts.reverse() };
}

export interface LookasideVars {
  name: string;
  filename: string;
  hashtype: string;
  hash: string;
  refspec: string;
  namespace: string[];
}

/** `<lookaside_location>/<pattern with the values filled in>`; each value is URL-encoded. */
export function lookasideUrl(inst: LookasideInstance, vars: LookasideVars): string {
  const path = inst.lookaside_uri_pattern.replace(PLACEHOLDER, (_m, key: string) => {
    const ns = /^namespace\[(\d+)\]$/.exec(key);
    const value = ns ? (vars.namespace[Number(ns[1])] ?? '') : vars[key as Exclude<keyof LookasideVars, 'namespace'>];
    return encodeURIComponent(value);
  });
  return `${inst.lookaside_location.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
