import * as z from 'zod';
import { isValidChrootName, isValidOwnerName } from '../core/names.js';
import { publishRepositoryKey } from '../core/publish-ledger.js';

/** A build subdir inside a chroot dir, e.g. `00000012-hello`: one path segment. */
const Subdir = z
  .string()
  .regex(/^[\w.+-]+$/, 'subdir must be a single path segment')
  .refine((s) => s !== '.' && s !== '..', 'subdir must not be . or ..');

/** `proj`, `proj:pr:12`, `proj:custom:x`. */
const Dirname = z.string().regex(/^[\w.-]+(:[\w.-]+)*$/).refine((s) => !s.split(':').some((p) => p === '.' || p === '..'));

/**
 * One request to (re)publish the repository `<owner>/<dirname>/<chroot>` (or its
 * `devel/` repository), as the publish ledger keeps it (functions/core/publish-ledger.ts).
 */
export const PublishRequest = z.object({
  owner: z.string().refine(isValidOwnerName, 'invalid owner'),
  dirname: Dirname,
  chroot: z.string().refine((c) => isValidChrootName(c), 'invalid chroot'),
  /** Build subdirs whose packages join the repository. */
  adds: z.array(Subdir).default([]),
  /** Build subdirs whose packages leave the repository; the dirs are removed after publishing. */
  deletes: z.array(Subdir).default([]),
  /** Re-scan the whole chroot dir (new chroot, regenerate-repos). */
  full: z.boolean().default(false),
  /** Publish into `<chroot>/devel/repodata` instead (devel_mode projects). */
  devel: z.boolean().default(false),
  /** comps.xml changed: republish even with nothing added or deleted. */
  comps: z.boolean().optional(),
});
export type PublishRequest = z.infer<typeof PublishRequest>;
export type PublishRequestInput = z.input<typeof PublishRequest>;

/** A repository as messages and container overrides name it (validated like a request's). */
export const PublishRepositoryRef = PublishRequest.pick({ owner: true, dirname: true, chroot: true }).extend({ devel: z.boolean() });

/** Requests with equal keys touch the same repodata and must not run concurrently. */
export function repositoryKey(req: Pick<PublishRequest, 'owner' | 'dirname' | 'chroot' | 'devel'>): string {
  return publishRepositoryKey(req);
}

/**
 * Merges requests for one repository into one run: adds and deletes are unioned (a
 * subdir both added and deleted is deleted: the delete was requested after the build
 * finished), `full` and `comps` are OR-ed. Pure; the publisher merges a repository's
 * pending ledger entries with it (publish/publish-runs.ts).
 */
export function mergeRequests(reqs: readonly PublishRequest[]): PublishRequest {
  const first = reqs[0];
  if (!first) throw new Error('mergeRequests needs at least one request');
  const key = repositoryKey(first);
  const adds = new Set<string>();
  const deletes = new Set<string>();
  let full = false;
  let comps = false;
  for (const r of reqs) {
    if (repositoryKey(r) !== key) throw new Error(`cannot merge ${repositoryKey(r)} into ${key}`);
    r.adds.forEach((a) => adds.add(a));
    r.deletes.forEach((d) => deletes.add(d));
    full ||= r.full;
    comps ||= r.comps === true;
  }
  const merged: PublishRequest = {
    owner: first.owner,
    dirname: first.dirname,
    chroot: first.chroot,
    adds: [...adds].filter((a) => !deletes.has(a)).sort(),
    deletes: [...deletes].sort(),
    full,
    devel: first.devel,
  };
  if (comps) merged.comps = true;
  return merged;
}
