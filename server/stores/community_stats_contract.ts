/**
 * CommunityStore.stats as part of the store contract (store_contract.ts calls this inside its
 * suite): both stores must give the numbers computed here independently, and each bar's filter
 * must select exactly that bar's communities from `list`.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { communityStatsQuery, listCommunitiesQuery } from '../../common/schemas';
import { scoreToSeverity } from '../../common/severity';
import type { AnomalousCommunity } from '../../common/types/community';
import { hostKey } from '../lib/detection/names';
import type { Stores } from '../ports';
import { TOP_HOSTS } from './community_stats_buckets';
import { fixtureCommunity } from './testing/fixtures';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-03-01T00:00:00.000Z');

/** Scores on and around every bucket and severity edge, hosts in two spellings. */
function corpus(): AnomalousCommunity[] {
  const scores = [0, 0.05, 0.15, 0.2499, 0.25, 0.5, 0.74999, 0.75, 0.8, 0.8999, 0.9, 0.95, 0.99, 1];
  const hosts = ['WS01.example.local', 'ws01.example.local', 'ws02.example.local', 'srv-db'];
  for (let i = 0; i < 12; i++) hosts.push(`h${String(i).padStart(2, '0')}`);
  const out: AnomalousCommunity[] = [];
  for (let i = 0; i < 40; i++) {
    // Spread over ~3 days at uneven hours so buckets of several sizes are exercised.
    const start = T0 + Math.floor((i * 7.3 + (i % 5) * 3) * HOUR);
    out.push(
      fixtureCommunity({
        host: hosts[i % 3 === 0 ? i % 4 : (i * 7) % hosts.length]!,
        window: {
          start: new Date(start).toISOString(),
          end: new Date(start + 4 * HOUR).toISOString(),
        },
        tag: `s${i}`,
        score: scores[i % scores.length]!,
      }),
    );
  }
  return out;
}

const listQ = (q: Record<string, unknown>) => listCommunitiesQuery.parse({ ...q, per_page: 100 });
const statsQ = (q: Record<string, unknown>) => communityStatsQuery.parse(q);

export function describeCommunityStatsContract(getStores: () => Stores): void {
  describe('CommunityStore.stats', () => {
    let stores: Stores;
    beforeEach(() => {
      stores = getStores();
    });

    it('is empty on an empty store', async () => {
      const s = await stores.communities.stats(statsQ({}));
      expect(s.total).toBe(0);
      expect(s.overTime.buckets).toEqual([]);
      expect(s.hosts).toEqual({ top: [], other: 0 });
      expect(s.scores.buckets).toHaveLength(20);
      expect(s.scores.buckets.every((b) => b.count === 0)).toBe(true);
    });

    it('counts every matching community (not a page) the way they are computed here', async () => {
      const all = corpus();
      await stores.communities.writeCommunities(all, {
        runId: 'r',
        detectedAt: '2024-03-05T00:00:00.000Z',
        replaced: [],
      });
      const s = await stores.communities.stats(statsQ({}));
      expect(s.total).toBe(all.length);
      expect((await stores.communities.list(listQ({ per_page: 5 }))).total).toBe(all.length);

      // Over time: epoch-aligned buckets of firstSeen, stacked by severity.
      const iv = s.overTime.intervalMs;
      expect(iv).toBeGreaterThan(0);
      expect(s.overTime.buckets.length).toBeLessThanOrEqual(60);
      expect(s.overTime.buckets.length).toBeGreaterThan(1);
      const expectTime = new Map<string, Record<string, number>>();
      for (const c of all) {
        const k = new Date(Math.floor(Date.parse(c.firstSeen) / iv) * iv).toISOString();
        const m = expectTime.get(k) ?? {};
        const lvl = scoreToSeverity(c.score);
        m[lvl] = (m[lvl] ?? 0) + 1;
        expectTime.set(k, m);
      }
      expect(s.overTime.buckets.map((b) => b.start)).toEqual([...expectTime.keys()].sort());
      for (const b of s.overTime.buckets) {
        const want = expectTime.get(b.start)!;
        const got = Object.fromEntries(Object.entries(b.severities).filter(([, n]) => n > 0));
        expect(got).toEqual(want);
        expect(b.total).toBe(Object.values(want).reduce((a, n) => a + n, 0));
      }

      // Hosts: case-insensitive, count desc then host key.
      const byKey = new Map<string, { spellings: string[]; n: number }>();
      for (const c of all) {
        const e = byKey.get(hostKey(c.host)) ?? { spellings: [], n: 0 };
        e.spellings.push(c.host);
        e.n++;
        byKey.set(hostKey(c.host), e);
      }
      const wantTop = [...byKey.entries()]
        .sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))
        .slice(0, TOP_HOSTS)
        .map(([, e]) => ({ host: [...e.spellings].sort()[0]!, count: e.n }));
      expect(s.hosts.top).toEqual(wantTop);
      expect(s.hosts.other).toBe(all.length - wantTop.reduce((a, x) => a + x.count, 0));

      // Scores: [from, to) bars of 0.05, the last one closed at 1.
      const counts = s.scores.buckets.map((b, i, arr) =>
        all.filter(
          (c) => (i === 0 || c.score >= b.from) && (i === arr.length - 1 || c.score < b.to),
        ),
      );
      expect(s.scores.buckets.map((b) => b.count)).toEqual(counts.map((x) => x.length));
      expect(s.scores.buckets[3]).toMatchObject({ from: 0.15, to: 0.2 });
      expect(s.scores.buckets.reduce((a, b) => a + b.count, 0)).toBe(all.length);
    });

    it("applies the list's filters, and each bar's filter lists exactly that bar", async () => {
      const all = corpus();
      await stores.communities.writeCommunities(all, {
        runId: 'r',
        detectedAt: '2024-03-05T00:00:00.000Z',
        replaced: [],
      });
      const target = all[5]!;
      await stores.communities.triage(target.id, { status: 'closed' }, 'tester');

      for (const f of [
        { host: 'ws01.EXAMPLE.local' },
        { min_score: 0.5 },
        { status: 'closed' },
        { status: 'open', min_score: 0.75 },
        { from: '2024-03-02T00:00:00.000Z', to: '2024-03-03T00:00:00.000Z' },
        { q: 'whoami' },
        { q: `10.0.0.5/${'s1'}` },
      ]) {
        const s = await stores.communities.stats(statsQ(f));
        const l = await stores.communities.list(listQ({ ...f, per_page: 3 }));
        expect(s.total, JSON.stringify(f)).toBe(l.total);
        expect(s.overTime.buckets.reduce((a, b) => a + b.total, 0)).toBe(l.total);
        expect(s.scores.buckets.reduce((a, b) => a + b.count, 0)).toBe(l.total);
      }

      const s = await stores.communities.stats(statsQ({}));
      for (const b of s.overTime.buckets) {
        const to = new Date(Date.parse(b.start) + s.overTime.intervalMs).toISOString();
        const l = await stores.communities.list(
          listQ({ first_seen_from: b.start, first_seen_to: to }),
        );
        expect(l.total, b.start).toBe(b.total);
      }
      for (const [i, b] of s.scores.buckets.entries()) {
        const f: Record<string, unknown> = {};
        if (i > 0) f.min_score = b.from;
        if (i < s.scores.buckets.length - 1) f.score_below = b.to;
        expect((await stores.communities.list(listQ(f))).total, `score ${b.from}`).toBe(b.count);
      }
      for (const h of s.hosts.top) {
        expect((await stores.communities.list(listQ({ host: h.host }))).total, h.host).toBe(
          h.count,
        );
      }
    });
  });
}
