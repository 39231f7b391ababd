/**
 * The communities list's filters as SQL, shared by the list and the charts' aggregations so
 * that both count the same communities.
 */
import { type CommunityStatsQuery, searchTerms } from '../../../common/schemas';
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
  const terms = searchTerms(query.q);
  if (terms.length > 0) {
    // One pass over the community events whatever the number of words: each event's texts are
    // joined once (a word has no whitespace, so it cannot match across the newline), and a
    // community matches when every word is in some event of it. One `IN (subquery)` per word
    // instead made DuckDB's planning grow with the words (250 words: minutes).
    const has = terms.map((t) => `bool_or(contains(txt, lower(${p(t)})))`).join(' AND ');
    where.push(
      `c.id IN (SELECT community_id FROM (
                  SELECT community_id,
                         lower(concat_ws(chr(10), command_line, parent_command_line, decoded_command)) AS txt
                    FROM community_events)
                 GROUP BY community_id HAVING ${has})`,
    );
  }
  return where.length > 0 ? where.join(' AND ') : 'true';
}
