import { describe, expect, it } from 'vitest';
import { communityStatsQuery, formatZodError } from '../../common/schemas';
import { scoreToSeverity } from '../../common/severity';
import {
  MAX_TIME_BUCKETS,
  chooseInterval,
  fixedInterval,
  scoreBuckets,
  severityRanges,
} from './community_stats_buckets';

const H = 3_600_000;
const D = 24 * H;

describe('chart buckets', () => {
  it('picks the smallest round interval that fits the span in at most 60 buckets', () => {
    const t0 = Date.parse('2024-03-01T00:00:00Z');
    expect(chooseInterval(t0, t0)).toBe(60_000);
    expect(chooseInterval(t0, t0 + 50 * 60_000)).toBe(60_000);
    expect(chooseInterval(t0, t0 + 4 * H)).toBe(5 * 60_000);
    expect(chooseInterval(t0, t0 + 24 * H)).toBe(30 * 60_000);
    expect(chooseInterval(t0, t0 + 7 * D)).toBe(3 * H);
    expect(chooseInterval(t0, t0 + 30 * D)).toBe(D);
    for (const span of [400 * D, 3_650 * D]) {
      const iv = chooseInterval(t0, t0 + span);
      expect(iv % D).toBe(0);
      expect(Math.floor((t0 + span) / iv) - Math.floor(t0 / iv) + 1).toBeLessThanOrEqual(
        MAX_TIME_BUCKETS,
      );
    }
    expect(chooseInterval(NaN, NaN)).toBe(H);
  });

  it("writes intervals as Elasticsearch's fixed_interval", () => {
    expect(fixedInterval(5 * 60_000)).toBe('5m');
    expect(fixedInterval(3 * H)).toBe('3h');
    expect(fixedInterval(7 * D)).toBe('7d');
    expect(fixedInterval(1_500)).toBe('1500ms');
  });

  it('cuts 20 score bars with two-decimal bounds, open at both ends', () => {
    const b = scoreBuckets();
    expect(b).toHaveLength(20);
    expect(b[3]).toEqual({ from: 0.15, to: 0.2, openBelow: false, openAbove: false });
    expect(b[0]!.openBelow && b[19]!.openAbove).toBe(true);
    expect(b[19]).toMatchObject({ from: 0.95, to: 1 });
  });

  it('cuts severities exactly where scoreToSeverity does', () => {
    const ranges = severityRanges();
    for (const s of [-1, 0, 0.2499, 0.25, 0.5, 0.7499, 0.75, 0.8999, 0.9, 1, 2]) {
      const hit = ranges.filter(
        (r) => (r.from === undefined || s >= r.from) && (r.to === undefined || s < r.to),
      );
      expect(
        hit.map((r) => r.level),
        String(s),
      ).toEqual([scoreToSeverity(s)]);
    }
  });

  it("takes the list's filters without paging, naming a bad field", () => {
    expect(communityStatsQuery.safeParse({ page: '2' }).success).toBe(false);
    const r = communityStatsQuery.safeParse({ score_below: '2', first_seen_from: 'soon' });
    expect(r.success).toBe(false);
    const fields = formatZodError('query', r.error!).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['query.score_below', 'query.first_seen_from']));
  });
});
