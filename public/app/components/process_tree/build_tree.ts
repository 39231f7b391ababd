/**
 * Turns a community's creation edges into a forest of processes for drawing. Pure, so the odd
 * shapes real telemetry produces (parents known only from their children, loops from reused
 * entity ids) are tested without a browser.
 */
import type { CommunityEdge } from '../../api_types';

export interface ProcessTreeNode {
  entityId: string;
  name: string;
  commandLine?: string;
  /** The edge that created this process inside the community (absent for roots). */
  edge?: CommunityEdge;
  children: ProcessTreeNode[];
  /** On the path from a root to the process the driving (highest-anomaly) edge created. */
  onDrivingChain: boolean;
}

export interface TreeInput {
  edges: readonly CommunityEdge[];
  entityIds?: readonly string[];
  drivingEdge?: Pick<CommunityEdge, 'childEntityId'>;
}

export function buildProcessTree({
  edges,
  entityIds = [],
  drivingEdge,
}: TreeInput): ProcessTreeNode[] {
  const incoming = new Map<string, CommunityEdge>();
  const outgoing = new Map<string, CommunityEdge[]>();
  const names = new Map<string, { name: string; commandLine?: string }>();
  const sorted = [...edges].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (const e of sorted) {
    // Duplicate creations are folded upstream; keep the first if a child still appears twice.
    if (!incoming.has(e.childEntityId)) incoming.set(e.childEntityId, e);
    const list = outgoing.get(e.parentEntityId);
    if (list) list.push(e);
    else outgoing.set(e.parentEntityId, [e]);
    names.set(e.childEntityId, { name: e.childName, commandLine: e.commandLine });
    if (!names.has(e.parentEntityId)) {
      names.set(e.parentEntityId, { name: e.parentName, commandLine: e.parentCommandLine });
    }
  }
  for (const id of entityIds) if (!names.has(id)) names.set(id, { name: id });

  const driving = new Set<string>();
  for (let id = drivingEdge?.childEntityId; id !== undefined && !driving.has(id);) {
    driving.add(id);
    id = incoming.get(id)?.parentEntityId;
  }

  const placed = new Set<string>();
  const build = (id: string): ProcessTreeNode => {
    placed.add(id);
    const info = names.get(id) ?? { name: id };
    const children: ProcessTreeNode[] = [];
    for (const e of outgoing.get(id) ?? []) {
      if (placed.has(e.childEntityId) || incoming.get(e.childEntityId) !== e) continue;
      children.push(build(e.childEntityId));
    }
    return {
      entityId: id,
      name: info.name,
      commandLine: info.commandLine,
      edge: incoming.get(id),
      children,
      onDrivingChain: driving.has(id),
    };
  };

  const roots: ProcessTreeNode[] = [];
  const order = [...names.keys()];
  for (const id of order) if (!incoming.has(id) && !placed.has(id)) roots.push(build(id));
  // Whatever is left sits on a loop with no entry point: start it at its earliest creation.
  for (const e of sorted) if (!placed.has(e.parentEntityId)) roots.push(build(e.parentEntityId));
  for (const id of order) if (!placed.has(id)) roots.push(build(id));
  return roots;
}

export function countNodes(nodes: readonly ProcessTreeNode[]): number {
  return nodes.reduce((n, node) => n + 1 + countNodes(node.children), 0);
}
