import { coprTargetOf } from './build-config.js';
import { FormError, type FieldProblem } from './errors.js';
import type { Store } from './ports.js';

/**
 * `copr://<owner>/<project>` entries in a project's repo lists name another project
 * by reference (builds expand them to its repository). Upstream refuses a reference
 * to a project that does not exist, per field; so do we, so a typo is caught at
 * submit time instead of as a dnf error in every later build.
 */
export async function checkCoprRepoRefs(store: Store, lists: Array<{ field: string; urls: string[] | undefined }>): Promise<void> {
  const problems: FieldProblem[] = [];
  for (const { field, urls } of lists) {
    for (const url of urls ?? []) {
      const ref = coprTargetOf(url);
      if (ref && !(await store.getProject(ref.owner, ref.project))) problems.push({ field, message: `${url} does not exist.` });
    }
  }
  if (problems.length > 0) throw new FormError(problems);
}
