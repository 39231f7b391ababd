/**
 * Positions for a community graph, from @dagrejs/dagre's layered layout (processes top to
 * bottom by generation, or left to right for very wide graphs). Only creations shape the layout; lineage links are drawn over it as
 * curves, so they never move the tree an analyst reads. Pure (no DOM), so it is timed in tests.
 */
import dagre from '@dagrejs/dagre';
import type { CommunityGraph } from './build_graph';

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 34;
const MARGIN = 16;

export interface Point {
  x: number;
  y: number;
}

export interface GraphLayout {
  rankdir: 'TB' | 'LR';
  width: number;
  height: number;
  /** Centre of each node. */
  nodes: Map<string, Point>;
  /** Polyline of each creation, by creation id. */
  creations: Map<string, Point[]>;
  /** SVG path of each lineage link, by link id. */
  lineage: Map<string, string>;
}

/**
 * Top to bottom by generation reads like a process tree; but a process with hundreds of children
 * makes that one rank thousands of pixels wide, unreadable when fitted. Such a graph is laid out
 * left to right instead, where a wide rank becomes a column that scrolls.
 */
export function layoutCommunityGraph(graph: CommunityGraph): GraphLayout {
  const tb = layoutWith(graph, 'TB');
  if (tb.width <= 2_400 || tb.width <= 3 * tb.height) return tb;
  return layoutWith(graph, 'LR');
}

function layoutWith(graph: CommunityGraph, rankdir: 'TB' | 'LR'): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir,
    nodesep: rankdir === 'TB' ? 18 : 10,
    ranksep: rankdir === 'TB' ? 46 : 60,
    edgesep: 8,
    marginx: MARGIN,
    marginy: MARGIN,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.entityId, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const c of graph.creations) {
    // A process that started itself has no edge to draw in a layered layout.
    if (c.from !== c.to) g.setEdge(c.from, c.to, { weight: c.onDrivingChain ? 4 : 1 }, c.id);
  }
  dagre.layout(g);

  const nodes = new Map<string, Point>();
  for (const n of graph.nodes) {
    const l = g.node(n.entityId) as { x?: number; y?: number } | undefined;
    nodes.set(n.entityId, { x: l?.x ?? 0, y: l?.y ?? 0 });
  }
  const creations = new Map<string, Point[]>();
  for (const c of graph.creations) {
    const l = c.from === c.to ? undefined : (g.edge(c.from, c.to, c.id) as { points?: Point[] });
    const a = nodes.get(c.from) as Point;
    const b = nodes.get(c.to) as Point;
    creations.set(c.id, l?.points && l.points.length > 1 ? l.points : [a, b]);
  }
  const lineage = new Map<string, string>();
  for (const link of graph.lineage) {
    const a = nodes.get(link.from);
    const b = nodes.get(link.to);
    if (!a || !b) continue;
    // Bow the curve sideways so it does not run over the creation edges it skips.
    const bow = 28 + 14 * (link.generations - 2);
    if (rankdir === 'TB') {
      const mx = (a.x + b.x) / 2 + (b.x >= a.x ? bow : -bow);
      const my = (a.y + b.y) / 2;
      lineage.set(
        link.id,
        `M ${a.x} ${a.y + NODE_HEIGHT / 2} Q ${mx} ${my} ${b.x} ${b.y - NODE_HEIGHT / 2}`,
      );
    } else {
      const mx = (a.x + b.x) / 2;
      const my = (a.y + b.y) / 2 + (b.y >= a.y ? bow : -bow);
      lineage.set(
        link.id,
        `M ${a.x + NODE_WIDTH / 2} ${a.y} Q ${mx} ${my} ${b.x - NODE_WIDTH / 2} ${b.y}`,
      );
    }
  }
  const label = g.graph() as { width?: number; height?: number };
  return {
    rankdir,
    width: Math.max(label.width ?? 0, NODE_WIDTH + 2 * MARGIN),
    height: Math.max(label.height ?? 0, NODE_HEIGHT + 2 * MARGIN),
    nodes,
    creations,
    lineage,
  };
}
