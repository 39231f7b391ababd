/**
 * Fault isolation of the detection job: each host-window is analysed on its own, so one that
 * fails (an exception, or its time budget exceeded) is reported as a finding with a degraded
 * analysis instead of taking the run — and every other host's attacks — down with it. Failed
 * host-windows are quarantined in the job state store and retried by later runs, a bounded
 * number of times.
 *
 * Under Kibana the job runs in the server process, so the budget is checked between the two
 * halves of a host-window's analysis (graph + communities, then prevalence): a host-window over
 * budget is discarded and reported, not stopped mid-way. The CLI's worker threads
 * (parallel_hosts.ts) stop an analysis at its budget with `resourceLimits` and terminate.
 */
import type { AnomalousCommunity, TimeWindow } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import type { EdgeScorer, ScoredEvent } from '../../common/types/scoring';
import {
  degradedAnalysis,
  failureCommunityId,
  failureText,
  type HostWindowFailure,
} from '../lib/detection/degraded_analysis';
import {
  CommunityFinder,
  type FindBadCommunitiesResult,
  prepareCandidates,
  rankCommunities,
  type StreamOptions,
} from '../lib/detection/find_bad_communities';
import { hostKey } from '../lib/detection/names';
import { streamHostWindows } from '../lib/detection/windowing';
import type { Partition, QuarantinedHostWindow } from '../ports';

export interface HostWindowBudget {
  /** Most wall-clock time one host-window's analysis may take (default 120 s). */
  timeMs: number;
  /** Runs that analyse a quarantined host-window before it is left for an analyst (default 3). */
  maxAttempts: number;
}

export const DEFAULT_HOST_WINDOW_BUDGET: HostWindowBudget = { timeMs: 120_000, maxAttempts: 3 };

export class BudgetExceededError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'BudgetExceededError';
  }
}

/** A failure whose text was made where it happened (scoring), passed on as is. */
class AlreadyDescribed extends Error {}

export interface IsolatedResult extends FindBadCommunitiesResult {
  failures: HostWindowFailure[];
  /** host key + window start of every host-window analysed (failed or not). */
  analysed: { host: string; window: TimeWindow }[];
}

/** Host-windows of a stream analysed one by one; failures become degraded findings. */
export async function analyseHostWindowsIsolated(
  scored: AsyncIterable<ScoredEvent>,
  opts: StreamOptions,
  budget: HostWindowBudget,
  /** Hosts whose events could not be scored (their events come with score 0), and why. */
  scoreFailures: ReadonlyMap<string, string>,
  isAborted: () => boolean,
): Promise<IsolatedResult> {
  const finder = await CommunityFinder.create(opts);
  const failures: HostWindowFailure[] = [];
  const degraded: AnomalousCommunity[] = [];
  const analysed = new Map<string, { host: string; window: TimeWindow }>();
  for await (const g of streamHostWindows(scored, { ...finder.grouping })) {
    analysed.set(`${g.host}\u0000${g.window.start}`, { host: g.host, window: g.window });
    let stage = 'building the process graph and communities';
    const t0 = performance.now();
    try {
      const scoring = scoreFailures.get(g.host);
      if (scoring !== undefined) {
        stage = 'scoring events';
        throw new AlreadyDescribed(scoring);
      }
      const prepared = prepareCandidates([g], opts);
      const spent = performance.now() - t0;
      if (spent > budget.timeMs) {
        stage = 'time budget';
        throw new BudgetExceededError(
          `analysis took ${Math.round(spent)} ms, over the ${budget.timeMs} ms budget`,
        );
      }
      stage = 'weighing communities by prevalence';
      await finder.addPrepared(prepared);
    } catch (e) {
      if (isAborted()) throw e;
      const failure: HostWindowFailure = {
        host: g.host,
        window: g.window,
        stage,
        error: e instanceof AlreadyDescribed ? e.message : failureText(stage, e),
        events: g.events.length,
      };
      failures.push(failure);
      try {
        const c = await degradedAnalysis(g.events, failure, opts.prevalence);
        if (c) degraded.push(c);
      } catch {
        // The failure is still recorded and quarantined; only its degraded view is missing.
      }
    }
  }
  const result = finder.finish();
  // A host-window split by the per-group cap keeps what its other parts found; the failure
  // finding sits beside it.
  const communities = rankCommunities([...result.communities, ...dedupe(degraded)]);
  result.stats.flagged = communities.length;
  return { ...result, communities, failures, analysed: [...analysed.values()] };
}

/** Parts of one split host-window share a failure id: keep the first. */
function dedupe(list: AnomalousCommunity[]): AnomalousCommunity[] {
  const seen = new Set<string>();
  return list.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

export function quarantineId(partition: Partition, host: string, window: TimeWindow): string {
  return `${partition.index}/${partition.count}|${hostKey(host)}|${window.start}`;
}

/** The record after one more failure (a first failure when `before` is absent). */
export function nextQuarantine(
  before: QuarantinedHostWindow | undefined,
  partition: Partition,
  f: HostWindowFailure,
  budget: HostWindowBudget,
  now: string,
): QuarantinedHostWindow {
  const attempts = (before?.attempts ?? 0) + 1;
  return {
    id: quarantineId(partition, f.host, f.window),
    partition,
    host: f.host,
    window: f.window,
    stage: f.stage,
    error: f.error,
    attempts,
    maxAttempts: budget.maxAttempts,
    status: attempts >= budget.maxAttempts ? 'exhausted' : 'pending',
    communityId: failureCommunityId(f.host, f.window),
    firstFailedAt: before?.firstFailedAt ?? now,
    lastFailedAt: now,
  };
}

/**
 * Scores a batch; when the batch fails, each host's events are scored on their own so one
 * host's hostile record does not stop the others. A host that still fails gets score 0 for
 * those events and is named in `failures` (its host-windows become failure findings).
 */
export async function scoreByHost(
  scorer: EdgeScorer,
  batch: ProcessEvent[],
  failures: Map<string, string>,
  isAborted: () => boolean,
): Promise<ScoredEvent[]> {
  try {
    return await scorer.score(batch);
  } catch (e) {
    if (isAborted()) throw e;
    const byHost = new Map<string, ProcessEvent[]>();
    for (const ev of batch) {
      const k = hostKey(ev.host.name);
      const l = byHost.get(k);
      if (l) l.push(ev);
      else byHost.set(k, [ev]);
    }
    const out: ScoredEvent[] = [];
    for (const [host, events] of byHost) {
      try {
        for (const s of await scorer.score(events)) out.push(s);
      } catch (err) {
        if (isAborted()) throw err;
        if (!failures.has(host)) failures.set(host, failureText('scoring events', err));
        for (const event of events)
          out.push({ event, score: 0, scoreSource: 'model', topFeatures: [] });
      }
    }
    // Grouping expects time order within a host, which per-host scoring keeps.
    return out;
  }
}

/**
 * Analyses again the quarantined host-windows that are due (pending, of this partition, outside
 * the span the run already covers): their window re-read, their host's events only.
 */
export async function retryQuarantined(
  due: readonly QuarantinedHostWindow[],
  read: (window: TimeWindow) => AsyncIterable<ProcessEvent>,
  scorer: EdgeScorer,
  opts: StreamOptions,
  budget: HostWindowBudget,
  isAborted: () => boolean,
): Promise<IsolatedResult> {
  const out: IsolatedResult = {
    communities: [],
    failures: [],
    analysed: [],
    stats: (await CommunityFinder.create(opts)).finish().stats,
  };
  for (const q of due) {
    const host = hostKey(q.host);
    const events: ProcessEvent[] = [];
    for await (const e of read(q.window)) if (hostKey(e.host.name) === host) events.push(e);
    const scoreFailures = new Map<string, string>();
    const scored = await scoreByHost(scorer, events, scoreFailures, isAborted);
    const r = await analyseHostWindowsIsolated(
      (async function* () {
        yield* scored;
      })(),
      opts,
      budget,
      scoreFailures,
      isAborted,
    );
    for (const c of r.communities) out.communities.push(c);
    for (const f of r.failures) out.failures.push(f);
    out.analysed.push({ host, window: q.window });
  }
  return out;
}
