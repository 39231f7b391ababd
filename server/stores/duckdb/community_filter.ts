/**
 * The communities list's filters as SQL, shared by the list and the charts' aggregations so
 * that both count the same communities.
 */
import type { CommunityStatsQuery } from '../../../common/schemas';
import { hostKey } from '../../lib/detection/names';
import type { SqlParam } from './database';

/**
 * The list's filters except `status`, as SQL over `communities c` with `p` binding each value;
 * the charts' aggregations use the same ones so their counts match the list.
 */
export function communityWhere(query: CommunityStatsQuery, p: (v: SqlParam) => string): string {
  const where: string[] = [];
  if (!query.include_unflagged) where.push('flagged');
  if (query.from !== undefined) where.push(`last_seen >= ${p(new Date(Date.parse(query.from)))}`);
  if (query.to !== undefined) where.push(`first_seen < ${p(new Date(Date.parse(query.to)))}`);
  if (query.first_seen_from !== undefined)
    where.push(`first_seen >= ${p(new Date(Date.parse(query.first_seen_from)))}`);
  if (query.first_seen_to !== undefined)
    where.push(`first_seen < ${p(new Date(Date.parse(query.first_seen_to)))}`);
  if (query.detected_after !== undefined)
    where.push(`detected_at >= ${p(new Date(Date.parse(query.detected_after)))}`);
  if (query.host !== undefined) where.push(`host_key = ${p(hostKey(query.host))}`);
  if (query.min_score !== undefined) where.push(`score >= ${p(query.min_score)}`);
  if (query.score_below !== undefined) where.push(`score < ${p(query.score_below)}`);
  for (const term of (query.q ?? '')
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)) {
    const t = p(term);
    // An uncorrelated semi-join: DuckDB plans it as one hash join (several times faster
    // than the equivalent correlated EXISTS on 10K communities).
    where.push(
      `c.id IN (SELECT community_id FROM community_events
                 WHERE contains(lower(command_line), lower(${t})) OR contains(lower(parent_command_line), lower(${t}))
                    OR contains(lower(decoded_command), lower(${t})))`,
    );
  }
  return where.length > 0 ? where.join(' AND ') : 'true';
}
