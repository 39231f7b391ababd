/**
 * The communities list's filters as Elasticsearch queries, shared by the list and the charts'
 * aggregations so that both count the same communities.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { CommunityStatsQuery } from '../../../common/schemas';
import { hostKey } from '../../lib/detection/names';

type Query = estypes.QueryDslQueryContainer;

/** `q` terms are literal: escape the wildcard query's own syntax. */
function wildcardLiteral(term: string): string {
  return term.replace(/[\\*?]/g, (ch) => `\\${ch}`);
}

/**
 * The list's filters except `status`; the charts' aggregations use the same ones so their counts
 * match the list.
 */
export function communityFilter(query: CommunityStatsQuery): Query[] {
  const filter: Query[] = [];
  const epoch = (iso: string) => Date.parse(iso);
  if (!query.include_unflagged) filter.push({ term: { flagged: true } });
  if (query.from !== undefined)
    filter.push({ range: { last_seen: { gte: epoch(query.from), format: 'epoch_millis' } } });
  if (query.to !== undefined)
    filter.push({ range: { first_seen: { lt: epoch(query.to), format: 'epoch_millis' } } });
  if (query.first_seen_from !== undefined || query.first_seen_to !== undefined)
    filter.push({
      range: {
        first_seen: {
          ...(query.first_seen_from !== undefined ? { gte: epoch(query.first_seen_from) } : {}),
          ...(query.first_seen_to !== undefined ? { lt: epoch(query.first_seen_to) } : {}),
          format: 'epoch_millis',
        },
      },
    });
  if (query.detected_after !== undefined)
    filter.push({
      range: { detected_at: { gte: epoch(query.detected_after), format: 'epoch_millis' } },
    });
  if (query.host !== undefined) filter.push({ term: { host_key: hostKey(query.host) } });
  if (query.min_score !== undefined || query.score_below !== undefined)
    filter.push({
      range: {
        score: {
          ...(query.min_score !== undefined ? { gte: query.min_score } : {}),
          ...(query.score_below !== undefined ? { lt: query.score_below } : {}),
        },
      },
    });
  for (const term of (query.q ?? '')
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)) {
    const value = `*${wildcardLiteral(term)}*`;
    // Decoded encoded commands are searched too: a word may appear only after decoding.
    filter.push({
      bool: {
        minimum_should_match: 1,
        should: [
          { wildcard: { command_lines: { value, case_insensitive: true } } },
          { wildcard: { decoded_commands: { value, case_insensitive: true } } },
        ],
      },
    });
  }
  return filter;
}
