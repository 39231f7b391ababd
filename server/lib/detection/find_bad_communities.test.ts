import { describe, expect, it } from 'vitest';
import type { AnomalousCommunity } from '../../../common/types/community';
import type { ScoredEvent } from '../../../common/types/scoring';
import {
  findBadCommunities,
  findBadCommunitiesInStream,
  type FindBadCommunitiesOptions,
} from './find_bad_communities';
import { InMemoryPrevalence, NoPrevalence } from './prevalence';
import { pairRule, rulesFromCommunityVerdict, StaticSuppressionSource } from './suppression';
import { scoredEvent } from './testing/events';
import { scoreWithHeuristic } from './testing/heuristic_scorer';
import { type LabelledEvent, syntheticEnvironment } from './testing/synthetic_hosts';

function scoredOf(env: LabelledEvent[]): ScoredEvent[] {
  return scoreWithHeuristic(env.map((l) => l.event));
}

async function prevalenceOf(env: LabelledEvent[]): Promise<InMemoryPrevalence> {
  return InMemoryPrevalence.fromEvents(env.map((l) => l.event));
}

function stripTimings(r: { communities: AnomalousCommunity[]; stats: object }): unknown {
  return { communities: r.communities, stats: { ...r.stats, timingsMs: undefined } };
}

describe('findBadCommunities', () => {
  // One attacked workstation among busy ones, with a routine admin job everywhere.
  const env = syntheticEnvironment({
    seed: 21,
    hosts: 6,
    benignEventsPerHost: 700,
    adminRunsPerHost: 3,
    attacks: [{ host: 2, kind: 'office_macro', offsetMs: 1_500_000 }],
  });
  const scored = scoredOf(env);
  const attackIds = new Set(env.filter((l) => l.malicious).map((l) => l.event.event.id));

  // Issue 18: the summary counted communities made only of event-less parent processes.
  it('counts only communities with events', async () => {
    const res = await findBadCommunities(scored, {
      prevalence: await prevalenceOf(env),
      seed: 42,
      window: '1h',
      includeUnflagged: true,
      threshold: 0,
    });
    expect(res.stats.parentsWithoutEvent).toBeGreaterThan(0);
    expect(res.stats.communities).toBe(res.communities.length);
  });

  it('finds the blended attack chain as one flagged community, ranked first', async () => {
    const res = await findBadCommunities(scored, {
      prevalence: await prevalenceOf(env),
      seed: 42,
      window: '1h',
    });
    const top = res.communities[0] as AnomalousCommunity;
    expect(top.rank).toBe(1);
    expect(top.host).toBe('ws002.corp.local');
    const topIds = new Set(top.events.map((e) => e.event.event.id));
    for (const id of attackIds) expect(topIds.has(id)).toBe(true);
    // No other flagged community holds any of it.
    for (const c of res.communities.slice(1))
      for (const e of c.events) expect(attackIds.has(e.event.event.id)).toBe(false);
    // Purity: at most the lure (explorer → winword) is benign.
    expect(top.events.length - attackIds.size).toBeLessThanOrEqual(1);
    expect(top.chain).toBe(
      'winword.exe → cmd.exe → {conhost.exe, powershell.exe → {net.exe, net.exe → net1.exe, nltest.exe, whoami.exe}}',
    );
    expect(top.techniques.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'T1027',
        'T1059.001',
        'T1033',
        'T1087',
        'T1482',
        'T1566.001',
        'T1204.002',
      ]),
    );
    expect(top.drivingEdge.anomaly).toBe(top.maxAnomaly);
    expect(top.users).toEqual(['CORP\\alice']);
    expect(top.firstSeen <= top.lastSeen).toBe(true);
    expect(top.id).toMatch(/^[0-9a-f]{32}$/);
    const enc = top.edges.find((e) => e.childName === 'powershell.exe');
    expect(enc?.prevalence.text).toMatch(
      /^cmd\.exe → powershell\.exe seen \d+ times? on \d+ hosts? in /,
    );
    expect(enc?.techniques).toEqual(expect.arrayContaining(['T1027', 'T1059.001']));
  });

  it('gives the same communities, ids and ranks for the same seed, whatever the input order', async () => {
    const prevalence = await prevalenceOf(env);
    const a = await findBadCommunities(scored, { prevalence, seed: 7, window: '1h' });
    const b = await findBadCommunities([...scored].reverse(), {
      prevalence,
      seed: 7,
      window: '1h',
    });
    expect(stripTimings(b)).toEqual(stripTimings(a));
  });

  it('lets prevalence suppress the routine admin chain that the model alone flags', async () => {
    const isAdmin = (c: AnomalousCommunity): boolean =>
      c.events.some((e) => /inventory/.test(e.event.process.command_line ?? ''));
    const modelOnly = await findBadCommunities(scored, {
      prevalence: new NoPrevalence(),
      seed: 42,
    });
    expect(modelOnly.communities.filter(isAdmin).length).toBeGreaterThanOrEqual(6 * 3 - 2);

    const withPrevalence = await findBadCommunities(scored, {
      prevalence: await prevalenceOf(env),
      seed: 42,
    });
    expect(withPrevalence.communities.filter(isAdmin)).toEqual([]);
    expect(withPrevalence.communities[0]?.events.some((e) => attackIds.has(e.event.event.id))).toBe(
      true,
    );
  });

  it('is the same over a stream as over an array', async () => {
    const prevalence = await prevalenceOf(env);
    const sorted = [...scored].sort((x, y) =>
      x.event['@timestamp'] < y.event['@timestamp'] ? -1 : 1,
    );
    const a = await findBadCommunities(sorted, { prevalence, seed: 3, window: '15m' });
    const b = await findBadCommunitiesInStream(sorted, { prevalence, seed: 3, window: '15m' });
    expect(b.communities.map((c) => [c.id, c.rank, c.score])).toEqual(
      a.communities.map((c) => [c.id, c.rank, c.score]),
    );
    expect(b.stats.events).toBe(a.stats.events);
  });

  it('rejects bad options with the value named', async () => {
    const opts: FindBadCommunitiesOptions = { prevalence: new NoPrevalence() };
    await expect(findBadCommunities([], { ...opts, threshold: 2 })).rejects.toThrow(
      /threshold .* 2/,
    );
    await expect(findBadCommunities([], { ...opts, seed: 1.5 })).rejects.toThrow(/seed .* 1.5/);
    await expect(findBadCommunities([], { ...opts, window: 'soon' })).rejects.toThrow(/"soon"/);
  });
});

describe('suppression', () => {
  // A tiny suspicious chain on two hosts.
  function chain(host: string, offset = 0): ScoredEvent[] {
    return [
      scoredEvent({
        host,
        id: `${host}-1`,
        entity: `${host}-cmd`,
        parent: `${host}-word`,
        parentName: 'winword.exe',
        name: 'cmd.exe',
        cmd: 'cmd.exe /c update.bat',
        score: 0.85,
        t: offset + 1,
      }),
      scoredEvent({
        host,
        id: `${host}-2`,
        entity: `${host}-ps`,
        parent: `${host}-cmd`,
        parentName: 'cmd.exe',
        name: 'powershell.exe',
        cmd: 'powershell -file C:\\tools\\update.ps1',
        score: 0.8,
        t: offset + 2,
      }),
      scoredEvent({
        host,
        id: `${host}-3`,
        entity: `${host}-who`,
        parent: `${host}-ps`,
        parentName: 'powershell.exe',
        name: 'whoami.exe',
        cmd: 'whoami',
        score: 0.3,
        t: offset + 3,
      }),
    ];
  }
  const base = {
    prevalence: new NoPrevalence(),
    seed: 1,
    window: 'all',
  } satisfies FindBadCommunitiesOptions;
  const author = {
    createdBy: 'analyst@corp',
    reason: 'vendor updater',
    createdAt: '2024-01-02T00:00:00.000Z',
  };

  it('a community verdict stops the same pattern from being flagged and says so', async () => {
    const first = await findBadCommunities(chain('h1'), base);
    expect(first.communities).toHaveLength(1);
    const rules = rulesFromCommunityVerdict(first.communities[0] as AnomalousCommunity, author);
    expect(rules.map((r) => `${r.parentName}>${r.childName}`).sort()).toEqual([
      'cmd.exe>powershell.exe',
      'powershell.exe>whoami.exe',
      'winword.exe>cmd.exe',
    ]);
    expect(rules.every((r) => r.kind === 'community' && r.cmdTemplate !== undefined)).toBe(true);

    const later = await findBadCommunities(chain('h2', 86_400_000), {
      ...base,
      suppressions: new StaticSuppressionSource(rules),
    });
    expect(later.communities).toEqual([]);
    expect(later.stats.suppressedCommunities).toHaveLength(1);
    const s = later.stats.suppressedCommunities[0];
    expect(s?.unsuppressedScore).toBeGreaterThanOrEqual(0.75);
    expect(s?.suppressed.map((h) => h.ruleId).sort()).toEqual(rules.map((r) => r.id).sort());
    expect(s?.chain).toBe('winword.exe → cmd.exe → powershell.exe → whoami.exe');
  });

  it('a different command line shape is not covered by a community verdict', async () => {
    const first = await findBadCommunities(chain('h1'), base);
    const rules = rulesFromCommunityVerdict(first.communities[0] as AnomalousCommunity, author);
    const changed = chain('h2').map((e, i) =>
      i === 1
        ? {
            ...e,
            event: {
              ...e.event,
              process: {
                ...e.event.process,
                command_line: 'powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
              },
            },
          }
        : e,
    );
    const res = await findBadCommunities(changed, { ...base, suppressions: rules });
    expect(res.communities).toHaveLength(1);
    const c = res.communities[0] as AnomalousCommunity;
    // The matching edges are discounted and reported; the new one drives the community.
    expect(c.drivingEdge.childName).toBe('powershell.exe');
    expect(c.drivingEdge.suppressedBy).toBeUndefined();
    expect(c.edges.find((e) => e.childName === 'cmd.exe')?.suppressedBy).toHaveLength(1);
    expect(c.edges.find((e) => e.childName === 'cmd.exe')?.anomaly).toBe(0);
    expect(c.suppressed.length).toBeGreaterThan(0);
  });

  it('a pair rule covers any command line; host-scoped rules only their host', async () => {
    const pair = [
      pairRule({ parentName: 'winword.exe', childName: 'cmd.exe' }, author),
      pairRule(
        { parentName: 'C:\\Windows\\System32\\cmd.exe', childName: 'POWERSHELL.EXE' },
        author,
      ),
    ];
    const all = await findBadCommunities(chain('h1'), { ...base, suppressions: pair });
    expect(all.communities).toEqual([]);
    expect(all.stats.suppressedEdges).toBe(2);

    const scoped = pair.map((r) => ({ ...r, id: `${r.id}-scoped`, host: 'other-host' }));
    const res = await findBadCommunities(chain('h1'), { ...base, suppressions: scoped });
    expect(res.communities).toHaveLength(1);
    expect(res.communities[0]?.suppressed).toEqual([]);
  });

  it('a heavily discounted (not removed) edge still cannot flag a fully suppressed community', async () => {
    const rules = [
      pairRule({ parentName: 'winword.exe', childName: 'cmd.exe' }, author),
      pairRule({ parentName: 'cmd.exe', childName: 'powershell.exe' }, author),
      pairRule({ parentName: 'powershell.exe', childName: 'whoami.exe' }, author),
    ];
    const res = await findBadCommunities(chain('h1'), {
      ...base,
      threshold: 0.1,
      suppressions: rules,
      scoring: { suppressedFactor: 0.5 },
    });
    expect(res.communities).toEqual([]);
    expect(res.stats.suppressedCommunities[0]?.scoreAfterSuppression).toBe(0);
  });
});
