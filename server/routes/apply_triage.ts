import { rulesFromCommunityVerdict } from '../lib/detection/suppression';
import type { StoredCommunity, TriagePatch } from '../ports';
import type { RouteContext } from './route_types';

export interface TriageRequest extends TriagePatch {
  suppress?: boolean;
}

/**
 * Applies one analyst decision; a benign verdict with `suppress` also writes the rules that keep
 * the same pattern from being flagged again (undo by deleting them from the suppressions list).
 */
export async function applyTriage(
  ctx: RouteContext,
  id: string,
  req: TriageRequest,
  expectedVersion?: number,
): Promise<{ community: StoredCommunity; suppressionsAdded: string[] }> {
  const { suppress, ...patch } = req;
  const community = await ctx.stores.communities.triage(id, patch, ctx.user, expectedVersion);
  let suppressionsAdded: string[] = [];
  if (suppress && community.triage.verdict === 'benign') {
    const rules = rulesFromCommunityVerdict(community, {
      createdBy: ctx.user,
      reason: patch.note?.trim() ? patch.note.trim() : `benign verdict on community ${id}`,
    });
    await ctx.stores.suppressions.add(rules);
    suppressionsAdded = rules.map((r) => r.id);
  }
  return { community, suppressionsAdded };
}
