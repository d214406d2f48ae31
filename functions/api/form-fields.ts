/**
 * Upstream renames some API keys to its form's field names before validating, so
 * its per-field errors name the form field (`repos: ...` for `additional_repos`).
 * Renaming the same way here keeps our error lines identical to upstream's.
 */
export function toFormFieldNames(input: Record<string, unknown>, renames: Record<string, string>): Record<string, unknown> {
  const out = { ...input };
  for (const [from, to] of Object.entries(renames)) {
    if (!(from in out)) continue;
    // An explicit value under the form's own name wins, as upstream's dict update does.
    if (!(to in out)) out[to] = out[from];
    delete out[from];
  }
  return out;
}
