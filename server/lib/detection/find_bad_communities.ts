/**
 * find_bad_communities from the ProblemChild research, per host and time window:
 *  1. build the host's process graph, model scores as edge weights;
 *  2. Louvain communities (lineage-aware weighting, seeded);
 *  3. weigh every edge of a candidate community by environment prevalence and analyst verdicts;
 *  4. flag communities whose score reaches the threshold;
 *  5. rank flagged communities by their most anomalous edge.
 *
 * Prevalence is only asked about communities that could still reach the threshold with every
 * edge at its full model score (prevalence and suppression can only lower a score), and all of
 * them are asked in one batch: with the Elasticsearch service each lookup is a query.
 */
import { createHash } from 'node:crypto';
import type {
  AnomalousCommunity,
  AttackTechniqueHit,
  CmdlinePrevalence,
  CommunityEdge,
  DetectionStats,
  PairPrevalence,
  PrevalenceEnvironment,
  SuppressedCommunity,
  SuppressionHit,
  SuppressionRule,
  TimeWindow,
} from '../../../common/types/community';
import type { ScoredEvent } from '../../../common/types/scoring';
import { techniquesForEvent } from './attack_mapping';
import { commandLineTemplate } from './command_line_template';
import { type CommunityOptions, detectCommunities } from './communities';
import {
  communityScore,
  DEFAULT_SCORING_OPTIONS,
  DEFAULT_THRESHOLD,
  edgeAnomaly,
  edgeRarity,
  type ScoringOptions,
} from './community_score';
import { processName } from './names';
import { renderChain } from './render_chain';

export { renderChain };
import {
  describeCmdlinePrevalence,
  describePairPrevalence,
  type PrevalenceService,
} from './prevalence';
import { clampScore, buildProcessGraph, edgeKeyOf } from './process_graph';
import { type SuppressionSource, SuppressionMatcher } from './suppression';
import {
  DEFAULT_MAX_EVENTS_PER_GROUP,
  groupByHostWindow,
  type GroupingOptions,
  type HostWindowGroup,
  parseWindow,
  streamHostWindows,
} from './windowing';

/**
 * Prevalence to weigh a host-window's candidates by: one service for all of them (a job's run,
 * whose windows share one lookback), or the service for each window (a file run, judging every
 * window by the lookback ending at its own end).
 */
export type PrevalenceSource = PrevalenceService | ((window: TimeWindow) => PrevalenceService);

export interface FindBadCommunitiesOptions {
  prevalence: PrevalenceSource;
  suppressions?: SuppressionSource | readonly SuppressionRule[];
  /** Community score at or above which a community is flagged (default 0.75). */
  threshold?: number;
  /** Louvain seed (default 42): same events + same seed = same communities and ids. */
  seed?: number;
  /** "15m", "1h", "1d", ms, or "all" (default "1d": a chain crossing a window boundary is split). */
  window?: string | number;
  maxEventsPerGroup?: number;
  community?: Partial<CommunityOptions>;
  scoring?: Partial<ScoringOptions>;
  /**
   * Also return every community that was not flagged (in `unflagged`), so each input event is
   * reported exactly once: evaluation joins every event back to its labels, and `detect --all`
   * lets an analyst see the whole partition. Events whose process fell in no community come back
   * as singleton communities. Costs a prevalence lookup per edge instead of per candidate.
   */
  includeUnflagged?: boolean;
}

export interface FindBadCommunitiesResult {
  /** Flagged communities, ranked 1… */
  communities: AnomalousCommunity[];
  /**
   * With `includeUnflagged`: every other community, ranked after the flagged ones by the same
   * key (rank continues from `communities.length + 1`). Suppressed communities appear here too.
   */
  unflagged?: AnomalousCommunity[];
  stats: DetectionStats;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_WINDOW = '1d';

export interface EdgeDraft {
  parentKey: string;
  childKey: string;
  parentName: string;
  childName: string;
  /** Representative (highest score) first. */
  events: ScoredEvent[];
  score: number;
  template: string;
}

/** A community that may reach the threshold, before prevalence and suppression weigh it. */
export interface Candidate {
  host: string;
  window: TimeWindow;
  nodeKeys: string[];
  edges: EdgeDraft[];
}

interface ResolvedOptions {
  threshold: number;
  seed: number;
  windowMs: number;
  maxEventsPerGroup: number;
  community: Partial<CommunityOptions>;
  scoring: ScoringOptions;
  includeUnflagged: boolean;
}

function resolve(opts: PrepareOptions): ResolvedOptions {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1))
    throw new Error(`threshold must be between 0 and 1, got ${threshold}`);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  return {
    threshold,
    seed,
    windowMs: parseWindow(opts.window ?? DEFAULT_WINDOW),
    maxEventsPerGroup: opts.maxEventsPerGroup ?? DEFAULT_MAX_EVENTS_PER_GROUP,
    community: opts.community ?? {},
    scoring: { ...DEFAULT_SCORING_OPTIONS, ...(opts.scoring ?? {}) },
    includeUnflagged: opts.includeUnflagged ?? false,
  };
}

/** Counters of a run that has seen nothing yet. */
export function emptyStats(): DetectionStats {
  return {
    events: 0,
    groups: 0,
    hosts: 0,
    nodes: 0,
    edges: 0,
    communities: 0,
    candidates: 0,
    flagged: 0,
    suppressedEdges: 0,
    suppressedCommunities: [],
    selfParented: 0,
    parentsWithoutEvent: 0,
    duplicateCreations: 0,
    truncatedGroups: 0,
    timingsMs: { graph: 0, louvain: 0, prevalence: 0, score: 0, total: 0 },
  };
}

async function loadRules(
  s: FindBadCommunitiesOptions['suppressions'],
): Promise<SuppressionMatcher> {
  if (!s) return new SuppressionMatcher([]);
  if (Array.isArray(s)) return new SuppressionMatcher(s as readonly SuppressionRule[]);
  return new SuppressionMatcher(await (s as SuppressionSource).list());
}

// ---------------------------------------------------------------------------------------------
// Per group: graph, communities, candidates
// ---------------------------------------------------------------------------------------------

function prepareGroup(
  group: HostWindowGroup,
  o: ResolvedOptions,
  stats: DetectionStats,
): Candidate[] {
  let t0 = performance.now();
  const pg = buildProcessGraph(group.events, group.host);
  stats.timingsMs.graph += performance.now() - t0;
  t0 = performance.now();
  const cr = detectCommunities(pg, o.seed, o.community);
  stats.timingsMs.louvain += performance.now() - t0;

  stats.groups++;
  if (group.part > 0) stats.truncatedGroups++;
  stats.events += group.events.length;
  stats.nodes += pg.stats.nodes;
  stats.edges += pg.stats.edges;
  stats.selfParented += pg.stats.selfParented;
  stats.parentsWithoutEvent += pg.stats.parentsWithoutEvent;
  stats.duplicateCreations += pg.stats.duplicateCreations;

  t0 = performance.now();
  // Events belong to the community of the process they created. Grouped with a counting sort
  // (flat arrays, no per-community objects): hosts can have a million singleton communities.
  const n = pg.events.length;
  const k = cr.members.length;
  const commOf = new Int32Array(n);
  const counts = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) {
    const c = cr.communityOf.get(pg.ownerOf[i] as string) ?? -1;
    commOf[i] = c;
    if (c >= 0) counts[c + 1] = (counts[c + 1] ?? 0) + 1;
  }
  for (let c = 0; c < k; c++) counts[c + 1] = (counts[c + 1] ?? 0) + (counts[c] ?? 0);
  // Communities holding an event: one made only of processes seen as parents has nothing to
  // show or score (issue 18: the run summary counted them).
  for (let c = 0; c < k; c++)
    if ((counts[c + 1] as number) > (counts[c] as number)) stats.communities++;
  const fill = counts.slice(0, k);
  const flat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = commOf[i] as number;
    if (c >= 0) flat[fill[c]!++] = i;
  }

  // Membership as [from, to) ranges into `flat`; events whose process is in no community get
  // singleton ranges after the real ones, so a full report (includeUnflagged) loses no event.
  const ranges: Array<[number, number, string[] | undefined]> = [];
  for (let c = 0; c < k; c++)
    ranges.push([counts[c] as number, counts[c + 1] as number, undefined]);
  let members = flat;
  if (o.includeUnflagged) {
    const orphans = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      if ((commOf[i] as number) >= 0) continue;
      const owner = pg.ownerOf[i] as string;
      const l = orphans.get(owner);
      if (l) l.push(i);
      else orphans.set(owner, [i]);
    }
    if (orphans.size > 0) {
      const all: number[] = Array.from(flat.subarray(0, counts[k] as number));
      stats.communities += orphans.size;
      for (const [owner, l] of orphans) {
        ranges.push([all.length, all.length + l.length, [owner]]);
        // A loop, not push(...l): one process can have more events than a call takes arguments.
        for (const i of l) all.push(i);
      }
      members = Int32Array.from(all);
    }
  }

  const candidates: Candidate[] = [];
  for (let c = 0; c < ranges.length; c++) {
    const [from, to, ownNodes] = ranges[c] as [number, number, string[] | undefined];
    if (from === to) continue;
    // Cheap reject first: with no edge at the anomaly floor the score is 0.
    if (o.threshold > 0 && !o.includeUnflagged) {
      let any = false;
      for (let j = from; j < to && !any; j++)
        any = clampScore(pg.events[members[j] as number]?.score ?? 0) >= o.scoring.minEdgeAnomaly;
      if (!any) continue;
    }
    // One edge per (parent, child) creation; duplicates of a creation share it.
    const byEdge = new Map<string, number[]>();
    for (let j = from; j < to; j++) {
      const i = members[j] as number;
      const key = edgeKeyOf(pg.parentOf[i] as string, pg.ownerOf[i] as string);
      const l = byEdge.get(key);
      if (l) l.push(i);
      else byEdge.set(key, [i]);
    }
    const edgeMax: number[] = [];
    for (const l of byEdge.values()) {
      let m = 0;
      for (const i of l) m = Math.max(m, clampScore(pg.events[i]?.score ?? 0));
      edgeMax.push(m);
    }
    if (!o.includeUnflagged && communityScore(edgeMax, o.scoring) < o.threshold) continue;

    const edges: EdgeDraft[] = [];
    for (const l of byEdge.values()) {
      const evs = l
        .map((i) => pg.events[i] as ScoredEvent)
        .sort((a, b) => clampScore(b.score) - clampScore(a.score));
      const rep = evs[0] as ScoredEvent;
      const first = l[0] as number;
      edges.push({
        parentKey: pg.parentOf[first] as string,
        childKey: pg.ownerOf[first] as string,
        parentName: processName(
          rep.event.process.parent.name ?? rep.event.process.parent.executable,
        ),
        childName: processName(rep.event.process.name ?? rep.event.process.executable),
        events: evs,
        score: clampScore(rep.score),
        template: commandLineTemplate(rep.event.process.command_line),
      });
    }
    candidates.push({
      host: group.host,
      window: group.window,
      nodeKeys: ownNodes ?? cr.members[c] ?? [],
      edges,
    });
  }
  stats.candidates += candidates.length;
  stats.timingsMs.score += performance.now() - t0;
  return candidates;
}

// ---------------------------------------------------------------------------------------------
// Candidates → flagged communities
// ---------------------------------------------------------------------------------------------

const SEP = '\u0000';

export function communityId(
  host: string,
  window: TimeWindow,
  entityIds: readonly string[],
): string {
  const h = createHash('sha256');
  h.update(`${host}\n${window.start}\n${window.end}\n`);
  for (const id of [...entityIds].sort()) h.update(`${id}\n`);
  return h.digest('hex').slice(0, 32);
}

interface ScoredCandidates {
  flagged: AnomalousCommunity[];
  /** Filled only with includeUnflagged. */
  unflagged: AnomalousCommunity[];
  suppressed: SuppressedCommunity[];
  suppressedEdges: number;
}

async function scoreCandidates(
  candidates: Candidate[],
  prevalence: PrevalenceService,
  matcher: SuppressionMatcher,
  o: ResolvedOptions,
  stats: DetectionStats,
): Promise<ScoredCandidates> {
  const out: ScoredCandidates = { flagged: [], unflagged: [], suppressed: [], suppressedEdges: 0 };
  if (candidates.length === 0) return out;

  let t0 = performance.now();
  const pairIndex = new Map<string, number>();
  const cmdIndex = new Map<string, number>();
  const pairs: Array<{ parentName: string; childName: string }> = [];
  const cmds: Array<{ processName: string; template: string }> = [];
  for (const c of candidates) {
    for (const e of c.edges) {
      const pk = e.parentName + SEP + e.childName;
      if (!pairIndex.has(pk)) {
        pairIndex.set(pk, pairs.length);
        pairs.push({ parentName: e.parentName, childName: e.childName });
      }
      const ck = e.childName + SEP + e.template;
      if (!cmdIndex.has(ck)) {
        cmdIndex.set(ck, cmds.length);
        cmds.push({ processName: e.childName, template: e.template });
      }
    }
  }
  const [pairRes, cmdRes, env] = await Promise.all([
    prevalence.childGivenParent(pairs),
    prevalence.cmdlineGivenProcess(cmds),
    prevalence.environment(),
  ]);
  if (pairRes.length !== pairs.length || cmdRes.length !== cmds.length) {
    throw new Error('prevalence service returned a different number of answers than it was asked');
  }
  stats.timingsMs.prevalence += performance.now() - t0;

  t0 = performance.now();
  for (const c of candidates) {
    const built = c.edges.map((e) => {
      const pair = pairRes[
        pairIndex.get(e.parentName + SEP + e.childName) as number
      ] as PairPrevalence;
      const cmd = cmdRes[
        cmdIndex.get(e.childName + SEP + e.template) as number
      ] as CmdlinePrevalence;
      const r = edgeRarity(pair, cmd, env, o.scoring);
      const rules = matcher.size > 0 ? matcher.match({ ...e, host: c.host }) : [];
      return {
        draft: e,
        pair,
        cmd,
        r,
        rules,
        anomaly: edgeAnomaly(e.score, r.rarity, rules.length > 0, o.scoring),
        unsuppressed: edgeAnomaly(e.score, r.rarity, false, o.scoring),
      };
    });
    const score = communityScore(
      built.map((b) => b.anomaly),
      o.scoring,
    );
    const unsuppressedScore = communityScore(
      built.map((b) => b.unsuppressed),
      o.scoring,
    );
    const driving = built.filter((b) => b.unsuppressed >= o.scoring.minEdgeAnomaly);
    const allDrivingSuppressed = driving.length > 0 && driving.every((b) => b.rules.length > 0);
    const hits = suppressionHits(built.map((b) => ({ rules: b.rules, events: b.draft.events })));
    const suppressedHere = built.filter((b) => b.rules.length > 0).length;

    const isFlagged = !(allDrivingSuppressed || score < o.threshold);
    if (!isFlagged) {
      if (unsuppressedScore >= o.threshold && suppressedHere > 0) {
        out.suppressedEdges += suppressedHere;
        out.suppressed.push({
          id: communityId(c.host, c.window, c.nodeKeys),
          host: c.host,
          window: c.window,
          unsuppressedScore,
          scoreAfterSuppression: allDrivingSuppressed ? 0 : score,
          chain: renderChain(c.edges),
          suppressed: hits,
        });
      }
      if (!o.includeUnflagged) continue;
    } else {
      out.suppressedEdges += suppressedHere;
    }

    const edges: CommunityEdge[] = built.map((b) => toCommunityEdge(b, env));
    edges.sort((a, b) =>
      a.timestamp < b.timestamp
        ? -1
        : a.timestamp > b.timestamp
          ? 1
          : a.eventId < b.eventId
            ? -1
            : 1,
    );
    let driver = edges[0] as CommunityEdge;
    for (const e of edges) if (e.anomaly > driver.anomaly) driver = e;
    const events = built
      .flatMap((b) => b.draft.events)
      .sort((a, b) =>
        a.event['@timestamp'] < b.event['@timestamp']
          ? -1
          : a.event['@timestamp'] > b.event['@timestamp']
            ? 1
            : 0,
      );
    const users = new Set<string>();
    for (const e of events) {
      const u = e.event.user.name;
      if (u) users.add(e.event.user.domain ? `${e.event.user.domain}\\${u}` : u);
    }
    (isFlagged ? out.flagged : out.unflagged).push({
      id: communityId(c.host, c.window, c.nodeKeys),
      host: c.host,
      window: c.window,
      rank: 0,
      score,
      maxAnomaly: driver.anomaly,
      maxEdgeScore: edges.reduce((m, e) => Math.max(m, e.score), 0),
      drivingEdge: driver,
      edges,
      events,
      entityIds: [...c.nodeKeys].sort(),
      firstSeen: events[0]?.event['@timestamp'] ?? c.window.start,
      lastSeen: events[events.length - 1]?.event['@timestamp'] ?? c.window.end,
      users: [...users].sort(),
      techniques: techniquesOf(events),
      suppressed: hits,
      chain: renderChain(c.edges),
    });
  }
  stats.timingsMs.score += performance.now() - t0;
  return out;
}

function toCommunityEdge(
  b: {
    draft: EdgeDraft;
    pair: PairPrevalence;
    cmd: CmdlinePrevalence;
    r: { pairCommonness: number; cmdlineCommonness: number; rarity: number };
    rules: SuppressionRule[];
    anomaly: number;
  },
  env: PrevalenceEnvironment,
): CommunityEdge {
  const rep = b.draft.events[0] as ScoredEvent;
  const p = rep.event.process;
  const user = rep.event.user.name;
  return {
    eventId: rep.event.event.id,
    eventIds: b.draft.events.map((e) => e.event.event.id),
    timestamp: rep.event['@timestamp'],
    parentEntityId: b.draft.parentKey,
    childEntityId: b.draft.childKey,
    parentName: b.draft.parentName,
    childName: b.draft.childName,
    parentCommandLine: p.parent.command_line,
    commandLine: p.command_line,
    commandLineTemplate: b.draft.template,
    user: user ? (rep.event.user.domain ? `${rep.event.user.domain}\\${user}` : user) : undefined,
    score: b.draft.score,
    anomaly: b.anomaly,
    prevalence: {
      pair: b.pair,
      cmdline: b.cmd,
      pairCommonness: b.r.pairCommonness,
      cmdlineCommonness: b.r.cmdlineCommonness,
      rarity: b.r.rarity,
      text: `${describePairPrevalence(b.pair, env)}; ${describeCmdlinePrevalence(b.cmd, env)}`,
    },
    topFeatures: rep.topFeatures,
    techniques: techniquesForEvent(rep.event).map((t) => t.id),
    suppressedBy: b.rules.length > 0 ? b.rules.map((r) => r.id) : undefined,
  };
}

function suppressionHits(
  edges: Array<{ rules: SuppressionRule[]; events: ScoredEvent[] }>,
): SuppressionHit[] {
  const hits = new Map<string, SuppressionHit>();
  for (const e of edges) {
    for (const r of e.rules) {
      let h = hits.get(r.id);
      if (!h)
        hits.set(
          r.id,
          (h = {
            ruleId: r.id,
            kind: r.kind,
            createdBy: r.createdBy,
            reason: r.reason,
            eventIds: [],
          }),
        );
      for (const ev of e.events) h.eventIds.push(ev.event.event.id);
    }
  }
  return [...hits.values()];
}

function techniquesOf(events: ScoredEvent[]): AttackTechniqueHit[] {
  const byId = new Map<string, AttackTechniqueHit>();
  for (const e of events) {
    for (const t of techniquesForEvent(e.event)) {
      let h = byId.get(t.id);
      if (!h) byId.set(t.id, (h = { id: t.id, name: t.name, eventIds: [], reasons: [] }));
      h.eventIds.push(e.event.event.id);
      if (!h.reasons.includes(t.reason)) h.reasons.push(t.reason);
    }
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Ranking key: most anomalous edge first, then community score, then id for a stable order. */
export function rankCommunities<
  C extends Pick<AnomalousCommunity, 'maxAnomaly' | 'score' | 'id' | 'rank'>,
>(list: C[]): C[] {
  list.sort(
    (a, b) =>
      b.maxAnomaly - a.maxAnomaly || b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  list.forEach((c, i) => (c.rank = i + 1));
  return list;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/** What the prevalence-free half of detection needs (it runs wherever the events are). */
export type PrepareOptions = Omit<FindBadCommunitiesOptions, 'prevalence' | 'suppressions'>;

/** Candidates of some host-window groups with the statistics of preparing them. */
export interface PreparedGroups {
  hosts: string[];
  candidates: Candidate[];
  stats: DetectionStats;
}

/** Scored events grouped by host and window as detection analyses them. */
export function groupForDetection(
  scored: Iterable<ScoredEvent>,
  opts: PrepareOptions,
): HostWindowGroup[] {
  return groupByHostWindow(scored, groupingOf(resolve(opts)));
}

function groupingOf(o: ResolvedOptions): GroupingOptions {
  return { windowMs: o.windowMs, maxEventsPerGroup: o.maxEventsPerGroup };
}

/**
 * The half of detection that needs no prevalence: per group the process graph, Louvain and the
 * communities that could still reach the threshold. Pure, so it can run in a worker thread.
 */
export function prepareCandidates(
  groups: readonly HostWindowGroup[],
  opts: PrepareOptions,
): PreparedGroups {
  const t0 = performance.now();
  const o = resolve(opts);
  const stats = emptyStats();
  const hosts = new Set<string>();
  const candidates: Candidate[] = [];
  for (const g of groups) {
    hosts.add(g.host);
    for (const c of prepareGroup(g, o, stats)) candidates.push(c);
  }
  stats.timingsMs.total = performance.now() - t0;
  return { hosts: [...hosts], candidates, stats };
}

function mergeStats(into: DetectionStats, from: DetectionStats): void {
  for (const k of [
    'events',
    'groups',
    'nodes',
    'edges',
    'communities',
    'candidates',
    'selfParented',
    'parentsWithoutEvent',
    'duplicateCreations',
    'truncatedGroups',
    'suppressedEdges',
  ] as const)
    into[k] += from[k];
  for (const s of from.suppressedCommunities) into.suppressedCommunities.push(s);
  into.timingsMs.graph += from.timingsMs.graph;
  into.timingsMs.louvain += from.timingsMs.louvain;
  into.timingsMs.prevalence += from.timingsMs.prevalence;
  into.timingsMs.score += from.timingsMs.score;
  into.timingsMs.total += from.timingsMs.total;
}

/**
 * Detection fed in pieces: host-window groups go in as they are ready (all at once, one window at
 * a time from a stream, or one host at a time from a file run) and each piece's candidates are
 * scored against prevalence when it is added, so only flagged communities (and, with
 * includeUnflagged, the others) stay in memory. Pieces may come in any order: the result is
 * ranked, and suppressed communities are ordered by window and host, at the end.
 */
export class CommunityFinder {
  private readonly stats = emptyStats();
  private readonly hosts = new Set<string>();
  private readonly flagged: AnomalousCommunity[] = [];
  private readonly unflagged: AnomalousCommunity[] = [];

  private constructor(
    private readonly opts: FindBadCommunitiesOptions,
    private readonly o: ResolvedOptions,
    private readonly matcher: SuppressionMatcher,
  ) {}

  static async create(opts: FindBadCommunitiesOptions): Promise<CommunityFinder> {
    const o = resolve(opts);
    return new CommunityFinder(opts, o, await loadRules(opts.suppressions));
  }

  /** The window and per-group cap the finder's groups are cut with. */
  get grouping(): GroupingOptions {
    return groupingOf(this.o);
  }

  /** Analyses groups; their candidates go to the prevalence service in one batch. */
  async add(groups: readonly HostWindowGroup[]): Promise<void> {
    await this.addPrepared(prepareCandidates(groups, this.opts));
  }

  /**
   * Weighs candidates prepared elsewhere (another thread, or before prevalence was known) by
   * prevalence and analyst rules; their preparation statistics join the run's.
   */
  async addPrepared(prepared: PreparedGroups): Promise<void> {
    const t0 = performance.now();
    for (const h of prepared.hosts) this.hosts.add(h);
    mergeStats(this.stats, prepared.stats);
    const source = this.opts.prevalence;
    // Candidates that share a service go to it in one batch (all of them, unless per window).
    const batches = new Map<PrevalenceService, Candidate[]>();
    if (typeof source !== 'function') batches.set(source, prepared.candidates);
    else
      for (const c of prepared.candidates) {
        const service = source(c.window);
        const batch = batches.get(service);
        if (batch) batch.push(c);
        else batches.set(service, [c]);
      }
    for (const [service, candidates] of batches) {
      const res = await scoreCandidates(candidates, service, this.matcher, this.o, this.stats);
      for (const c of res.flagged) this.flagged.push(c);
      if (this.o.includeUnflagged) for (const c of res.unflagged) this.unflagged.push(c);
      this.stats.suppressedEdges += res.suppressedEdges;
      for (const s of res.suppressed) this.stats.suppressedCommunities.push(s);
    }
    this.stats.timingsMs.total += performance.now() - t0;
  }

  /** Ranks what was found. `timingsMs.total` is the time spent inside the finder. */
  finish(): FindBadCommunitiesResult {
    const t0 = performance.now();
    const stats = this.stats;
    stats.hosts = this.hosts.size;
    stats.flagged = this.flagged.length;
    // Stable: groups of one window and host keep the order they were analysed in.
    stats.suppressedCommunities.sort((a, b) =>
      a.window.start !== b.window.start
        ? a.window.start < b.window.start
          ? -1
          : 1
        : a.host !== b.host
          ? a.host < b.host
            ? -1
            : 1
          : 0,
    );
    const result = { communities: rankCommunities(this.flagged), stats };
    const out = withUnflagged(result, this.unflagged, this.o);
    stats.timingsMs.total += performance.now() - t0;
    return out;
  }
}

/** Flags anomalous communities in a batch of scored events (any number of hosts and windows). */
export async function findBadCommunities(
  scored: readonly ScoredEvent[],
  opts: FindBadCommunitiesOptions,
): Promise<FindBadCommunitiesResult> {
  const t0 = performance.now();
  const finder = await CommunityFinder.create(opts);
  await finder.add(groupForDetection(scored, opts));
  const result = finder.finish();
  result.stats.timingsMs.total = performance.now() - t0;
  return result;
}

export interface StreamOptions extends FindBadCommunitiesOptions {
  allowedLatenessMs?: number;
}

/**
 * The same over a stream (e.g. a file or a scroll over an index): host-windows are analysed as
 * they close, so memory holds the open windows and the flagged communities, not the whole input.
 */
export async function findBadCommunitiesInStream(
  source: AsyncIterable<ScoredEvent> | Iterable<ScoredEvent>,
  opts: StreamOptions,
): Promise<FindBadCommunitiesResult> {
  const t0 = performance.now();
  const finder = await CommunityFinder.create(opts);
  for await (const g of streamHostWindows(source, {
    ...finder.grouping,
    allowedLatenessMs: opts.allowedLatenessMs,
  })) {
    await finder.add([g]);
  }
  const result = finder.finish();
  result.stats.timingsMs.total = performance.now() - t0;
  return result;
}

/** Ranks the unflagged communities after the flagged ones, so ranks stay unique in a full report. */
function withUnflagged(
  result: FindBadCommunitiesResult,
  unflagged: AnomalousCommunity[],
  o: ResolvedOptions,
): FindBadCommunitiesResult {
  if (!o.includeUnflagged) return result;
  const offset = result.communities.length;
  rankCommunities(unflagged).forEach((c) => (c.rank += offset));
  return { ...result, unflagged };
}
