/**
 * Measures whether communities follow process lineage, on labelled data: for every labelled
 * attack chain, how many communities its events fall into (1 is ideal: the analyst sees the
 * whole chain at once) and how malicious the community holding most of it is (purity; 1 is
 * ideal: the chain is not buried in the host's benign service tree).
 *
 * It runs only the graph and community steps (no prevalence, no threshold), so it measures the
 * weighting scheme, given whatever scores the events carry.
 */
import type { ScoredEvent } from '../../../common/types/scoring';
import { type CommunityOptions, detectCommunities } from './communities';
import { buildProcessGraph } from './process_graph';
import { groupByHostWindow, parseWindow } from './windowing';

export interface EventTruth {
  malicious: boolean;
  /** Events of one attack chain share a chain id; benign events may leave it out. */
  chainId?: string;
}

export interface ChainLineage {
  chainId: string;
  host: string;
  events: number;
  /** Distinct communities its events fall into. */
  communities: number;
  /** Malicious share of the community holding most of the chain's events. */
  purity: number;
  /** Events in that community. */
  mainCommunityEvents: number;
  /** Share of the chain's events inside that community. */
  coverage: number;
}

export interface LineageSummary {
  chains: number;
  /** Chains with at least two events (single-event chains cannot be split). */
  multiEventChains: number;
  meanCommunities: number;
  maxCommunities: number;
  /** Of the multi-event chains, the share kept in one community. */
  wholeChainShare: number;
  meanCoverage: number;
  meanPurity: number;
  medianPurity: number;
  /** 10th percentile: how bad the worst chains are. */
  p10Purity: number;
}

export interface LineageReport {
  chains: ChainLineage[];
  summary: LineageSummary;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))));
  return sorted[i] as number;
}

export function summariseLineage(chains: ChainLineage[]): LineageSummary {
  const multi = chains.filter((c) => c.events > 1);
  const purities = chains.map((c) => c.purity).sort((a, b) => a - b);
  const mean = (xs: number[]): number =>
    xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  return {
    chains: chains.length,
    multiEventChains: multi.length,
    meanCommunities: mean(chains.map((c) => c.communities)),
    maxCommunities: chains.reduce((m, c) => Math.max(m, c.communities), 0),
    wholeChainShare: multi.length
      ? multi.filter((c) => c.communities === 1).length / multi.length
      : NaN,
    meanCoverage: mean(multi.map((c) => c.coverage)),
    meanPurity: mean(purities),
    medianPurity: quantile(purities, 0.5),
    p10Purity: quantile(purities, 0.1),
  };
}

/**
 * `truthOf(event)` gives the label of each event (undefined = unlabelled, counted as benign).
 */
export function evaluateLineage(
  scored: readonly ScoredEvent[],
  truthOf: (e: ScoredEvent) => EventTruth | undefined,
  opts: { seed: number; window?: string | number; community?: Partial<CommunityOptions> },
): LineageReport {
  const groups = groupByHostWindow(scored, { windowMs: parseWindow(opts.window ?? 'all') });
  // Community key per event, and the events of each community.
  const communityOfEvent = new Map<ScoredEvent, string>();
  const members = new Map<string, ScoredEvent[]>();
  groups.forEach((g, gi) => {
    const pg = buildProcessGraph(g.events, g.host);
    const cr = detectCommunities(pg, opts.seed, opts.community);
    pg.events.forEach((e, i) => {
      const key = `${gi}:${cr.communityOf.get(pg.ownerOf[i] as string)}`;
      communityOfEvent.set(e, key);
      const l = members.get(key);
      if (l) l.push(e);
      else members.set(key, [e]);
    });
  });

  const chains = new Map<string, ScoredEvent[]>();
  for (const e of scored) {
    const t = truthOf(e);
    if (!t?.malicious || !t.chainId) continue;
    const l = chains.get(t.chainId);
    if (l) l.push(e);
    else chains.set(t.chainId, [e]);
  }

  const out: ChainLineage[] = [];
  for (const [chainId, evs] of chains) {
    const perCommunity = new Map<string, number>();
    for (const e of evs) {
      const k = communityOfEvent.get(e) as string;
      perCommunity.set(k, (perCommunity.get(k) ?? 0) + 1);
    }
    let main = '';
    let best = -1;
    for (const [k, n] of perCommunity) {
      const size = members.get(k)?.length ?? 0;
      const bestSize = members.get(main)?.length ?? Infinity;
      if (n > best || (n === best && size < bestSize)) {
        main = k;
        best = n;
      }
    }
    const mainMembers = members.get(main) ?? [];
    const malicious = mainMembers.filter((e) => truthOf(e)?.malicious).length;
    out.push({
      chainId,
      host: evs[0]?.event.host.name ?? '',
      events: evs.length,
      communities: perCommunity.size,
      purity: mainMembers.length ? malicious / mainMembers.length : 0,
      mainCommunityEvents: mainMembers.length,
      coverage: best / evs.length,
    });
  }
  out.sort((a, b) => (a.chainId < b.chainId ? -1 : 1));
  return { chains: out, summary: summariseLineage(out) };
}

/**
 * Chains from per-event malicious flags alone (as in ../shared/data labels): malicious events
 * joined through parent→child links within a host form one chain.
 */
export function chainsFromLinks(
  events: ReadonlyArray<{
    id: string;
    host: string;
    entityId: string;
    parentEntityId?: string;
    malicious: boolean;
  }>,
): Map<string, string> {
  const parentOf = new Map<string, string>();
  const byEntity = new Map<string, string>();
  for (const e of events) {
    if (!e.malicious) continue;
    byEntity.set(`${e.host}\u0000${e.entityId}`, e.id);
  }
  // Union-find over malicious events: an event joins its parent's chain if the parent is malicious.
  const find = (x: string): string => {
    let r = x;
    while (parentOf.get(r) !== undefined && parentOf.get(r) !== r) r = parentOf.get(r) as string;
    let c = x;
    while (c !== r) {
      const n = parentOf.get(c) as string;
      parentOf.set(c, r);
      c = n;
    }
    return r;
  };
  for (const e of events) if (e.malicious) parentOf.set(e.id, e.id);
  for (const e of events) {
    if (!e.malicious || !e.parentEntityId) continue;
    const p = byEntity.get(`${e.host}\u0000${e.parentEntityId}`);
    if (p === undefined) continue;
    const a = find(e.id);
    const b = find(p);
    if (a !== b) parentOf.set(a < b ? b : a, a < b ? a : b);
  }
  const chainOf = new Map<string, string>();
  for (const e of events) if (e.malicious) chainOf.set(e.id, find(e.id));
  return chainOf;
}
