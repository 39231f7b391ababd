import { describe, expect, it } from 'vitest';
import { detectCommunities } from './communities';
import { buildProcessGraph } from './process_graph';
import { scoredEvent } from './testing/events';
import { scoreWithHeuristic } from './testing/heuristic_scorer';
import { syntheticEnvironment } from './testing/synthetic_hosts';

function hostEvents(seed: number) {
  const env = syntheticEnvironment({
    seed,
    hosts: 1,
    benignEventsPerHost: 600,
    attacks: [{ host: 0, kind: 'office_macro', offsetMs: 1_200_000 }],
  });
  return { env, scored: scoreWithHeuristic(env.map((l) => l.event)) };
}

function partition(members: string[][]): string[] {
  return members.map((m) => [...m].sort().join(',')).sort();
}

describe('detectCommunities', () => {
  it('is reproducible for a seed, and independent of input order', () => {
    const { scored } = hostEvents(3);
    const a = detectCommunities(buildProcessGraph(scored, 'h'), 7);
    const b = detectCommunities(buildProcessGraph([...scored].reverse(), 'h'), 7);
    expect(partition(b.members)).toEqual(partition(a.members));
    expect(b.members).toEqual(a.members);
  });

  it('puts every node in exactly one community', () => {
    const { scored } = hostEvents(4);
    const pg = buildProcessGraph(scored, 'h');
    const cr = detectCommunities(pg, 1);
    const all = cr.members.flat();
    expect(all.length).toBe(pg.graph.order);
    expect(new Set(all).size).toBe(all.length);
    for (const [node, c] of cr.communityOf) expect(cr.members[c]).toContain(node);
  });

  it('keeps the attack chain together and away from the service tree', () => {
    const { env, scored } = hostEvents(5);
    const pg = buildProcessGraph(scored, 'h');
    const cr = detectCommunities(pg, 42);
    const attackOwners = env.filter((l) => l.malicious).map((l) => l.event.process.entity_id);
    const comms = new Set(attackOwners.map((o) => cr.communityOf.get(o)));
    expect(comms.size).toBe(1);
    const members = cr.members[[...comms][0] as number] as string[];
    const names = members.map((m) => pg.graph.getNodeAttribute(m, 'name'));
    expect(names).not.toContain('services.exe');
    expect(names).not.toContain('explorer.exe');
    expect(members.length).toBeLessThanOrEqual(attackOwners.length + 2);
  });

  it('treats named system processes as hubs but not an anomalous process with anomalous children', () => {
    const events = [
      scoredEvent({
        entity: 'svc',
        parent: 'wininit',
        name: 'services.exe',
        parentName: 'wininit.exe',
        score: 0.02,
        t: 0,
      }),
      ...Array.from({ length: 20 }, (_, i) =>
        scoredEvent({
          entity: `s${i}`,
          parent: 'svc',
          name: 'svchost.exe',
          parentName: 'services.exe',
          score: 0.02,
          t: 10 + i,
        }),
      ),
      scoredEvent({
        entity: 'ps',
        parent: 'word',
        name: 'powershell.exe',
        parentName: 'winword.exe',
        score: 0.95,
        t: 100,
      }),
      ...Array.from({ length: 20 }, (_, i) =>
        scoredEvent({
          entity: `d${i}`,
          parent: 'ps',
          name: 'net.exe',
          parentName: 'powershell.exe',
          score: 0.9,
          t: 200 + i,
        }),
      ),
    ];
    const pg = buildProcessGraph(events, 'h');
    const cr = detectCommunities(pg, 1);
    expect(cr.hubs).toContain('svc');
    expect(cr.hubs).not.toContain('ps');
    // The attacker's discovery burst is one community; the service tree does not join it.
    const c = cr.communityOf.get('d0');
    for (let i = 0; i < 20; i++) expect(cr.communityOf.get(`d${i}`)).toBe(c);
    expect(cr.communityOf.get('svc')).not.toBe(c);
  });

  it('bridges one weak step inside a strong chain through lineage links', () => {
    const chain = ['a', 'b', 'c', 'd', 'e', 'f'];
    const scores = [0.9, 0.9, 0.05, 0.9, 0.9];
    const events = chain.slice(1).map((id, i) =>
      scoredEvent({
        entity: id,
        parent: chain[i],
        name: `${id}.exe`,
        parentName: `${chain[i]}.exe`,
        score: scores[i],
        t: i,
      }),
    );
    // Benign background so the chain is not the whole graph.
    for (let i = 0; i < 60; i++)
      events.push(
        scoredEvent({
          entity: `bg${i}`,
          parent: `bgp${i % 6}`,
          name: 'x.exe',
          score: 0.05,
          t: 100 + i,
        }),
      );
    const pg = buildProcessGraph(events, 'h');
    const lineage = detectCommunities(pg, 1);
    const lineageComms = new Set(chain.slice(1).map((n) => lineage.communityOf.get(n)));
    expect(lineageComms.size).toBe(1);
    const raw = detectCommunities(pg, 1, { mode: 'raw' });
    const rawComms = new Set(chain.slice(1).map((n) => raw.communityOf.get(n)));
    expect(rawComms.size).toBeGreaterThan(1);
  });

  it('handles a graph without edges', () => {
    const pg = buildProcessGraph([scoredEvent({ entity: 'a', parent: 'a', name: 'x.exe' })], 'h');
    const cr = detectCommunities(pg, 1);
    expect(cr.members).toEqual([['a']]);
  });
});
