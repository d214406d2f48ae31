// The builder task JSON (our protocol, close to Copr's §4.3/§4.4 task dicts) and the
// outcome the agent reports. Everything the API hands the agent is parsed here first.
import * as z from 'zod';

/** A dnf repository injected into the buildroot (spec §2.3 "Repo object"). */
export const RepoSchema = z.object({
  id: z.string(),
  name: z.string(),
  baseurl: z.string(),
  priority: z.number().int().nullable().optional(),
  module_hotfixes: z.boolean().nullable().optional(),
  repo_gpgcheck: z.boolean().nullable().optional(),
});
export type Repo = z.infer<typeof RepoSchema>;

export const SOURCE_TYPES = ['link', 'upload', 'scm', 'pypi', 'rubygems', 'custom', 'distgit'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

const commonFields = {
  task_id: z.string().min(1),
  build_id: z.number().int().positive(),
  project_owner: z.string().min(1),
  project_name: z.string().min(1),
  project_dirname: z.string().min(1),
  // Copr's builder falls back to 3600 s when the task carries no timeout.
  timeout: z.number().positive().default(3600),
  enable_net: z.boolean().default(false),
  package_name: z.string().nullable().default(null),
};

export const SrpmTaskSchema = z.object({
  ...commonFields,
  kind: z.literal('srpm'),
  source_type: z.enum(SOURCE_TYPES),
  // A JSON-encoded STRING, as in Copr; decoded per source type by the SRPM providers.
  source_json: z.string(),
  chroot: z.string().nullable().default(null),
  distributions_in_build: z.array(z.string()).default([]),
  distributions_in_project: z.array(z.string()).default([]),
});
export type SrpmTask = z.infer<typeof SrpmTaskSchema>;

export const RpmTaskSchema = z.object({
  ...commonFields,
  kind: z.literal('rpm'),
  chroot: z.string().regex(/^[a-z0-9._+-]+-[^-]+-[a-z0-9_]+$/, 'chroot must look like <os>-<version>-<arch>'),
  srpm_url: z.url({ protocol: /^https?$/ }),
  repos: z.array(RepoSchema).default([]),
  buildroot_pkgs: z.array(z.string()).default([]),
  with_opts: z.array(z.string()).default([]),
  without_opts: z.array(z.string()).default([]),
});
export type RpmTask = z.infer<typeof RpmTaskSchema>;

export const TaskSchema = z.discriminatedUnion('kind', [SrpmTaskSchema, RpmTaskSchema]);
export type Task = z.infer<typeof TaskSchema>;
/** What a caller may hand in before defaults are applied (e.g. a test building a task literal). */
export type TaskInput = z.input<typeof TaskSchema>;

/** Per-distribution architecture tags of an SRPM (spec §4.5 SRPM results.json). */
export interface ArchTags {
  exclusivearch?: string[];
  excludearch?: string[];
  buildarch?: string[];
}

/** SRPM stage results.json. */
export interface SrpmResults {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  architecture_specific_tags: Record<string, ArchTags>;
}

export interface BuiltPackage {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
}

/** RPM stage results.json. */
export interface RpmResults {
  packages: BuiltPackage[];
}

export type TaskStatus = 'succeeded' | 'failed' | 'canceled';

export interface TaskOutcome {
  status: TaskStatus;
  /** A sentence for humans, e.g. "rpmbuild failed: see build.log". Absent on success. */
  fail_reason?: string;
  /** The results.json content (SRPM or RPM shape, per task kind). Present on success. */
  results?: SrpmResults | RpmResults;
  /** File name of the SRPM in the result dir (both stages), so the server can form `srpm_url`. */
  srpm_filename?: string;
  /** Relative paths uploaded to the task's result dir, in upload order. */
  uploaded: string[];
}

// Source dicts (spec §3.4), decoded from `source_json`. Unknown keys pass through untouched.
export const LinkSourceSchema = z.looseObject({ url: z.string().min(1), pkg: z.string().optional() });
export const ScmSourceSchema = z.looseObject({
  type: z.string().default('git'),
  clone_url: z.string().min(1),
  committish: z.string().nullish(),
  subdirectory: z.string().nullish(),
  spec: z.string().nullish(),
  srpm_build_method: z.enum(['rpkg', 'tito', 'tito_test', 'make_srpm']).default('rpkg'),
});
export const PypiSourceSchema = z.looseObject({
  pypi_package_name: z.string().min(1),
  pypi_package_version: z.string().nullish(),
});
export const RubygemsSourceSchema = z.looseObject({ gem_name: z.string().min(1) });
export const CustomSourceSchema = z.looseObject({
  script: z.string().min(1),
  chroot: z.string().nullish(),
  builddeps: z.string().nullish(),
  resultdir: z.string().nullish(),
  /** Body of the custom webhook that started the build, written to `hook_payload`. */
  hook_data: z.string().nullish(),
});
export const DistgitSourceSchema = z.looseObject({
  clone_url: z.string().min(1),
  committish: z.string().nullish(),
});
