import type { Build } from './build-model.js';
import type { ResultsStore } from './results-store.js';

/**
 * Uploaded SRPMs (build/create/upload): kept under `_uploads/<uuid>/<file>` in the
 * results store until their build is deleted. The uuid makes the URL the builder
 * fetches unguessable, and `_uploads/` is never listed (functions/local/results-mount.ts
 * refuses directory listings there; on AWS the bucket is not listable).
 */
export const UPLOADS_DIR = '_uploads';

export function uploadPrefix(tmp: string): string {
  return `${UPLOADS_DIR}/${tmp}/`;
}

export function uploadKey(tmp: string, filename: string): string {
  return `${uploadPrefix(tmp)}${filename}`;
}

/** The upload dir of an uploaded build, or null (other sources, or an id that is not ours). */
export function uploadPrefixOf(build: Pick<Build, 'source_type' | 'source_dict'>): string | null {
  if (build.source_type !== 'upload') return null;
  const tmp = build.source_dict.tmp;
  if (typeof tmp !== 'string' || !/^[0-9a-f-]{36}$/.test(tmp)) return null;
  return uploadPrefix(tmp);
}

/** Removes a build's uploaded source, if it has one. */
export async function deleteUploadOf(results: ResultsStore, build: Pick<Build, 'source_type' | 'source_dict'>): Promise<void> {
  const prefix = uploadPrefixOf(build);
  if (prefix) await results.deletePrefix(prefix);
}
