/**
 * Louvain communities of a process graph, weighted so that communities follow process lineage.
 *
 * Plain Louvain on the raw directed graph (mode 'raw', kept as the measured baseline) has three
 * failure modes on process trees, all visible in `lineage_eval.test.ts`:
 *  - hubs (services.exe, explorer.exe, wmiprvse.exe, a scheduler svchost) connect hundreds of
 *    unrelated subtrees, so an attack started from a hub is merged with benign siblings;
 *  - on a path, modularity prefers cutting a long chain into pieces of about √m edges, so a long
 *    attack chain is split, worst on small hosts where the chain is most of the graph;
 *  - one low-scored step in the middle of a chain (cmd.exe → conhost-looking step) is where
 *    Louvain cuts.
 *
 * Mode 'lineage' (the default) counters each one, on a separate undirected clustering graph (the
 * process graph itself is not changed):
 *  1. Hub split. A node is a hub when it is a known structural parent (HUB_NAMES) or has at
 *     least `hubMinChildren` children, unless its own creation is anomalous (score ≥
 *     hubMaxOwnScore) *and* at least half its children are too — an attacker's PowerShell that
 *     starts thirty discovery commands is not a hub. A hub's edges to children scored <
 *     `hubKeepScore` are dropped, so benign siblings no longer glue to an attack through their
 *     common parent. Its edges to children scored higher are moved to a virtual copy of the hub,
 *     so several anomalous children of one WMI or service host started within `siblingWindowMs`
 *     of each other still end up together, while the real hub node (and its own, benign
 *     creation event) stays with its parent.
 *  2. Entry-point split. The same for any other process that looks clearly benign for
 *     `lineageDepth` generations (its own and its nearest ancestors' creation scores <
 *     entryMaxOwnScore, or not seen) with a child scored ≥ `entryScore`: that edge goes to the
 *     virtual copy, its benign edges stay. A lukewarm score or an anomalous ancestor (a payload
 *     started by an anomalous cmd.exe, a benign-looking step in the middle of a chain) does not
 *     make an entry point. Otherwise modularity makes Outlook (the parent of a
 *     malicious attachment) join the attack and bring its browser and Excel children along:
 *     a low-weight leaf always joins its parent's community.
 *  3. Sharpening: w = floor + s^sharpen. With γ = 2 a 0.9 edge weighs ~80× a 0.1 edge (raw: 9×),
 *     so benign weight around an attack is too light to pull it into a benign community; the
 *     small floor keeps benign structure from dissolving into singletons.
 *  4. Lineage links: every node is also linked to its ancestors up to `lineageDepth` levels up
 *     (not through a cut or virtual edge), with weight decay^(k−1) × geometric mean of the
 *     sharpened weights on the path. A high-scored chain becomes a dense band, so Louvain has no
 *     cheap place to cut it, and one weak step in the middle is bridged by its neighbours.
 *  5. Louvain (seeded; resolution 0.5 because attack chains are often most of a small host's
 *     weight, where modularity at resolution 1 prefers to cut them).
 *  6. Louvain can return internally disconnected communities (Traag et al. 2019); each community
 *     is split into its connected components in the clustering graph, so a community is always
 *     one connected piece of lineage. Virtual copies are removed afterwards.
 *  7. Anomalous neighbours merge: see mergeAnomalousNeighbours.
 * Raw against lineage-aware, measured on labelled chains: lineage_eval.test.ts and
 * the README, "How scoring works" (the per-step choices were tuned on the same measurement).
 */
import { DirectedGraph, UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
import type { ProcessGraph } from './process_graph';
import { seededRng } from '../prng';

/** Processes that routinely parent many unrelated children. */
export const HUB_NAMES: readonly string[] = [
  'services.exe',
  'explorer.exe',
  'wmiprvse.exe',
  'svchost.exe',
  'winlogon.exe',
  'wininit.exe',
  'smss.exe',
  'userinit.exe',
  'taskeng.exe',
  'taskhostw.exe',
  'dllhost.exe',
  'runtimebroker.exe',
  'system',
];

export interface CommunityOptions {
  /** 'raw' = the research baseline (directed graph, raw score weights); 'lineage' = see file header. */
  mode: 'raw' | 'lineage';
  resolution: number;
  sharpen: number;
  floor: number;
  lineageDepth: number;
  lineageDecay: number;
  hubMinChildren: number;
  hubNames: readonly string[];
  hubMaxOwnScore: number;
  hubKeepScore: number;
  /** Anomalous children of one hub or entry point are linked only within buckets this long (ms; 0 = always). */
  siblingWindowMs: number;
  /** Entry-point split: children scored at least this leave a parent that looks benign... */
  entryScore: number;
  /** ...meaning its own creation and its parent's scored below this. */
  entryMaxOwnScore: number;
  /** Louvain on the directed clustering graph instead of the undirected one. */
  directed: boolean;
  splitDisconnected: boolean;
  /**
   * A community is merged with the community of its parent process when that parent's own
   * creation and some edge of the community both score at least this (> 1 disables).
   */
  mergeScore: number;
}

export const DEFAULT_COMMUNITY_OPTIONS: CommunityOptions = {
  mode: 'lineage',
  resolution: 0.5,
  sharpen: 2,
  floor: 0.01,
  lineageDepth: 3,
  lineageDecay: 0.5,
  hubMinChildren: 12,
  hubNames: HUB_NAMES,
  hubMaxOwnScore: 0.5,
  hubKeepScore: 0.8,
  siblingWindowMs: 30 * 60_000,
  entryScore: 0.5,
  entryMaxOwnScore: 0.2,
  directed: false,
  splitDisconnected: true,
  mergeScore: 0.5,
};

export interface CommunityResult {
  /** Node key → community index. */
  communityOf: Map<string, number>;
  /** Community index → node keys. */
  members: string[][];
  hubs: string[];
  modularity: number;
  clusteringEdges: number;
}

type Weighted = { weight: number };

/** Clustering graph as integer edge lists (node id → key in `names`). */
interface Clustering {
  names: string[];
  ea: number[];
  eb: number[];
  ew: number[];
  hubs: Set<string>;
  detached: Set<string>;
}

/** Edge keys pack two node ids below 2^26 into one exact double. */
const ID_SPACE = 2 ** 26;

/** Virtual hub copies; \u0001 cannot occur in an entity id from any supported source. */
const VIRTUAL_PREFIX = '\u0001hub:';

/** Highest score among the creation edges into each node (absent: creation not seen). */
function creationScores(pg: ProcessGraph): Map<string, number> {
  const own = new Map<string, number>();
  pg.graph.forEachEdge((_e, a, _s, t) => {
    const prev = own.get(t);
    if (prev === undefined || a.weight > prev) own.set(t, a.weight);
  });
  return own;
}

function buildClusteringGraph(pg: ProcessGraph, o: CommunityOptions): Clustering {
  const src = pg.graph;
  const hubNames = new Set(o.hubNames.map((n) => n.toLowerCase()));
  const sharp = (s: number): number => o.floor + Math.pow(s, o.sharpen);

  const own = creationScores(pg);
  // Lineage is walked through the highest-scored creation when bad data gives a node two parents.
  const firstParent = (node: string): string | undefined => {
    let best: string | undefined;
    let bestW = -1;
    src.forEachInEdge(node, (_e, a, up) => {
      if (a.weight > bestW) {
        best = up;
        bestW = a.weight;
      }
    });
    return best;
  };

  const hubs = new Set<string>();
  src.forEachNode((node, a) => {
    const out = src.outDegree(node);
    if (out === 0) return;
    if (!hubNames.has(a.name) && out < o.hubMinChildren) return;
    // Not a hub only if it looks like part of an attack itself: an anomalous creation *and*
    // mostly anomalous children. One misfired score on services.exe must not let its whole
    // service tree fall into an attack community.
    const ownScore = own.get(node);
    if (ownScore !== undefined && ownScore >= o.hubMaxOwnScore) {
      let high = 0;
      src.forEachOutEdge(node, (_e, attrs) => {
        if (attrs.weight >= o.hubKeepScore) high++;
      });
      if (high * 2 >= out) return;
    }
    hubs.add(node);
  });

  // Only nodes with a clustering edge enter the Louvain graph: the rest (children cut off a hub,
  // lone processes) are singletons anyway, and on hub-heavy hosts they are most of the nodes.
  // Weights are accumulated on integer ids first and the graphology graph is built once: a
  // lookup-and-update per edge through graphology costs several times more on large hosts.
  const names: string[] = [];
  const index = new Map<string, number>();
  const idOf = (key: string): number => {
    let i = index.get(key);
    if (i === undefined) {
      i = names.length;
      index.set(key, i);
      names.push(key);
    }
    return i;
  };
  const edgeOf = new Map<number, number>();
  const ea: number[] = [];
  const eb: number[] = [];
  const ew: number[] = [];

  // One virtual copy per parent and time bucket: anomalous children started together (one
  // operator session through WMI) stay together, an unrelated alert hours later does not join.
  const virtualOf = (hub: string, eventIndex: number | undefined): string => {
    const t = Date.parse(pg.events[eventIndex ?? -1]?.event['@timestamp'] ?? '');
    const bucket =
      o.siblingWindowMs > 0 && Number.isFinite(t) ? Math.floor(t / o.siblingWindowMs) : 0;
    return `${VIRTUAL_PREFIX}${bucket}:${hub}`;
  };

  // An entry point looks clearly benign for `lineageDepth` generations (itself and its nearest
  // ancestors): Outlook started by explorer.exe started by userinit.exe is one; a payload started
  // by an anomalous cmd.exe, or a benign-looking cmd.exe → fodhelper.exe step in the middle of a
  // chain, is not.
  const benign = (node: string): boolean => (own.get(node) ?? 0) < o.entryMaxOwnScore;
  const entryMemo = new Map<string, boolean>();
  const isEntryPoint = (node: string): boolean => {
    let r = entryMemo.get(node);
    if (r === undefined) {
      r = true;
      let cur: string | undefined = node;
      const seen: string[] = [];
      for (
        let k = 0;
        k < Math.max(2, o.lineageDepth) && cur !== undefined && !seen.includes(cur);
        k++
      ) {
        if (!benign(cur)) {
          r = false;
          break;
        }
        seen.push(cur);
        cur = firstParent(cur);
      }
      entryMemo.set(node, r);
    }
    return r;
  };

  const addWeight = (from: string, to: string, w: number): void => {
    if (from === to || w <= 0) return;
    let x = idOf(from);
    let y = idOf(to);
    if (!o.directed && x > y) [x, y] = [y, x];
    const key = x * ID_SPACE + y;
    const e = edgeOf.get(key);
    if (e === undefined) {
      edgeOf.set(key, ea.length);
      ea.push(x);
      eb.push(y);
      ew.push(w);
    } else ew[e] = (ew[e] as number) + w;
  };

  // Kept creation edges and, for lineage walking, each node's first kept parent.
  const keptParent = new Map<string, { parent: string; w: number }>();
  // Entry-point edges moved to a virtual copy: deliberate separations step 7 must respect.
  const detached = new Set<string>();
  src.forEachEdge((e, attrs, source, child) => {
    let parent = source;
    if (hubs.has(source)) {
      // Hub edges are recognised by their source later; not stored (a hub can have a million).
      if (attrs.weight < o.hubKeepScore) return;
      parent = virtualOf(source, attrs.events[0]);
    } else if (attrs.weight >= o.entryScore && isEntryPoint(source)) {
      detached.add(e);
      parent = virtualOf(source, attrs.events[0]);
    }
    const w = sharp(attrs.weight);
    addWeight(parent, child, w);
    const prev = keptParent.get(child);
    if (!prev || w > prev.w) keptParent.set(child, { parent, w });
  });

  if (o.lineageDepth >= 2) {
    for (const [node, first] of keptParent) {
      let logSum = Math.log(first.w);
      let cur = first.parent;
      // The path is a handful of nodes: a small array beats a Set allocated per node.
      const seen = [node, cur];
      for (let k = 2; k <= o.lineageDepth; k++) {
        const up = keptParent.get(cur);
        if (!up || seen.includes(up.parent)) break; // root reached, hub cut, or a cycle in bad data
        logSum += Math.log(up.w);
        const w = Math.pow(o.lineageDecay, k - 1) * Math.exp(logSum / k);
        addWeight(up.parent, node, w);
        seen.push(up.parent);
        cur = up.parent;
      }
    }
  }
  return { names, ea, eb, ew, hubs, detached };
}

/**
 * Louvain's communities (renumbered by first node id, so reproducible) split into connected
 * components, as lists of node ids in first-id order.
 */
function componentsOf(c: Clustering, comm: Int32Array, split: boolean): number[][] {
  const n = c.names.length;
  // CSR adjacency from the edge lists.
  const deg = new Int32Array(n + 1);
  for (let e = 0; e < c.ea.length; e++) {
    deg[(c.ea[e] as number) + 1]!++;
    deg[(c.eb[e] as number) + 1]!++;
  }
  for (let i = 0; i < n; i++) deg[i + 1] = (deg[i + 1] as number) + (deg[i] as number);
  const fill = deg.slice(0, n);
  const adj = new Int32Array(2 * c.ea.length);
  for (let e = 0; e < c.ea.length; e++) {
    const x = c.ea[e] as number;
    const y = c.eb[e] as number;
    adj[fill[x]!++] = y;
    adj[fill[y]!++] = x;
  }
  const out: number[][] = [];
  if (!split) {
    const byComm = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const l = byComm.get(comm[i] as number);
      if (l) l.push(i);
      else {
        const nl = [i];
        byComm.set(comm[i] as number, nl);
        out.push(nl);
      }
    }
    return out;
  }
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  for (let start = 0; start < n; start++) {
    if (seen[start]) continue;
    const comp: number[] = [];
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const x = stack.pop() as number;
      comp.push(x);
      for (let k = deg[x] as number; k < (deg[x + 1] as number); k++) {
        const y = adj[k] as number;
        if (!seen[y] && comm[y] === comm[x]) {
          seen[y] = 1;
          stack.push(y);
        }
      }
    }
    comp.sort((p, q) => p - q);
    out.push(comp);
  }
  return out;
}

/**
 * Step 7: a community is merged with the community of its parent process when the parent was
 * itself created anomalously (own score ≥ mergeScore) and the child community holds an
 * anomalous creation. Modularity cuts a chain at a step the model scored low, or splits a chain
 * that is most of a small host's weight; the analyst should still see one story when a
 * suspicious process starts a suspicious subtree. Edges steps 1–2 cut or moved are not used: a
 * hub or entry point with one misfired score must not pull its whole tree into an attack.
 */
function mergeAnomalousNeighbours(
  pg: ProcessGraph,
  members: string[][],
  hubs: Set<string>,
  detached: Set<string>,
  mergeScore: number,
): string[][] {
  const src = pg.graph;
  const comm = new Map<string, number>();
  members.forEach((m, i) => m.forEach((n) => comm.set(n, i)));
  const own = creationScores(pg);
  // Highest score among the creations each community owns (edges into its nodes).
  const maxOwned = new Float64Array(members.length);
  src.forEachEdge((_e, a, _s, t) => {
    const c = comm.get(t) as number;
    if (a.weight > (maxOwned[c] as number)) maxOwned[c] = a.weight;
  });
  const parent = members.map((_, i) => i);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[x] !== r) {
      const next = parent[x] as number;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  let merged = false;
  src.forEachEdge((e, _a, s, t) => {
    if (hubs.has(s) || detached.has(e)) return;
    const a = comm.get(s) as number;
    const b = comm.get(t) as number;
    if (a === b || (own.get(s) ?? 0) < mergeScore || (maxOwned[b] as number) < mergeScore) return;
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The lower index survives, so the result follows the canonical order only.
    if (ra < rb) parent[rb] = ra;
    else parent[ra] = rb;
    merged = true;
  });
  if (!merged) return members;
  const out = new Map<number, string[]>();
  members.forEach((m, i) => {
    const r = find(i);
    const l = out.get(r);
    // A loop, not push(...m): a community of a 100,000-deep chain is more than a call's arguments.
    if (l) for (const n of m) l.push(n);
    else out.set(r, [...m]);
  });
  return [...out.keys()].sort((x, y) => x - y).map((r) => out.get(r) as string[]);
}

function indexMembers(mapping: Record<string, number>, order: string[]): string[][] {
  // Community numbers from Louvain are renumbered by first appearance in node insertion order,
  // which follows the canonical event order, so indexes are reproducible too.
  const renumber = new Map<number, number>();
  const members: string[][] = [];
  for (const node of order) {
    const c = mapping[node] ?? -1;
    let idx = renumber.get(c);
    if (idx === undefined) {
      idx = members.length;
      renumber.set(c, idx);
      members.push([]);
    }
    (members[idx] as string[]).push(node);
  }
  return members;
}

export function detectCommunities(
  pg: ProcessGraph,
  seed: number,
  options: Partial<CommunityOptions> = {},
): CommunityResult {
  const o: CommunityOptions = { ...DEFAULT_COMMUNITY_OPTIONS, ...options };
  const rng = seededRng(seed);
  const nodes = pg.graph.nodes();

  let mapping: Record<string, number>;
  let modularity = NaN;
  let hubs: string[] = [];
  let clusteringEdges: number;
  let members: string[][];

  if (o.mode === 'raw') {
    clusteringEdges = pg.graph.size;
    if (pg.graph.size === 0) {
      mapping = Object.fromEntries(nodes.map((n, i) => [n, i]));
    } else {
      const d = louvain.detailed(pg.graph, {
        rng,
        resolution: o.resolution,
        getEdgeWeight: 'weight',
      });
      mapping = d.communities;
      modularity = d.modularity;
    }
    members = indexMembers(mapping, nodes);
  } else {
    const c = buildClusteringGraph(pg, o);
    hubs = [...c.hubs];
    clusteringEdges = c.ea.length;
    const comm = new Int32Array(c.names.length);
    if (c.ea.length > 0) {
      const g = o.directed
        ? new DirectedGraph<Record<string, never>, Weighted>()
        : new UndirectedGraph<Record<string, never>, Weighted>();
      for (const name of c.names) g.addNode(name);
      for (let e = 0; e < c.ea.length; e++) {
        g.addEdgeWithKey(
          e,
          c.names[c.ea[e] as number] as string,
          c.names[c.eb[e] as number] as string,
          {
            weight: c.ew[e] as number,
          },
        );
      }
      const d = louvain.detailed(g, { rng, resolution: o.resolution, getEdgeWeight: 'weight' });
      c.names.forEach((name, i) => (comm[i] = d.communities[name] ?? -1));
      modularity = d.modularity;
    }
    // Virtual hub copies take part in Louvain and in the connectivity split (they are what links
    // anomalous siblings) but are not processes, so they leave the result afterwards.
    members = [];
    for (const comp of componentsOf(c, comm, o.splitDisconnected)) {
      const real = comp
        .map((i) => c.names[i] as string)
        .filter((name) => !name.startsWith(VIRTUAL_PREFIX));
      if (real.length > 0) members.push(real);
    }
    const inClustering = new Set(c.names);
    for (const n of nodes) if (!inClustering.has(n)) members.push([n]);
    if (o.mergeScore <= 1)
      members = mergeAnomalousNeighbours(pg, members, c.hubs, c.detached, o.mergeScore);
  }

  const communityOf = new Map<string, number>();
  members.forEach((m, i) => m.forEach((n) => communityOf.set(n, i)));
  return { communityOf, members, hubs, modularity, clusteringEdges };
}
