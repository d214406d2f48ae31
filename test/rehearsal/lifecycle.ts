import type { Resolver, Template } from './cfn.js';

/**
 * What the template says about things that must not pile up, read and checked here
 * because no emulator runs them: S3 lifecycle rules (fauxqs keeps objects forever)
 * and the Image Builder lifecycle policy (no AMIs are baked in the rehearsal). The
 * lines go into the resource inventory; a policy that would select nothing the stack
 * produces is a wiring defect.
 */
export interface ExpiryRule {
  readonly bucketLogicalId: string;
  readonly bucket: string;
  readonly id: string;
  readonly prefix: string;
  readonly days: number;
}

type Props = Record<string, unknown>;

export function expiryRules(t: Template, r: Resolver): ExpiryRule[] {
  const out: ExpiryRule[] = [];
  for (const [id, x] of Object.entries(t.Resources)) {
    if (x.Type !== 'AWS::S3::Bucket') continue;
    const cfg = r.resolve((x.Properties ?? {}).LifecycleConfiguration) as { Rules?: Props[] } | undefined;
    for (const [i, rule] of (cfg?.Rules ?? []).entries()) {
      if (rule.Status !== 'Enabled' || rule.ExpirationInDays === undefined) continue;
      const filter = rule.Filter as { Prefix?: string } | undefined;
      out.push({ bucketLogicalId: id, bucket: r.ref(id), id: String(rule.Id ?? `rule ${i + 1}`), prefix: String(rule.Prefix ?? filter?.Prefix ?? ''), days: Number(rule.ExpirationInDays) });
    }
  }
  return out;
}

export function lifecycleInventory(t: Template, r: Resolver): { lines: string[]; defects: string[] } {
  const lines: string[] = [];
  const defects: string[] = [];
  for (const e of expiryRules(t, r)) {
    lines.push(`S3 lifecycle ${e.bucketLogicalId}/${e.id}: objects under "${e.prefix || '(all)'}" expire after ${e.days} days (read from the template; fauxqs does not expire objects)`);
  }
  const pipelines = Object.entries(t.Resources).filter(([, x]) => x.Type === 'AWS::ImageBuilder::ImagePipeline');
  const policies = Object.entries(t.Resources).filter(([, x]) => x.Type === 'AWS::ImageBuilder::LifecyclePolicy');
  if (pipelines.length > 0 && policies.length === 0) defects.push('the stack bakes builder AMIs but has no Image Builder lifecycle policy: AMIs and snapshots pile up');
  for (const [id, x] of policies) {
    const p = r.resolve(x.Properties) as Props;
    const details = (p.PolicyDetails ?? []) as Array<{ Action?: { Type?: string; IncludeResources?: { Amis?: boolean; Snapshots?: boolean } }; Filter?: { Type?: string; Value?: number } }>;
    const selection = (p.ResourceSelection ?? {}) as { TagMap?: Record<string, string>; Recipes?: Array<{ Name: string }> };
    const tags = Object.entries(selection.TagMap ?? {});
    const recipes = (selection.Recipes ?? []).map((x) => x.Name);
    // Image resources carry their pipeline's tags; a tag selection must match every pipeline of the stack.
    const unselected = pipelines.filter(([, pl]) => {
      const plTags = (r.resolve(pl.Properties?.Tags) ?? {}) as Record<string, string>;
      const recipeRef = (pl.Properties?.ImageRecipeArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
      const recipeName = recipeRef ? String(r.resolve(t.Resources[recipeRef]?.Properties?.Name) ?? '') : '';
      const byTag = tags.length > 0 && tags.every(([k, v]) => plTags[k] === v);
      return !byTag && !recipes.includes(recipeName);
    });
    for (const [pl] of unselected) defects.push(`lifecycle policy ${id} selects none of pipeline ${pl}'s images: its AMIs are never cleaned up`);
    const deletes = details.filter((d) => d.Action?.Type === 'DELETE');
    if (p.Status !== 'ENABLED' || deletes.length === 0) defects.push(`lifecycle policy ${id} is not an enabled DELETE policy`);
    for (const d of deletes) {
      if (!d.Action?.IncludeResources?.Amis || !d.Action.IncludeResources.Snapshots) defects.push(`lifecycle policy ${id} deletes images but not their AMIs and snapshots`);
      lines.push(
        `Image Builder lifecycle ${id}: ${d.Filter?.Type === 'COUNT' ? `keeps the newest ${d.Filter.Value}` : `${d.Filter?.Type} ${d.Filter?.Value}`} ${String(p.ResourceType)} of ${tags.length > 0 ? `images tagged ${tags.map(([k, v]) => `${k}=${v}`).join(',')}` : `recipes ${recipes.join(', ')}`}` +
          ` (${pipelines.length - unselected.length}/${pipelines.length} pipelines selected), deleting AMIs${d.Action?.IncludeResources?.Snapshots ? ' and snapshots' : ''} (read from the template; no AMIs are baked here)`,
      );
    }
  }
  return { lines, defects };
}
