/**
 * The bucket layout of the charts' aggregations (server/ports.ts CommunityStats), shared by both
 * stores so that DuckDB and Elasticsearch cut the same buckets and give the same numbers.
 */
import { SEVERITY_LEVELS, SEVERITY_THRESHOLDS, type SeverityLevel } from '../../common/severity';
import type { CommunityStats } from '../ports';

/** Hosts listed by name; the rest are summed in `other`. */
export const TOP_HOSTS = 10;
/** Width of a score-histogram bar. */
export const SCORE_STEP = 0.05;
/** At most this many time buckets, so bars stay wide enough to click. */
export const MAX_TIME_BUCKETS = 60;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LADDER = [
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];

function bucketCount(minMs: number, maxMs: number, interval: number): number {
  return Math.floor(maxMs / interval) - Math.floor(minMs / interval) + 1;
}

/**
 * The smallest round interval that covers [minMs, maxMs] in at most MAX_TIME_BUCKETS
 * epoch-aligned buckets; whole days beyond a week.
 */
export function chooseInterval(minMs: number, maxMs: number): number {
  if (!Number.isFinite(minMs) || !Number.isFinite(maxMs) || maxMs < minMs) return HOUR;
  for (const iv of LADDER) if (bucketCount(minMs, maxMs, iv) <= MAX_TIME_BUCKETS) return iv;
  let days = Math.ceil((maxMs - minMs) / DAY / (MAX_TIME_BUCKETS - 1));
  while (bucketCount(minMs, maxMs, days * DAY) > MAX_TIME_BUCKETS) days++;
  return days * DAY;
}

/** An interval as Elasticsearch's date_histogram `fixed_interval` writes it. */
export function fixedInterval(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${ms}ms`;
}

/**
 * Score-histogram bars [from, to): bounds rounded to the step's decimals so a bar's filter
 * (min_score=from, score_below=to) compares against the same doubles the aggregation used. The
 * first bar also takes scores below 0 and the last scores of 1 and above (`open` ends).
 */
export function scoreBuckets(): {
  from: number;
  to: number;
  openBelow: boolean;
  openAbove: boolean;
}[] {
  const n = Math.round(1 / SCORE_STEP);
  return Array.from({ length: n }, (_, i) => ({
    from: Number((i * SCORE_STEP).toFixed(2)),
    to: Number(((i + 1) * SCORE_STEP).toFixed(2)),
    openBelow: i === 0,
    openAbove: i === n - 1,
  }));
}

/**
 * Each scored severity level as a score range [from, to) (undefined = open), the same cut as
 * common/severity.ts scoreToSeverity, which clamps scores to 0..1.
 */
export function severityRanges(): { level: SeverityLevel; from?: number; to?: number }[] {
  const sorted = [...SEVERITY_THRESHOLDS].sort((a, b) => a.min - b.min);
  return sorted.map((t, i) => {
    const next = sorted[i + 1];
    const r: { level: SeverityLevel; from?: number; to?: number } = { level: t.level };
    if (i > 0) r.from = t.min;
    if (next) r.to = next.min;
    return r;
  });
}

export function emptySeverities(): Record<SeverityLevel, number> {
  return Object.fromEntries(SEVERITY_LEVELS.map((l) => [l, 0])) as Record<SeverityLevel, number>;
}

export function emptyStats(): CommunityStats {
  return {
    total: 0,
    overTime: { intervalMs: HOUR, buckets: [] },
    hosts: { top: [], other: 0 },
    scores: {
      step: SCORE_STEP,
      buckets: scoreBuckets().map((b) => ({ from: b.from, to: b.to, count: 0 })),
    },
  };
}
