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

  // Depth-first with an explicit stack: an intruder can make a chain as deep as they like, and a
  // recursive walk overflowed the stack on a few thousand levels.
  const placed = new Set<string>();
  const build = (root: string): ProcessTreeNode => {
    const make = (id: string): ProcessTreeNode => {
      placed.add(id);
      const info = names.get(id) ?? { name: id };
      return {
        entityId: id,
        name: info.name,
        commandLine: info.commandLine,
        edge: incoming.get(id),
        children: [],
        onDrivingChain: driving.has(id),
      };
    };
    const top = make(root);
    const stack: Array<{ node: ProcessTreeNode; out: CommunityEdge[]; next: number }> = [
      { node: top, out: outgoing.get(root) ?? [], next: 0 },
    ];
    while (stack.length > 0) {
      const f = stack[stack.length - 1] as (typeof stack)[number];
      if (f.next >= f.out.length) {
        stack.pop();
        continue;
      }
      const e = f.out[f.next++] as CommunityEdge;
      if (placed.has(e.childEntityId) || incoming.get(e.childEntityId) !== e) continue;
      const child = make(e.childEntityId);
      f.node.children.push(child);
      stack.push({ node: child, out: outgoing.get(e.childEntityId) ?? [], next: 0 });
    }
    return top;
  };

  const roots: ProcessTreeNode[] = [];
  const order = [...names.keys()];
  for (const id of order) if (!incoming.has(id) && !placed.has(id)) roots.push(build(id));
  // Whatever is left sits on a loop with no entry point: start it at its earliest creation.
  for (const e of sorted) if (!placed.has(e.parentEntityId)) roots.push(build(e.parentEntityId));
  for (const id of order) if (!placed.has(id)) roots.push(build(id));
  return roots;
}

/** One process of the tree as a row: drawn flat, so a deep tree is not a deep DOM. */
export interface TreeRow {
  node: ProcessTreeNode;
  /** 0 for a root. */
  depth: number;
  /** The last child of its parent (or the last root). */
  isLast: boolean;
}

/** The tree in depth-first order, iteratively, stopping after `limit` rows. */
export function flattenTree(roots: readonly ProcessTreeNode[], limit = Infinity): TreeRow[] {
  const rows: TreeRow[] = [];
  const stack: TreeRow[] = [];
  for (let i = roots.length - 1; i >= 0; i--)
    stack.push({ node: roots[i] as ProcessTreeNode, depth: 0, isLast: i === roots.length - 1 });
  while (stack.length > 0 && rows.length < limit) {
    const row = stack.pop() as TreeRow;
    rows.push(row);
    const kids = row.node.children;
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({
        node: kids[i] as ProcessTreeNode,
        depth: row.depth + 1,
        isLast: i === kids.length - 1,
      });
  }
  return rows;
}

/** The node of a process, searched iteratively. */
export function findNode(
  roots: readonly ProcessTreeNode[],
  entityId: string,
): ProcessTreeNode | undefined {
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop() as ProcessTreeNode;
    if (n.entityId === entityId) return n;
    for (const c of n.children) stack.push(c);
  }
  return undefined;
}

export function countNodes(nodes: readonly ProcessTreeNode[]): number {
  let n = 0;
  const stack = [...nodes];
  while (stack.length > 0) {
    const node = stack.pop() as ProcessTreeNode;
    n++;
    for (const c of node.children) stack.push(c);
  }
  return n;
}
