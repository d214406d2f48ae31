import * as z from 'zod';
import { ZodError } from 'zod';
import { badRequest, fieldError } from './errors.js';
import { isValidChrootName, isValidPackageName } from './names.js';

/**
 * Build sources as clients send them and as the builder reads them (spec §2.4,
 * §2.6, §3.4). One place turns the client's fields (with its aliases: `scm_type`,
 * `source_build_method`, `script_*`) into the stored source dict (Copr's
 * `source_json`) whose keys the SRPM stage expects. Package add/edit and
 * `build/create/{scm,pypi,rubygems,custom,distgit}` both call `normaliseSource`.
 *
 * Values here end up on a builder's command line (git clone, rpkg, make), so paths
 * and refs are checked strictly: no absolute paths, no `..`, nothing that starts
 * with `-` (it would be read as an option).
 */

/** Source types a package can be given (`link`/`upload` only come from builds). */
export const PACKAGE_SOURCE_TYPES = ['scm', 'pypi', 'rubygems', 'custom', 'distgit'] as const;
export type PackageSourceType = (typeof PACKAGE_SOURCE_TYPES)[number];

export function isPackageSourceType(s: string): s is PackageSourceType {
  return (PACKAGE_SOURCE_TYPES as readonly string[]).includes(s);
}

/** Client name → stored name (upstream's rename_fields, applied to every source form). */
export const CLIENT_RENAMES: Readonly<Record<string, string>> = {
  scm_type: 'type',
  source_build_method: 'srpm_build_method',
  script_chroot: 'chroot',
  script_builddeps: 'builddeps',
  script_resultdir: 'resultdir',
  script_repos: 'repos',
  is_background: 'background',
  memory_limit: 'memory_reqs',
  webhook_rebuild: 'auto_rebuild',
};

export interface Renamed {
  fields: Record<string, unknown>;
  /** Stored name → the client name it came in as (to word errors in the client's terms). */
  sentAs: Record<string, string>;
}

/** Applies CLIENT_RENAMES; nulls count as "not sent"; a sent alias beats the stored name. */
export function renameClientFields(input: Record<string, unknown>): Renamed {
  const fields: Record<string, unknown> = {};
  const sentAs: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === null || v === undefined || k in CLIENT_RENAMES) continue;
    fields[k] = v;
  }
  for (const [alias, stored] of Object.entries(CLIENT_RENAMES)) {
    const v = input[alias];
    if (v === null || v === undefined) continue;
    fields[stored] = v;
    sentAs[stored] = alias;
  }
  return { fields, sentAs };
}

// ---- field validators ---------------------------------------------------------------

/** A string field; missing → upstream's "This field is required." */
function requiredString(max: number) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? 'This field is required.' : undefined) })
    .min(1, 'This field is required.')
    .max(max);
}

const NO_CONTROL = /^[^\x00-\x1f\x7f]*$/;

export const zCloneUrl = requiredString(2048).regex(
  /^(https?|git):\/\/[^\s/]+(\/\S*)?$/,
  'Invalid URL (http://, https:// or git://)',
);

/** Relative path inside the checkout: no leading `/` or `-`, no `..` segment. */
const zRelPath = z
  .string()
  .max(1024)
  .regex(/^[\w.+@%~,:=/-]*$/, 'Invalid path')
  .refine((p) => !p.startsWith('/') && !p.startsWith('-'), 'Path must be relative')
  .refine((p) => !p.split('/').includes('..'), "Path must not contain '..'");

/** A git/svn revision: branch, tag, hash, `HEAD~1`; never an option. */
const zCommittish = z
  .string()
  .max(255)
  .regex(/^[^\s\\]*$/, 'Invalid committish')
  .regex(NO_CONTROL, 'Invalid committish')
  .refine((c) => !c.startsWith('-'), 'Invalid committish');

const zRepoUrl = z.string().max(2048).regex(/^(https?|copr):\/\/\S+$/, 'Invalid URL (http://, https:// or copr://)');

/** A list, or one whitespace-separated string (both forms come from the clients). */
function spaceList(item: z.ZodString, maxItems = 100) {
  return z
    .union([z.array(z.string()).max(maxItems), z.string().max(16_384).transform((s) => s.split(/\s+/).filter(Boolean))])
    .pipe(z.array(item).max(maxItems));
}

// ---- per-type schemas (stored key names) ---------------------------------------------

export const ScmSource = z.object({
  clone_url: zCloneUrl,
  committish: zCommittish.default(''),
  subdirectory: zRelPath.default(''),
  spec: zRelPath.refine((s) => s === '' || s.endsWith('.spec'), "Spec must end with '.spec'").default(''),
  type: z.enum(['git', 'svn']).default('git'),
  srpm_build_method: z.enum(['rpkg', 'tito', 'tito_test', 'make_srpm']).default('rpkg'),
});

const PEP508_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export const PypiSource = z.object({
  pypi_package_name: requiredString(200).regex(PEP508_NAME, 'Invalid PyPI package name'),
  pypi_package_version: z
    .string()
    .max(100)
    .regex(/^([A-Za-z0-9][A-Za-z0-9._+!-]*)?$/, 'Invalid version')
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .default(null),
  spec_generator: z.enum(['pyp2spec', 'pyp2rpm']).default('pyp2spec'),
  spec_template: z.enum(['', 'fedora', 'epel7', 'mageia', 'pld']).default(''),
  python_versions: z
    .union([
      z.array(z.union([z.enum(['3', '2']), z.literal(3), z.literal(2)])).max(2),
      z.string().max(10).transform((s) => s.split(/\s+/).filter(Boolean)).pipe(z.array(z.enum(['3', '2']))),
    ])
    .transform((l) => [...new Set(l.map(String))])
    .transform((l) => (l.length === 0 ? ['3'] : l))
    .default(['3']),
});

export const RubygemsSource = z.object({
  gem_name: requiredString(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Invalid gem name'),
});

export const MAX_SCRIPT_CHARS = 4096;
export const DEFAULT_CUSTOM_CHROOT = 'fedora-latest-x86_64';

export const CustomSource = z.object({
  script: requiredString(MAX_SCRIPT_CHARS)
    .transform((s) => s.replace(/\r\n/g, '\n'))
    // The builder runs the script as a file; upstream makes sure it ends with a newline.
    .transform((s) => (s.endsWith('\n') ? s : `${s}\n`)),
  chroot: z
    .string()
    .max(100)
    .refine(isValidChrootName, 'Invalid chroot name')
    .default(DEFAULT_CUSTOM_CHROOT),
  builddeps: spaceList(z.string().max(255).regex(/^[A-Za-z0-9_+.()<>=:/-]+$/, 'Invalid package name'))
    .transform((l) => l.join(' '))
    .default(''),
  resultdir: zRelPath.default(''),
  repos: spaceList(zRepoUrl).transform((l) => l.join(' ')).default(''),
});

export const DistgitSource = z.object({
  distgit: z.string().max(100).regex(/^[\w.-]+$/, 'Invalid DistGit instance name').optional(),
  namespace: z
    .string()
    .max(255)
    .regex(/^([\w.-]+(\/[\w.-]+)*)?$/, 'Invalid namespace')
    .refine((n) => !n.split('/').some((s) => s === '.' || s === '..'), 'Invalid namespace')
    .optional(),
  committish: zCommittish.optional(),
});

// ---- DistGit instances ---------------------------------------------------------------

export const DistgitInstanceSchema = z.object({
  name: z.string().max(100).regex(/^[\w.-]+$/),
  /** Highest wins as the default instance. */
  priority: z.number().int(),
  clone_url: z.string().url(),
  /** Path under clone_url; `{pkgname}` and (when namespaces are supported) `{namespace}`. */
  package_uri: z.string().min(1),
  namespaced_package_uri: z.string().min(1).nullable().default(null),
});

export type DistgitInstance = z.infer<typeof DistgitInstanceSchema>;

/** The instances upstream Copr offers; forks live under a namespace such as `forks/jdoe`. */
export const DISTGIT_INSTANCES: readonly DistgitInstance[] = [
  {
    name: 'fedora',
    priority: 100,
    clone_url: 'https://src.fedoraproject.org',
    package_uri: 'rpms/{pkgname}',
    namespaced_package_uri: '{namespace}/rpms/{pkgname}',
  },
  {
    name: 'centos',
    priority: 50,
    clone_url: 'https://git.centos.org',
    package_uri: 'rpms/{pkgname}',
    namespaced_package_uri: '{namespace}/rpms/{pkgname}',
  },
  {
    name: 'centos-stream',
    priority: 40,
    clone_url: 'https://gitlab.com/redhat/centos-stream',
    package_uri: 'rpms/{pkgname}',
    namespaced_package_uri: null,
  },
];

/**
 * The instances a deployment offers: upstream's, with `extra` (the DISTGIT_INSTANCES setting)
 * replacing one of the same name or added, as an admin adds a DistGit instance upstream.
 */
export function distgitInstancesWith(extra: readonly DistgitInstance[]): DistgitInstance[] {
  const names = new Set(extra.map((i) => i.name));
  return [...DISTGIT_INSTANCES.filter((i) => !names.has(i.name)), ...extra];
}

export function defaultDistgitInstance(instances: readonly DistgitInstance[] = DISTGIT_INSTANCES): DistgitInstance {
  const [first] = [...instances].sort((a, b) => b.priority - a.priority);
  if (!first) throw new Error('no DistGit instance is configured');
  return first;
}

export function distgitCloneUrl(
  instanceName: string | undefined,
  pkgname: string,
  namespace?: string,
  instances: readonly DistgitInstance[] = DISTGIT_INSTANCES,
): string {
  const inst = instanceName === undefined ? defaultDistgitInstance(instances) : instances.find((i) => i.name === instanceName);
  if (!inst) throw fieldError('distgit', `DistGit instance '${instanceName}' does not exist`);
  if (!isValidPackageName(pkgname)) throw fieldError('package_name', `Invalid package name '${pkgname}'`);
  let uri = inst.package_uri;
  if (namespace) {
    if (!inst.namespaced_package_uri) throw fieldError('namespace', `DistGit instance '${inst.name}' does not support namespaces`);
    uri = inst.namespaced_package_uri.replace('{namespace}', namespace);
  }
  return `${inst.clone_url}/${uri.replace('{pkgname}', pkgname)}`;
}

// ---- normalisation ---------------------------------------------------------------------

export interface SourceOptions {
  /** DistGit: the package whose repository is cloned (package add/edit: the package name). */
  packageName?: string;
  /** Custom: the chroots a script may run in; `fedora-latest-<arch>` is always allowed. */
  activeChroots?: readonly string[];
  /** DistGit: the instances offered (default: upstream's). */
  distgitInstances?: readonly DistgitInstance[];
}

function remapPaths(err: ZodError, sentAs: Record<string, string>): ZodError {
  return new ZodError(
    err.issues.map((i) => {
      const [head, ...rest] = i.path;
      const alias = typeof head === 'string' ? sentAs[head] : undefined;
      return alias ? { ...i, path: [alias, ...rest] } : i;
    }),
  );
}

function parseIn<S extends z.ZodType>(schema: S, r: Renamed): z.infer<S> {
  const res = schema.safeParse(r.fields);
  if (!res.success) throw remapPaths(res.error, r.sentAs);
  return res.data;
}

/**
 * Validates the client's source fields for `type` and returns the stored source
 * dict. Unknown keys are ignored (build options and package settings travel in the
 * same body). Throws a ZodError (→ 400 `<field>: <message>` lines) or a CoprError.
 */
export function normaliseSource(
  type: PackageSourceType,
  input: Record<string, unknown>,
  opts: SourceOptions = {},
): Record<string, unknown> {
  const r = renameClientFields(input);
  switch (type) {
    case 'scm': {
      const s = parseIn(ScmSource, r);
      // Key order as upstream stores it (the builder does not care; humans reading JSON do).
      return {
        type: s.type,
        clone_url: s.clone_url,
        committish: s.committish,
        subdirectory: s.subdirectory,
        spec: s.spec,
        srpm_build_method: s.srpm_build_method,
      };
    }
    case 'pypi':
      return { ...parseIn(PypiSource, r) };
    case 'rubygems':
      return { ...parseIn(RubygemsSource, r) };
    case 'custom': {
      const s = parseIn(CustomSource, r);
      if (opts.activeChroots && !/^fedora-latest-[a-z0-9_]+$/.test(s.chroot) && !opts.activeChroots.includes(s.chroot)) {
        const field = r.sentAs.chroot ?? 'chroot';
        throw badRequest(`${field}: Not a valid choice: ${s.chroot}`);
      }
      return { ...s };
    }
    case 'distgit': {
      const s = parseIn(DistgitSource, r);
      const pkg = opts.packageName ?? (typeof r.fields.package_name === 'string' ? r.fields.package_name : '');
      if (pkg === '') throw fieldError('package_name', 'This field is required.');
      const instances = opts.distgitInstances ?? DISTGIT_INSTANCES;
      const out: Record<string, unknown> = { clone_url: distgitCloneUrl(s.distgit, pkg, s.namespace || undefined, instances) };
      // The instance is always named (upstream stores its default, `fedora`); the other
      // optional keys are stored only when set (the builder falls back to defaults).
      out.distgit = s.distgit ?? defaultDistgitInstance(instances).name;
      if (s.namespace) out.namespace = s.namespace;
      if (s.committish) out.committish = s.committish;
      return out;
    }
  }
}

/**
 * An edit's input laid over the stored dict: fields not sent (absent or null) keep
 * their stored value. Stored dicts use stored names, and a sent alias beats the
 * stored name in `renameClientFields`, so a plain overlay is enough.
 */
export function mergeStoredSource(stored: Record<string, unknown>, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(input)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
