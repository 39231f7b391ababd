/**
 * A community as a drawable graph: processes as nodes, creations as edges, and the lineage links
 * the clustering added (each process to its grandparent and great-grandparent, see
 * docs/scoring.md "Communities that follow lineage"), bounded so that the layout and the SVG stay
 * responsive whatever size of community the engine emits (it has no size cap of its own). Pure,
 * so the choice of what to draw is tested without a browser.
 */
import type { CommunityEdge } from '../../api_types';

/** Most processes drawn; a larger community shows its most anomalous part and says so. */
export const MAX_GRAPH_NODES = 300;
/** Generations above a process the clustering links it to (CommunityOptions.lineageDepth − 1). */
export const LINEAGE_GENERATIONS = [2, 3] as const;
const MIN_GENERATION = 2;
const MAX_GENERATION = 3;

export interface GraphNode {
  entityId: string;
  name: string;
  /** Highest anomaly of an edge into or out of it (what decides which nodes are kept). */
  weight: number;
  onDrivingChain: boolean;
}

export interface GraphCreation {
  kind: 'creation';
  id: string;
  from: string;
  to: string;
  edge: CommunityEdge;
  onDrivingChain: boolean;
}

export interface GraphLineageLink {
  kind: 'lineage';
  id: string;
  from: string;
  to: string;
  /** 2 = grandparent, 3 = great-grandparent. */
  generations: number;
}

export interface CommunityGraph {
  nodes: GraphNode[];
  creations: GraphCreation[];
  lineage: GraphLineageLink[];
  /** Processes and creations of the whole community. */
  totalNodes: number;
  totalCreations: number;
  clipped: boolean;
}

export interface GraphInput {
  edges: readonly CommunityEdge[];
  entityIds?: readonly string[];
  drivingEdge?: Pick<CommunityEdge, 'childEntityId'>;
  maxNodes?: number;
}

export function buildCommunityGraph({
  edges,
  entityIds = [],
  drivingEdge,
  maxNodes = MAX_GRAPH_NODES,
}: GraphInput): CommunityGraph {
  const names = new Map<string, string>();
  const weight = new Map<string, number>();
  const parentOf = new Map<string, string>();
  const bump = (id: string, w: number) => weight.set(id, Math.max(weight.get(id) ?? 0, w));
  const sorted = [...edges].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (const e of sorted) {
    names.set(e.childEntityId, e.childName);
    if (!names.has(e.parentEntityId)) names.set(e.parentEntityId, e.parentName);
    bump(e.parentEntityId, e.anomaly);
    bump(e.childEntityId, e.anomaly);
    // The first creation of a process is its lineage (a reused id may appear twice).
    if (!parentOf.has(e.childEntityId) && e.parentEntityId !== e.childEntityId)
      parentOf.set(e.childEntityId, e.parentEntityId);
  }
  for (const id of entityIds) if (!names.has(id)) names.set(id, id);

  const driving = new Set<string>();
  for (let id = drivingEdge?.childEntityId; id !== undefined && !driving.has(id);) {
    driving.add(id);
    id = parentOf.get(id);
  }

  // Keep the driving chain first, then the heaviest nodes; ties by id for a stable picture.
  const all = [...names.keys()];
  const kept = new Set<string>();
  if (all.length <= maxNodes) for (const id of all) kept.add(id);
  else {
    for (const id of driving) if (kept.size < maxNodes) kept.add(id);
    const rest = all
      .filter((id) => !kept.has(id))
      .sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0) || (a < b ? -1 : 1));
    for (const id of rest) {
      if (kept.size >= maxNodes) break;
      kept.add(id);
    }
  }

  const nodes: GraphNode[] = all
    .filter((id) => kept.has(id))
    .map((id) => ({
      entityId: id,
      name: names.get(id) ?? id,
      weight: weight.get(id) ?? 0,
      onDrivingChain: driving.has(id),
    }));
  const creations: GraphCreation[] = [];
  for (const e of sorted) {
    if (!kept.has(e.parentEntityId) || !kept.has(e.childEntityId)) continue;
    creations.push({
      kind: 'creation',
      id: e.eventId,
      from: e.parentEntityId,
      to: e.childEntityId,
      edge: e,
      onDrivingChain:
        driving.has(e.childEntityId) && parentOf.get(e.childEntityId) === e.parentEntityId,
    });
  }
  const lineage: GraphLineageLink[] = [];
  for (const id of kept) {
    let up: string | undefined = id;
    const seen = new Set<string>([id]);
    for (let g = 1; g <= MAX_GENERATION; g++) {
      up = up === undefined ? undefined : parentOf.get(up);
      if (up === undefined || seen.has(up)) break;
      seen.add(up);
      if (g >= MIN_GENERATION && kept.has(up)) {
        lineage.push({ kind: 'lineage', id: `${up}→${id}`, from: up, to: id, generations: g });
      }
    }
  }
  return {
    nodes,
    creations,
    lineage,
    totalNodes: all.length,
    totalCreations: edges.length,
    clipped: nodes.length < all.length,
  };
}

/** Labels longer than this are cut in the drawing (the full name is in the node's tooltip). */
export const LABEL_CHARS = 22;

export function shortLabel(name: string): string {
  return name.length > LABEL_CHARS ? `${name.slice(0, LABEL_CHARS - 1)}…` : name;
}
