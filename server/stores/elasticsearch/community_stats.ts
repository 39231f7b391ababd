/**
 * The charts' aggregations on Elasticsearch: a first request finds the time span of the matching
 * communities (the bucket size depends on it), a second one cuts the three views with
 * date_histogram, terms and range aggregations under the list's own filters.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { CommunityStatsQuery } from '../../../common/schemas';
import type { SeverityLevel } from '../../../common/severity';
import type { CommunityStats, Logger } from '../../ports';
import {
  TOP_HOSTS,
  chooseInterval,
  emptySeverities,
  emptyStats,
  fixedInterval,
  scoreBuckets,
  severityRanges,
} from '../community_stats_buckets';
import { communityFilter } from './community_filter';
import { type RetryPolicy, requestOptions, withRetry } from './retry';

type Query = estypes.QueryDslQueryContainer;

interface RangeBucket {
  doc_count: number;
}

interface StatsAggs {
  over_time: {
    buckets: {
      key: number;
      doc_count: number;
      severity: { buckets: Record<string, RangeBucket> };
    }[];
  };
  hosts: {
    sum_other_doc_count?: number;
    buckets: { key: string; doc_count: number; spelling: { buckets: { key: string }[] } }[];
  };
  scores: { buckets: Record<string, RangeBucket> };
}

export async function communityStats(
  client: Client,
  index: string,
  query: CommunityStatsQuery,
  retry: RetryPolicy & { logger?: Logger },
): Promise<CommunityStats> {
  const filter = communityFilter(query);
  // Unlike the list's tab counts, the charts count what the list shows, status included.
  if (query.status !== undefined) filter.push({ term: { 'triage.status': query.status } });
  const q: Query = { bool: { filter } };

  const span = await withRetry(
    () =>
      client.search(
        {
          index,
          size: 0,
          query: q,
          track_total_hits: true,
          aggs: { lo: { min: { field: 'first_seen' } }, hi: { max: { field: 'first_seen' } } },
        },
        requestOptions(),
      ),
    { ...retry, what: 'community stats span' },
  );
  const t = span.hits.total;
  const total = typeof t === 'number' ? t : (t?.value ?? 0);
  if (total === 0) return emptyStats();
  const spanAggs = span.aggregations as
    { lo: { value: number | null }; hi: { value: number | null } } | undefined;
  const intervalMs = chooseInterval(spanAggs?.lo.value ?? NaN, spanAggs?.hi.value ?? NaN);

  const levels = severityRanges();
  const buckets = scoreBuckets();
  const res = await withRetry(
    () =>
      client.search(
        {
          index,
          size: 0,
          query: q,
          aggs: {
            over_time: {
              date_histogram: {
                field: 'first_seen',
                fixed_interval: fixedInterval(intervalMs),
                min_doc_count: 1,
              },
              aggs: {
                severity: {
                  range: {
                    field: 'score',
                    keyed: true,
                    ranges: levels.map((l) => ({ key: l.level, from: l.from, to: l.to })),
                  },
                },
              },
            },
            hosts: {
              terms: {
                field: 'host_key',
                size: TOP_HOSTS,
                // Exact counts on any shard count (communities live in one small index).
                shard_size: 10_000,
                order: [{ _count: 'desc' }, { _key: 'asc' }],
              },
              // The smallest spelling of the host, as the embedded store's min(host).
              aggs: { spelling: { terms: { field: 'host', size: 1, order: { _key: 'asc' } } } },
            },
            scores: {
              range: {
                field: 'score',
                keyed: true,
                ranges: buckets.map((b, i) => ({
                  key: `b${i}`,
                  ...(b.openBelow ? {} : { from: b.from }),
                  ...(b.openAbove ? {} : { to: b.to }),
                })),
              },
            },
          },
        },
        requestOptions(),
      ),
    { ...retry, what: 'community stats' },
  );
  const aggs = res.aggregations as unknown as StatsAggs;
  const top = aggs.hosts.buckets.map((b) => ({
    host: b.spelling.buckets[0]?.key ?? b.key,
    count: b.doc_count,
  }));
  return {
    total,
    overTime: {
      intervalMs,
      buckets: aggs.over_time.buckets.map((b) => {
        const severities = emptySeverities();
        for (const l of levels)
          severities[l.level as SeverityLevel] = b.severity.buckets[l.level]?.doc_count ?? 0;
        return { start: new Date(b.key).toISOString(), total: b.doc_count, severities };
      }),
    },
    hosts: { top, other: total - top.reduce((a, x) => a + x.count, 0) },
    scores: {
      step: emptyStats().scores.step,
      buckets: buckets.map((b, i) => ({
        from: b.from,
        to: b.to,
        count: aggs.scores.buckets[`b${i}`]?.doc_count ?? 0,
      })),
    },
  };
}
