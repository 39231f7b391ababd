import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ScoredEvent } from '../../../common/types/scoring';
import { detectCommunities } from './communities';
import { findBadCommunities, renderChain } from './find_bad_communities';
import { NoPrevalence } from './prevalence';
import { buildProcessGraph } from './process_graph';
import { scoredEvent } from './testing/events';

describe('buildProcessGraph', () => {
  it('draws one node per process and one edge per creation, parents from parent fields', () => {
    const pg = buildProcessGraph(
      [
        scoredEvent({
          entity: 'b',
          parent: 'a',
          name: 'cmd.exe',
          parentName: 'explorer.exe',
          score: 0.2,
          t: 1,
        }),
        scoredEvent({
          entity: 'c',
          parent: 'b',
          name: 'whoami.exe',
          parentName: 'cmd.exe',
          score: 0.9,
          t: 2,
        }),
      ],
      'host-a',
    );
    expect(pg.graph.order).toBe(3);
    expect(pg.graph.size).toBe(2);
    expect(pg.graph.getNodeAttributes('a')).toMatchObject({ name: 'explorer.exe', creation: -1 });
    expect(pg.graph.getEdgeAttribute(pg.graph.edge('b', 'c') as string, 'weight')).toBe(0.9);
    expect(pg.stats.parentsWithoutEvent).toBe(1);
  });

  it('folds duplicate records of one creation into one edge with the highest score first', () => {
    const pg = buildProcessGraph(
      [
        scoredEvent({ id: 'x1', entity: 'b', parent: 'a', name: 'cmd.exe', score: 0.2 }),
        scoredEvent({ id: 'x2', entity: 'b', parent: 'a', name: 'cmd.exe', score: 0.7 }),
      ],
      'h',
    );
    expect(pg.graph.size).toBe(1);
    const attrs = pg.graph.getEdgeAttributes(pg.graph.edge('a', 'b') as string);
    expect(attrs.weight).toBe(0.7);
    expect(pg.events[attrs.events[0] as number]?.event.event.id).toBe('x2');
    expect(pg.stats.duplicateCreations).toBe(1);
  });

  it('keeps a self-parented event on its node without a self loop', () => {
    const pg = buildProcessGraph(
      [scoredEvent({ entity: 'a', parent: 'a', name: 'x.exe', score: 0.9 })],
      'h',
    );
    expect(pg.graph.order).toBe(1);
    expect(pg.graph.size).toBe(0);
    expect(pg.stats.selfParented).toBe(1);
    expect(pg.ownerOf[0]).toBe('a');
  });

  it('resolves a parent named only by pid to the latest earlier process with that pid', () => {
    const pg = buildProcessGraph(
      [
        scoredEvent({ id: 'old', entity: 'p-old', name: 'cmd.exe', pid: 100, t: 0 }),
        scoredEvent({ id: 'new', entity: 'p-new', name: 'cmd.exe', pid: 100, t: 1000 }),
        scoredEvent({
          id: 'child',
          entity: 'c',
          name: 'whoami.exe',
          parentPid: 100,
          parentName: 'cmd.exe',
          t: 2000,
        }),
        scoredEvent({ id: 'orphan', entity: 'o', name: 'x.exe', t: 3000 }),
      ],
      'h',
    );
    expect(pg.graph.hasEdge('p-new', 'c')).toBe(true);
    expect(pg.stats.parentsResolvedByPid).toBe(1);
    // Nothing identifies the orphan's parent: it gets its own, not a shared "unknown".
    expect(pg.parentOf[3]).toBe('orphan-parent:o');
  });

  it('clamps broken scores', () => {
    const pg = buildProcessGraph(
      [
        scoredEvent({ entity: 'b', parent: 'a', name: 'x.exe', score: NaN }),
        scoredEvent({ entity: 'c', parent: 'a', name: 'y.exe', score: 7 }),
        scoredEvent({ entity: 'd', parent: 'a', name: 'z.exe', score: -1 }),
      ],
      'h',
    );
    expect(pg.graph.mapEdges((_e, a) => a.weight).sort()).toEqual([0, 0, 1]);
  });
});

// --- property tests -------------------------------------------------------------------------

const ids = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
const arbEvent = fc.record({
  entity: fc.constantFrom(...ids),
  parent: fc.option(fc.constantFrom(...ids), { nil: undefined }),
  parentPid: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  pid: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  name: fc.constantFrom('cmd.exe', 'powershell.exe', 'services.exe', 'explorer.exe', 'whoami.exe'),
  score: fc.oneof(
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.constant(Number.NaN),
    fc.constant(2),
  ),
  t: fc.integer({ min: 0, max: 10_000 }),
});
const arbEvents = fc
  .array(arbEvent, { maxLength: 40 })
  .map((xs) => xs.map((x, i) => scoredEvent({ ...x, id: `e${i}` })));

describe('graph building properties (cycles, self-parenting, missing parents, duplicates)', () => {
  it('accounts for every event exactly once and never draws a self loop', () => {
    fc.assert(
      fc.property(arbEvents, (events) => {
        const pg = buildProcessGraph(events, 'h');
        let inEdges = 0;
        pg.graph.forEachEdge((_e, a, s, t) => {
          expect(s).not.toBe(t);
          inEdges += a.events.length;
          for (const w of [a.weight]) expect(w >= 0 && w <= 1).toBe(true);
        });
        expect(inEdges + pg.stats.selfParented).toBe(events.length);
        events.forEach((_e, i) => {
          expect(pg.graph.hasNode(pg.ownerOf[i] as string)).toBe(true);
          expect(pg.graph.hasNode(pg.parentOf[i] as string)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on input order', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer(), (events, salt) => {
        const shuffled = [...events].sort(
          (a, b) =>
            ((a.event.event.id.length * 31 + salt) % 7) -
            ((b.event.event.id.length * 17 + salt) % 5),
        );
        const a = buildProcessGraph(events, 'h');
        const b = buildProcessGraph(shuffled, 'h');
        const edges = (pg: typeof a): string[] =>
          pg.graph
            .mapEdges(
              (_e, at, s, t) =>
                `${s}>${t}:${at.weight}:${at.events.map((i) => pg.events[i]?.event.event.id).join(',')}`,
            )
            .sort();
        expect(edges(b)).toEqual(edges(a));
        expect(b.graph.nodes().sort()).toEqual(a.graph.nodes().sort());
      }),
      { numRuns: 200 },
    );
  });

  it('communities, scoring and chain rendering terminate and cover every node, whatever the shape', async () => {
    await fc.assert(
      fc.asyncProperty(arbEvents, async (events) => {
        const pg = buildProcessGraph(events, 'h');
        const cr = detectCommunities(pg, 1);
        const covered = cr.members.flat();
        expect(new Set(covered).size).toBe(covered.length);
        expect(covered.length).toBe(pg.graph.order);
        const res = await findBadCommunities(events, {
          prevalence: new NoPrevalence(),
          threshold: 0,
          window: 'all',
          seed: 1,
        });
        for (const c of res.communities) {
          expect(c.events.length).toBeGreaterThan(0);
          expect(c.chain.length).toBeGreaterThan(0);
        }
        const flaggedEvents = res.communities.reduce((n, c) => n + c.events.length, 0);
        expect(flaggedEvents).toBeLessThanOrEqual(events.length);
      }),
      { numRuns: 150 },
    );
  });

  it('renders a cycle without looping', () => {
    expect(
      renderChain([
        { parentKey: 'a', childKey: 'b', parentName: 'a.exe', childName: 'b.exe' },
        { parentKey: 'b', childKey: 'a', parentName: 'b.exe', childName: 'a.exe' },
      ]),
    ).toBe('a.exe → b.exe → a.exe');
  });

  it('handles a million children of one parent in under 20 s', async () => {
    const n = 1_000_000;
    const base = Date.parse('2024-01-01T00:00:00.000Z');
    const events: ScoredEvent[] = new Array(n);
    const parent = { entity_id: 'root', name: 'services.exe', pid: 4 };
    for (let i = 0; i < n; i++) {
      events[i] = {
        event: {
          '@timestamp': new Date(base + (i % 3_600_000)).toISOString(),
          host: { name: 'big' },
          event: { category: ['process'], type: ['start'], action: 'start', id: `e${i}` },
          process: {
            entity_id: `c${i}`,
            name: 'svchost.exe',
            command_line: 'svchost.exe -k x',
            parent,
          },
          user: {},
          problemchild: { sources: [] },
        },
        score: i === 123_456 ? 0.99 : 0.01,
        scoreSource: 'model',
        topFeatures: [],
      };
    }
    // CPU time, not wall time: the bound is about our work, and CI machines are shared.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await findBadCommunities(events, {
      prevalence: new NoPrevalence(),
      threshold: 0.9,
      window: 'all',
      seed: 1,
    });
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    console.log(
      `1M children: ${(ms / 1000).toFixed(1)} s CPU, ${((performance.now() - t0) / 1000).toFixed(1)} s wall`,
    );
    expect(res.stats.nodes).toBe(n + 1);
    expect(res.stats.edges).toBe(n);
    expect(res.communities).toHaveLength(1);
    expect(res.communities[0]?.events[0]?.event.event.id).toBe('e123456');
    expect(ms).toBeLessThan(20_000);
  }, 180_000);
});
