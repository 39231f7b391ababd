/**
 * The charts' aggregations over the embedded store: one pass for the time span (the bucket size
 * depends on it), then the three views, each with the list's own WHERE clause.
 */
import type { CommunityStatsQuery } from '../../../common/schemas';
import type { CommunityStats } from '../../ports';
import {
  TOP_HOSTS,
  chooseInterval,
  emptySeverities,
  emptyStats,
  scoreBuckets,
  severityRanges,
} from '../community_stats_buckets';
import { communityWhere } from './community_filter';
import { type Database, type SqlParam, num } from './database';

function filtered(query: CommunityStatsQuery): {
  where: string;
  params: SqlParam[];
  p: (v: SqlParam) => string;
} {
  const params: SqlParam[] = [];
  const p = (v: SqlParam): string => {
    params.push(v);
    return `$${params.length}`;
  };
  let where = communityWhere(query, p);
  // Unlike the list's tab counts, the charts count what the list shows, status included.
  if (query.status !== undefined) where = `${where} AND status = ${p(query.status)}`;
  return { where, params, p };
}

/** `score` within [from, to) with open ends left out, as a SQL condition. */
function rangeSql(r: { from?: number; to?: number }, p: (v: SqlParam) => string): string {
  const parts: string[] = [];
  if (r.from !== undefined) parts.push(`score >= ${p(r.from)}`);
  if (r.to !== undefined) parts.push(`score < ${p(r.to)}`);
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}

export async function communityStats(
  db: Database,
  query: CommunityStatsQuery,
): Promise<CommunityStats> {
  const span = filtered(query);
  const spanRows = await db.all(
    `SELECT count(*) AS n, min(epoch_ms(first_seen)) AS lo, max(epoch_ms(first_seen)) AS hi
       FROM communities c WHERE ${span.where}`,
    span.params,
  );
  const total = num(spanRows[0]?.n);
  if (total === 0) return emptyStats();
  const intervalMs = chooseInterval(num(spanRows[0]?.lo), num(spanRows[0]?.hi));

  // Time buckets, stacked by severity.
  const t = filtered(query);
  const levels = severityRanges();
  const iv = t.p(intervalMs);
  const levelCols = levels
    .map((l, i) => `count(*) FILTER (WHERE ${rangeSql(l, t.p)}) AS s${i}`)
    .join(', ');
  const timeRows = await db.all(
    `SELECT CAST(floor(epoch_ms(first_seen) / ${iv}) AS BIGINT) * ${iv} AS bucket, count(*) AS n, ${levelCols}
       FROM communities c WHERE ${t.where} GROUP BY bucket ORDER BY bucket`,
    t.params,
  );

  // Top hosts: by host key (the list's host filter is case-insensitive); the smallest spelling
  // is shown, as Elasticsearch's terms on `host` ordered by key would.
  const h = filtered(query);
  const hostRows = await db.all(
    `SELECT host_key, min(host) AS host, count(*) AS n FROM communities c WHERE ${h.where}
      GROUP BY host_key ORDER BY n DESC, host_key ASC LIMIT ${h.p(TOP_HOSTS)}`,
    h.params,
  );

  // Score histogram.
  const s = filtered(query);
  const buckets = scoreBuckets();
  const scoreCols = buckets
    .map(
      (b, i) =>
        `count(*) FILTER (WHERE ${rangeSql({ from: b.openBelow ? undefined : b.from, to: b.openAbove ? undefined : b.to }, s.p)}) AS b${i}`,
    )
    .join(', ');
  const scoreRows = await db.all(
    `SELECT ${scoreCols} FROM communities c WHERE ${s.where}`,
    s.params,
  );

  const top = hostRows.map((r) => ({ host: r.host as string, count: num(r.n) }));
  return {
    total,
    overTime: {
      intervalMs,
      buckets: timeRows.map((r) => {
        const severities = emptySeverities();
        levels.forEach((l, i) => (severities[l.level] = num(r[`s${i}`])));
        return { start: new Date(num(r.bucket)).toISOString(), total: num(r.n), severities };
      }),
    },
    hosts: { top, other: total - top.reduce((a, x) => a + x.count, 0) },
    scores: {
      step: emptyStats().scores.step,
      buckets: buckets.map((b, i) => ({
        from: b.from,
        to: b.to,
        count: num(scoreRows[0]?.[`b${i}`]),
      })),
    },
  };
}
