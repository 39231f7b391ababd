/**
 * What an analyst gets for a host-window whose analysis failed (an exception, or a time or memory
 * budget exceeded): a finding of its own, so a hostile host cannot hide by breaking the analysis.
 * The degraded analysis needs no process graph, no community detection and no chain rendering —
 * the parts that can blow up on hostile input — only one linear pass: the highest-scored steps,
 * each weighed by prevalence like any edge, and a chain text that says it is truncated.
 */
import type { AnomalousCommunity, TimeWindow } from '../../../common/types/community';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer, ScoredEvent } from '../../../common/types/scoring';
import { commandLineTemplate } from './command_line_template';
import {
  type Candidate,
  CommunityFinder,
  communityId,
  emptyStats,
  type EdgeDraft,
  type PrevalenceSource,
} from './find_bad_communities';
import { processName } from './names';
import { clampScore } from './process_graph';

/** Steps listed in a degraded analysis. */
export const DEGRADED_TOP_STEPS = 25;
/** Longest error text kept in a finding (a hostile record may make the message huge). */
const MAX_ERROR_CHARS = 300;

export interface HostWindowFailure {
  host: string;
  window: TimeWindow;
  /** What was being done: "scoring events", "building the process graph", "time budget"… */
  stage: string;
  error: string;
  events: number;
}

export function failureText(stage: string, error: unknown): string {
  const msg = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return msg.length > MAX_ERROR_CHARS ? `${msg.slice(0, MAX_ERROR_CHARS - 1)}…` : msg;
}

/** The id of a host-window's failure finding: stable, so re-runs upsert one finding. */
export function failureCommunityId(host: string, window: TimeWindow): string {
  return communityId(host, window, ['\u0000analysis-failed']);
}

/**
 * The degraded analysis of a failed host-window: its top-scored steps (one per parent → child,
 * highest score first) weighed by prevalence, flagged at score 1 so it ranks first whatever the
 * steps score, with "analysis failed on this host: <stage>: <error>" as its chain.
 */
export async function degradedAnalysis(
  events: readonly ScoredEvent[],
  failure: HostWindowFailure,
  prevalence: PrevalenceSource,
): Promise<AnomalousCommunity | undefined> {
  // Top steps in one pass over the events: a bounded, sorted list of the best per edge.
  const best = new Map<string, ScoredEvent>();
  let floor = -1;
  for (const e of events) {
    const s = clampScore(e.score);
    if (best.size >= DEGRADED_TOP_STEPS * 4 && s <= floor) continue;
    const key = `${e.event.process.parent?.entity_id ?? '?'}\u0000${e.event.process.entity_id}`;
    const had = best.get(key);
    if (!had || clampScore(had.score) < s) best.set(key, e);
    if (best.size > DEGRADED_TOP_STEPS * 8) {
      // Keep the top 4×K; the floor lets the rest be skipped cheaply.
      const kept = [...best.entries()]
        .sort((a, b) => clampScore(b[1].score) - clampScore(a[1].score))
        .slice(0, DEGRADED_TOP_STEPS * 4);
      best.clear();
      for (const [k, v] of kept) best.set(k, v);
      floor = clampScore(kept[kept.length - 1]![1].score);
    }
  }
  const top = [...best.values()]
    .sort((a, b) => clampScore(b.score) - clampScore(a.score))
    .slice(0, DEGRADED_TOP_STEPS);
  if (top.length === 0) return undefined;
  const edges: EdgeDraft[] = top.map((e) => {
    const p = e.event.process;
    return {
      parentKey: p.parent?.entity_id ?? `?${p.entity_id}`,
      childKey: p.entity_id,
      parentName: processName(p.parent?.name ?? p.parent?.executable),
      childName: processName(p.name ?? p.executable),
      events: [e],
      score: clampScore(e.score),
      template: commandLineTemplate(p.command_line),
    };
  });
  const candidate: Candidate = {
    host: failure.host,
    window: failure.window,
    nodeKeys: [...new Set(edges.flatMap((d) => [d.parentKey, d.childKey]))],
    edges,
  };
  // Threshold 0 and no suppressions: the failure itself is the finding, whatever its steps score.
  const finder = await CommunityFinder.create({ prevalence, threshold: 0, suppressions: [] });
  await finder.addPrepared({
    hosts: [failure.host],
    candidates: [candidate],
    stats: emptyStats(),
  });
  const c = finder.finish().communities[0];
  if (!c) return undefined;
  const steps = edges.map((d) => `${d.parentName} → ${d.childName} (${d.score.toFixed(2)})`);
  const chain =
    `analysis failed on this host: ${failure.stage}: ${failure.error} — degraded analysis, ` +
    `top ${top.length} steps of ${failure.events} events by score: ${steps.join('; ')} … [chain truncated]`;
  return {
    ...c,
    id: failureCommunityId(failure.host, failure.window),
    // Flagged high whatever its steps score: an analysis that failed is itself the alert.
    score: 1,
    maxAnomaly: Math.max(c.maxAnomaly, 1),
    chain,
  };
}

/**
 * The same for a host whose events were never scored (its analysis failed in a worker thread):
 * scored here a slice at a time, keeping only each slice's best, so memory stays bounded. A slice
 * the scorer cannot score counts as score 0.
 */
export async function degradedAnalysisOfEvents(
  events: readonly ProcessEvent[],
  scorer: EdgeScorer,
  failure: HostWindowFailure,
  prevalence: PrevalenceSource,
): Promise<AnomalousCommunity | undefined> {
  const keep: ScoredEvent[] = [];
  const SLICE = 4_096;
  for (let i = 0; i < events.length; i += SLICE) {
    const slice = events.slice(i, i + SLICE);
    let scored: ScoredEvent[];
    try {
      scored = await scorer.score(slice);
    } catch {
      scored = slice.map((event) => ({ event, score: 0, scoreSource: 'model', topFeatures: [] }));
    }
    scored.sort((a, b) => clampScore(b.score) - clampScore(a.score));
    for (const e of scored.slice(0, DEGRADED_TOP_STEPS * 4)) keep.push(e);
  }
  return degradedAnalysis(keep, failure, prevalence);
}

/** The time span of a host's events (a failed host of a file run has no windows of its own). */
export function spanOf(events: readonly ProcessEvent[]): TimeWindow {
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of events) {
    const t = Date.parse(e['@timestamp']);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  return { start: new Date(lo).toISOString(), end: new Date(hi + 1).toISOString() };
}
