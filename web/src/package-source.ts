import type { Package } from './types.js';

/**
 * What the package add/edit forms show for each source type, and how their values
 * become the body of `POST /api_3/package/{add,edit}/...` (spec §2.6). Fields are keyed
 * by the names the API takes from clients (`scm_type`, `script_chroot`, ...) so that a
 * server error line `<field>: <message>` points at the input it is about. `stored` is
 * the key the same value has in the package's `source_dict`, when it differs.
 */
export const SOURCE_TYPES = ['scm', 'pypi', 'rubygems', 'custom', 'distgit'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Source types a new package can be created with from the dashboard. */
export const NEW_PACKAGE_TYPES: readonly SourceType[] = ['scm', 'pypi', 'rubygems', 'custom'];

export const SOURCE_LABELS: Record<SourceType, string> = {
  scm: 'SCM',
  pypi: 'PyPI',
  rubygems: 'RubyGems',
  custom: 'Custom script',
  distgit: 'DistGit',
};

export interface SourceField {
  key: string;
  label: string;
  stored?: string;
  required?: boolean;
  hint?: string;
  /** A select; '' is shown as "default". */
  options?: readonly string[];
  multiline?: boolean;
  /** Sent as null (= "not sent", keep or default) when empty: '' is not a valid value. */
  nullWhenEmpty?: boolean;
  /** Value of a new package's field. */
  initial?: string;
  /** A whole number (sent as a number). */
  numeric?: { min: number; max: number };
}

export const SOURCE_FIELDS: Record<SourceType, readonly SourceField[]> = {
  scm: [
    { key: 'clone_url', label: 'Clone URL', required: true, hint: 'http://, https:// or git:// URL of the repository.' },
    { key: 'committish', label: 'Committish', hint: 'Branch, tag or commit; empty = default branch.' },
    { key: 'subdirectory', label: 'Subdirectory', hint: 'Relative path inside the repository.' },
    { key: 'spec', label: 'Spec file', hint: 'Relative path to the .spec file; empty = auto.' },
    { key: 'scm_type', stored: 'type', label: 'Type', options: ['git', 'svn'], initial: 'git' },
    { key: 'source_build_method', label: 'SRPM build method', options: ['rpkg', 'tito', 'tito_test', 'make_srpm'], initial: 'rpkg' },
  ],
  pypi: [
    { key: 'pypi_package_name', label: 'PyPI package name', required: true },
    { key: 'pypi_package_version', label: 'Version', hint: 'Empty = latest.' },
    { key: 'spec_generator', label: 'Spec generator', options: ['pyp2spec', 'pyp2rpm'], initial: 'pyp2spec' },
    { key: 'spec_template', label: 'Spec template', options: ['', 'fedora', 'epel7', 'mageia', 'pld'], hint: 'pyp2rpm only.' },
    { key: 'python_versions', label: 'Python versions', hint: 'Space separated: 3, 2 (pyp2rpm only).', initial: '3' },
  ],
  rubygems: [{ key: 'gem_name', label: 'Gem name', required: true }],
  custom: [
    { key: 'script', label: 'Script', required: true, multiline: true, hint: 'Runs in the chroot and must leave the sources and .spec in the result directory.' },
    { key: 'script_chroot', stored: 'chroot', label: 'Script chroot', nullWhenEmpty: true, hint: 'Empty = fedora-latest-x86_64.' },
    { key: 'script_builddeps', stored: 'builddeps', label: 'Build dependencies', hint: 'Packages the script needs, space separated.' },
    { key: 'script_resultdir', stored: 'resultdir', label: 'Result directory', hint: 'Relative path; empty = the working directory.' },
    { key: 'script_repos', stored: 'repos', label: 'Repositories', hint: 'Extra repository URLs for the script, space separated.' },
  ],
  distgit: [
    { key: 'distgit', label: 'DistGit instance', options: ['', 'fedora', 'centos', 'centos-stream'], nullWhenEmpty: true },
    { key: 'namespace', label: 'Namespace', hint: 'For forks, e.g. forks/jdoe.' },
    { key: 'committish', label: 'Committish', hint: 'Branch, tag or commit; empty = default branch.' },
  ],
};

/** Settings every package has; the API does not return them, so edits send only what is filled in. */
export const COMMON_FIELDS: readonly SourceField[] = [
  { key: 'max_builds', label: 'Keep newest builds', hint: '0 = keep all.', numeric: { min: 0, max: 100 } },
  { key: 'timeout', label: 'Build timeout (seconds)', numeric: { min: 0, max: 108000 } },
  { key: 'chroot_denylist', label: 'Chroot denylist', hint: 'Comma separated patterns, e.g. epel-*, fedora-rawhide-i386.' },
];

export function isSourceType(s: string): s is SourceType {
  return (SOURCE_TYPES as readonly string[]).includes(s);
}

export type FormValues = Record<string, string>;

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.map(String).join(' ') : String(v);
}

/** Initial form values: a new package's defaults, or an existing package's source. */
export function initialValues(type: SourceType, pkg?: Package): FormValues {
  const out: FormValues = {};
  const same = pkg?.source_type === type;
  for (const f of SOURCE_FIELDS[type]) {
    out[f.key] = same ? text(pkg.source_dict[f.stored ?? f.key]) || (f.initial ?? '') : (f.initial ?? '');
  }
  return out;
}

/** The add/edit request body for `type` (package settings included). */
export function requestBody(type: SourceType, name: string, values: FormValues, webhookRebuild: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { package_name: name, webhook_rebuild: webhookRebuild };
  for (const f of SOURCE_FIELDS[type]) {
    const v = (values[f.key] ?? '').trim();
    body[f.key] = v === '' && f.nullWhenEmpty ? null : f.multiline ? (values[f.key] ?? '') : v;
  }
  for (const f of COMMON_FIELDS) {
    const v = (values[f.key] ?? '').trim();
    if (v === '') continue;
    body[f.key] = f.numeric ? Number(v) : v;
  }
  return body;
}

/** Fields a server error names (`<field>: <message>` lines), for aria-invalid. */
export function fieldsInError(message: string): Set<string> {
  return new Set(message.split('\n').flatMap((l) => /^(\w+)(?:\.\d+)?: /.exec(l)?.[1] ?? []));
}
