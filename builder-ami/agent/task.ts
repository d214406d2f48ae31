// The builder task JSON (our protocol, close to Copr's §4.3/§4.4 task dicts) and the
// outcome the agent reports. Everything the API hands the agent is parsed here first.
import * as z from 'zod';
import type { RpmResults, SrpmResults } from '../../functions/core/builder-protocol.js';

// The task JSON and results.json shapes are the shared builder protocol (functions/core/builder-protocol.ts).
export {
  RepoSchema,
  type Repo,
  SOURCE_TYPES,
  type SourceType,
  SrpmTaskSchema,
  type SrpmTask,
  RpmTaskSchema,
  type RpmTask,
  TaskSchema,
  type Task,
  type TaskInput,
  type ArchTags,
  type SrpmResults,
  type BuiltPackage,
  type RpmResults,
} from '../../functions/core/builder-protocol.js';

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
