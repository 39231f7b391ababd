/**
 * One host's process graph for one time window: nodes are processes (by entity id), edges are
 * process-creation events weighted by the model score.
 *
 * A plain (non-multi) directed graph is enough: a process is created once, so a second event for
 * the same parent→child pair is a duplicate record of that creation (e.g. a Sysmon/4688 twin the
 * normaliser could not merge) and is folded into the same edge rather than drawn twice, which
 * would double its weight in Louvain.
 */
import { DirectedGraph } from 'graphology';
import type { ScoredEvent } from '../../../common/types/scoring';
import { processName } from './names';

export interface ProcessNodeAttributes {
  entityId: string;
  /** Lower-cased basename. */
  name: string;
  executable?: string;
  commandLine?: string;
  pid?: number;
  /** Index (into the group's events) of this process's creation event; -1 when only seen as a parent. */
  creation: number;
  /** The creation event named the process as its own parent (bad data): it gets no edge. */
  selfParented: boolean;
}

export interface CreationEdgeAttributes {
  /** Model score; the highest one when several events record this creation. */
  weight: number;
  /** Indexes into the group's events, representative (highest score) first. */
  events: number[];
}

export type ProcessDiGraph = DirectedGraph<ProcessNodeAttributes, CreationEdgeAttributes>;

export interface ProcessGraph {
  host: string;
  graph: ProcessDiGraph;
  /** The events the graph was built from (indexes in node/edge attributes point here). */
  events: ScoredEvent[];
  /** For every event, the entity id of the process it created (the node that owns the event). */
  ownerOf: string[];
  /** For every event, the node key of its parent (equal to `ownerOf[i]` for a self-parented event). */
  parentOf: string[];
  stats: ProcessGraphStats;
}

export interface ProcessGraphStats {
  events: number;
  nodes: number;
  edges: number;
  selfParented: number;
  parentsWithoutEvent: number;
  duplicateCreations: number;
  /** Parents named only by pid, matched to a process of this group with that pid. */
  parentsResolvedByPid: number;
}

function timeOf(e: ScoredEvent): number {
  const t = Date.parse(e.event['@timestamp']);
  return Number.isFinite(t) ? t : 0;
}

/**
 * Sorting first makes node and edge insertion order (and so Louvain's traversal under a fixed
 * seed) independent of the order events arrived in.
 */
function canonicalOrder(events: ScoredEvent[], times: Float64Array): number[] {
  const idx = events.map((_, i) => i);
  idx.sort((a, b) => {
    const d = (times[a] ?? 0) - (times[b] ?? 0);
    if (d !== 0) return d;
    const ia = events[a]?.event.event.id ?? '';
    const ib = events[b]?.event.event.id ?? '';
    return ia < ib ? -1 : ia > ib ? 1 : a - b;
  });
  return idx;
}

/**
 * Creation edge key. The parent's length comes first because ids may contain any character
 * (documents read back as stored are not re-normalised): with a bare separator, parent `a\0b`
 * → child `c` and parent `a` → child `b\0c` would share a key.
 */
export function edgeKeyOf(parent: string, child: string): string {
  return `${parent.length}:${parent}\u0000${child}`;
}

/** Scores outside 0..1 (or NaN from a broken scorer) must not poison modularity. */
export function clampScore(s: number): number {
  if (!Number.isFinite(s)) return 0;
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/**
 * Builds the graph of one host-window group. `host` is only recorded; grouping is the caller's job.
 */
export function buildProcessGraph(events: ScoredEvent[], host: string): ProcessGraph {
  const graph: ProcessDiGraph = new DirectedGraph<ProcessNodeAttributes, CreationEdgeAttributes>({
    allowSelfLoops: false,
  });
  const times = new Float64Array(events.length);
  events.forEach((e, i) => (times[i] = timeOf(e)));
  const order = canonicalOrder(events, times);
  const ownerOf: string[] = new Array<string>(events.length);
  const parentOf: string[] = new Array<string>(events.length);
  const stats: ProcessGraphStats = {
    events: events.length,
    nodes: 0,
    edges: 0,
    selfParented: 0,
    parentsWithoutEvent: 0,
    duplicateCreations: 0,
    parentsResolvedByPid: 0,
  };

  // Sources without parent entity ids (4688 records) name the parent by pid only; pids are
  // reused, so a pid resolves to the latest process with that pid started no later than the child.
  const byPid = new Map<number, Array<{ t: number; entityId: string; name: string }>>();
  for (const i of order) {
    const e = events[i];
    if (!e) continue;
    const pid = e.event.process.pid;
    if (pid === undefined) continue;
    let list = byPid.get(pid);
    if (!list) byPid.set(pid, (list = []));
    list.push({
      t: times[i] ?? 0,
      entityId: e.event.process.entity_id,
      name: processName(e.event.process.name),
    });
  }

  const parentKey = (e: ScoredEvent, t: number): string => {
    const p = e.event.process.parent;
    if (p.entity_id) return p.entity_id;
    const pname = processName(p.name ?? p.executable);
    if (p.pid !== undefined) {
      const list = byPid.get(p.pid);
      let found: string | undefined;
      if (list) {
        for (const c of list) {
          if (c.t > t) break;
          if (c.entityId === e.event.process.entity_id) continue;
          if (pname !== 'unknown' && c.name !== pname) continue;
          found = c.entityId;
        }
      }
      if (found) {
        stats.parentsResolvedByPid++;
        return found;
      }
      return `pid:${p.pid}:${pname}`;
    }
    // Nothing identifies the parent: give each such child its own parent node rather than
    // joining unrelated processes through a shared "unknown".
    return `orphan-parent:${e.event.process.entity_id}`;
  };

  // Children of one parent usually arrive together: remembering the last parent saves a lookup
  // per event on hub-heavy graphs.
  let lastParent = '';
  const ensureNode = (key: string, attrs: () => ProcessNodeAttributes): void => {
    if (key === lastParent) return;
    if (!graph.hasNode(key)) graph.addNode(key, attrs());
    lastParent = key;
  };

  for (const i of order) {
    const e = events[i];
    if (!e) continue;
    const proc = e.event.process;
    const child = proc.entity_id;
    ownerOf[i] = child;
    const childName = processName(proc.name ?? proc.executable);

    // A creation edge can already exist only if its child was seen before.
    const childKnown = graph.hasNode(child);
    if (childKnown) {
      const a = graph.getNodeAttributes(child);
      if (a.creation < 0) {
        // Seen first as somebody's parent: now we know how it was started.
        graph.mergeNodeAttributes(child, {
          creation: i,
          name: childName,
          executable: proc.executable,
          commandLine: proc.command_line,
          pid: proc.pid,
        });
      }
    } else {
      graph.addNode(child, {
        entityId: child,
        name: childName,
        executable: proc.executable,
        commandLine: proc.command_line,
        pid: proc.pid,
        creation: i,
        selfParented: false,
      });
    }

    const parent = parentKey(e, times[i] ?? 0);
    parentOf[i] = parent;
    if (parent === child) {
      stats.selfParented++;
      graph.setNodeAttribute(child, 'selfParented', true);
      continue;
    }
    const p = proc.parent;
    ensureNode(parent, () => ({
      entityId: parent,
      name: processName(p.name ?? p.executable),
      executable: p.executable,
      commandLine: p.command_line,
      pid: p.pid,
      creation: -1,
      selfParented: false,
    }));

    const score = clampScore(e.score);
    // Explicit keys: graphology's generated keys cost a uniqueness check each, and the key
    // doubles as the duplicate-creation lookup.
    const edgeKey = edgeKeyOf(parent, child);
    const existing = childKnown && graph.hasEdge(edgeKey) ? edgeKey : undefined;
    if (existing !== undefined) {
      stats.duplicateCreations++;
      const attrs = graph.getEdgeAttributes(existing);
      const first = attrs.events[0];
      const firstScore = first === undefined ? -1 : clampScore(events[first]?.score ?? 0);
      // Keep the highest-scored record as the representative: the edge is as suspicious as its
      // most suspicious record.
      if (score > firstScore) attrs.events.unshift(i);
      else attrs.events.push(i);
      if (score > attrs.weight) graph.setEdgeAttribute(existing, 'weight', score);
    } else {
      graph.addDirectedEdgeWithKey(edgeKey, parent, child, { weight: score, events: [i] });
    }
  }

  graph.forEachNode((_n, a) => {
    if (a.creation < 0) stats.parentsWithoutEvent++;
  });
  stats.nodes = graph.order;
  stats.edges = graph.size;
  return { host, graph, events, ownerOf, parentOf, stats };
}
