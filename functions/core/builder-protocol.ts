import * as z from 'zod';

/**
 * The builder protocol, typed once: what the server hands a builder
 * (`GET /backend/builder/task`) and what the builder reports back. The agent
 * (builder-ami/agent/task.ts, api-client.ts) parses the server's answers with these
 * schemas; the server (functions/core/builder-session.ts, task-outcome.ts,
 * functions/api/routes/builder.ts) builds its answers as their input types and
 * parses the builder's reports with them. Close to Copr's §4.3/§4.4 task dicts.
 */

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
export const ArchTagsSchema = z.object({
  exclusivearch: z.array(z.string()).optional(),
  excludearch: z.array(z.string()).optional(),
  buildarch: z.array(z.string()).optional(),
});
export type ArchTags = z.infer<typeof ArchTagsSchema>;

/** SRPM stage results.json. */
export const SrpmResultsSchema = z.object({
  name: z.string().min(1),
  epoch: z.number().int().nullable().default(null),
  version: z.string().min(1),
  release: z.string().min(1),
  architecture_specific_tags: z.record(z.string(), ArchTagsSchema).default({}),
});
export type SrpmResults = z.infer<typeof SrpmResultsSchema>;

export const BuiltPackageSchema = z.object({
  name: z.string(),
  epoch: z.number().int().nullable().default(null),
  version: z.string(),
  release: z.string(),
  arch: z.string(),
});
export type BuiltPackage = z.infer<typeof BuiltPackageSchema>;

/** RPM stage results.json. */
export const RpmResultsSchema = z.object({ packages: z.array(BuiltPackageSchema).default([]) });
export type RpmResults = z.infer<typeof RpmResultsSchema>;

/** `POST /backend/builder/finished`: the outcome; `results` is read per task kind with the schemas above. */
export const FinishedReportSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'canceled']),
  fail_reason: z.string().max(2000).optional(),
  results: z.record(z.string(), z.unknown()).optional(),
  srpm_filename: z.string().regex(/^[\w.+~-]+\.(src|nosrc)\.rpm$/).optional(),
});
export type FinishedReport = z.infer<typeof FinishedReportSchema>;

/**
 * How often a builder heartbeats (and ships new live-log bytes). Sized for 1,000 builders:
 * 50 heartbeats/s at the API and one small write per task item every 20 s in the table
 * (docs/data-model.md, "Write rates at 1,000 builders"). A cancel reaches a builder within
 * one interval.
 */
export const HEARTBEAT_SECONDS = 20;

/**
 * Silence after which the reaper takes a builder for lost: 15 intervals, so a builder
 * whose heartbeat calls ride out a throttling burst (each retried for up to 60 s) is
 * never reaped while it still works.
 */
export const HEARTBEAT_TIMEOUT_MS = 15 * HEARTBEAT_SECONDS * 1000;

/** `POST /backend/builder/heartbeat` answer. */
export const HeartbeatResponseSchema = z.object({ cancel: z.boolean() });

/** `POST /backend/builder/upload-url` answer. */
export const UploadUrlResponseSchema = z.object({
  url: z.string().min(1),
  method: z.literal('PUT').default('PUT'),
  headers: z.record(z.string(), z.string()).default({}),
});


/**
 * `POST /backend/builder/next-task` answer (warm builders, functions/core/warm-builders.ts):
 * a task with its credential, or when to ask again (seconds), or stop (shut down).
 */
export const NextTaskResponseSchema = z.union([
  z.object({ task_id: z.string().min(1), credential: z.string().min(1) }),
  z.object({ task_id: z.null(), retry_after: z.number().nonnegative() }),
  z.object({ task_id: z.null(), stop: z.literal(true) }),
]);
export type NextTaskResponse = z.infer<typeof NextTaskResponseSchema>;
