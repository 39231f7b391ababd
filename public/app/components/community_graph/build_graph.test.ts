import { describe, expect, it } from 'vitest';
import type { CommunityEdge } from '../../api_types';
import { buildCommunityGraph, MAX_GRAPH_NODES, shortLabel } from './build_graph';
import { layoutCommunityGraph } from './layout_graph';

function edge(parent: string, child: string, ts: string, anomaly = 0.5): CommunityEdge {
  return {
    eventId: `${parent}>${child}`,
    eventIds: [],
    timestamp: ts,
    parentEntityId: parent,
    childEntityId: child,
    parentName: `${parent}.exe`,
    childName: `${child}.exe`,
    commandLineTemplate: '',
    score: anomaly,
    anomaly,
    prevalence: {} as CommunityEdge['prevalence'],
    topFeatures: [],
    techniques: [],
  };
}

const t = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();

describe('buildCommunityGraph', () => {
  it('draws every process and creation, and links each process to its (great-)grandparent', () => {
    const edges = [
      edge('word', 'cmd', t(1)),
      edge('cmd', 'ps', t(2), 0.95),
      edge('ps', 'net', t(3)),
      edge('ps', 'whoami', t(4)),
    ];
    const g = buildCommunityGraph({
      edges,
      entityIds: ['cmd', 'ps', 'net', 'whoami', 'lonely'],
      drivingEdge: { childEntityId: 'ps' },
    });
    expect(g.nodes.map((n) => n.entityId).sort()).toEqual(
      ['cmd', 'lonely', 'net', 'ps', 'whoami', 'word'].sort(),
    );
    expect(g.creations).toHaveLength(4);
    expect(g.clipped).toBe(false);
    expect(g.lineage.map((l) => `${l.from}>${l.to}:${l.generations}`).sort()).toEqual([
      'cmd>net:2',
      'cmd>whoami:2',
      'word>net:3',
      'word>ps:2',
      'word>whoami:3',
    ]);
    expect(
      g.nodes
        .filter((n) => n.onDrivingChain)
        .map((n) => n.entityId)
        .sort(),
    ).toEqual(['cmd', 'ps', 'word']);
    expect(g.creations.filter((c) => c.onDrivingChain).map((c) => c.id)).toEqual([
      'word>cmd',
      'cmd>ps',
    ]);
  });

  it('survives loops and self-parented processes', () => {
    const edges = [edge('a', 'b', t(1)), edge('b', 'a', t(2)), edge('c', 'c', t(3))];
    const g = buildCommunityGraph({ edges, drivingEdge: { childEntityId: 'a' } });
    expect(g.nodes).toHaveLength(3);
    expect(g.creations).toHaveLength(3);
    const l = layoutCommunityGraph(g);
    expect(l.nodes.size).toBe(3);
    expect(l.rankdir).toBe('TB');
  });

  it('keeps the driving chain and the most anomalous processes when clipped, and stays fast', () => {
    // A wide and deep community: one hub with 3,000 children, and a 50-step anomalous chain.
    const edges: CommunityEdge[] = [];
    for (let i = 0; i < 3_000; i++) edges.push(edge('hub', `leaf${i}`, t(i % 60), (i % 10) / 20));
    let prev = 'hub';
    for (let i = 0; i < 50; i++) {
      edges.push(edge(prev, `step${i}`, t(i), 0.99));
      prev = `step${i}`;
    }
    const t0 = performance.now();
    const g = buildCommunityGraph({ edges, drivingEdge: { childEntityId: 'step49' } });
    const layout = layoutCommunityGraph(g);
    const ms = performance.now() - t0;
    expect(g.clipped).toBe(true);
    expect(g.nodes).toHaveLength(MAX_GRAPH_NODES);
    expect(g.totalNodes).toBe(3_051);
    expect(g.totalCreations).toBe(3_050);
    const ids = new Set(g.nodes.map((n) => n.entityId));
    for (let i = 0; i < 50; i++) expect(ids.has(`step${i}`)).toBe(true);
    // Every drawn creation joins two drawn processes.
    for (const c of g.creations) expect(ids.has(c.from) && ids.has(c.to)).toBe(true);
    expect(layout.nodes.size).toBe(MAX_GRAPH_NODES);
    // A 250-child fan-out is laid out left to right, so it scrolls instead of shrinking to dots.
    expect(layout.rankdir).toBe('LR');
    expect(ms).toBeLessThan(3_000);
  });

  it('shortens long labels', () => {
    expect(shortLabel('a'.repeat(40))).toHaveLength(22);
    expect(shortLabel('cmd.exe')).toBe('cmd.exe');
  });
});
