/**
 * The detection job: read window → score → per-host graphs → communities → prevalence → rank →
 * write. One function, run by Kibana Task Manager and by the standalone scheduler alike.
 *
 * Why it cannot lose or duplicate work:
 *  - graphs are built per host over epoch-aligned windows, so a community found twice gets the
 *    same id and is upserted, not added;
 *  - every run re-reads whole windows from their aligned start, so a window processed while it
 *    was still filling is later replaced by its complete version (stale untriaged communities of
 *    a re-processed host window are removed; anything an analyst touched is kept);
 *  - the checkpoint only moves after every write succeeded; a crash or abort before that makes
 *    the next run redo the same span, which the two points above make harmless;
 *  - each run re-reads `lookback` before the checkpoint, so late-arriving events are picked up.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_GRAPH_WINDOW } from '../../common/constants';
import type { TimeWindow } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import type { EdgeScorer, ScoredEvent } from '../../common/types/scoring';
import { rankCommunities } from '../lib/detection/find_bad_communities';
import { hostKey } from '../lib/detection/names';
import { parseWindow } from '../lib/detection/windowing';
import type {
  FindingSink,
  FlaggedChange,
  Logger,
  Partition,
  ReadAccounting,
  RunReport,
  Settings,
  Stores,
} from '../ports';
import {
  analyseHostWindowsIsolated,
  DEFAULT_HOST_WINDOW_BUDGET,
  type HostWindowBudget,
  nextQuarantine,
  quarantineId,
  retryQuarantined,
  scoreByHost,
} from './host_window_isolation';

export interface DetectionJobDeps {
  stores: Stores;
  /** The scorer for the current settings (score source model / elastic / blend). */
  scorer: (settings: Settings) => Promise<EdgeScorer>;
  logger: Logger;
  now?: () => Date;
  /** Receive each run's flagged communities once they are stored (see FindingSink). */
  sinks?: readonly FindingSink[];
}

export interface DetectionJobParams {
  partition: Partition;
  /** Graph window: events of one host inside one window form one graph (DEFAULT_GRAPH_WINDOW). */
  graphWindow?: string;
  /** Most graph windows one run may process, so a long outage is caught up run by run. */
  maxWindowsPerRun?: number;
  /** Explicit range for "run now" over a chosen period; the checkpoint is left alone. */
  range?: { from?: string; to?: string };
  seed?: number;
  /** Events scored per model call. */
  scoreBatch?: number;
  /** Time budget per host-window and retries of a failed one (DEFAULT_HOST_WINDOW_BUDGET). */
  budget?: Partial<HostWindowBudget>;
}

export class JobAbortedError extends Error {
  constructor() {
    super('detection run aborted');
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new JobAbortedError();
}

const alignDown = (t: number, w: number) => Math.floor(t / w) * w;

/** The span this run covers: whole graph windows from (checkpoint − lookback) up to now. */
export function planSpan(
  now: number,
  graphWindowMs: number,
  lookbackMs: number,
  processedUntil: number | undefined,
  maxWindows: number,
): { start: number; end: number; complete: boolean } {
  const from =
    processedUntil === undefined ? now - lookbackMs : Math.min(processedUntil, now) - lookbackMs;
  const start = alignDown(from, graphWindowMs);
  const cap = start + maxWindows * graphWindowMs;
  return cap < now ? { start, end: cap, complete: false } : { start, end: now, complete: true };
}

async function* scoreStream(
  events: AsyncIterable<ProcessEvent>,
  scorer: EdgeScorer,
  batchSize: number,
  seen: Set<string>,
  signal: AbortSignal | undefined,
  scoreFailures: Map<string, string>,
): AsyncGenerator<ScoredEvent> {
  let batch: ProcessEvent[] = [];
  const flush = async function* () {
    checkAbort(signal);
    const scored = await scoreByHost(scorer, batch, scoreFailures, () => !!signal?.aborted);
    batch = [];
    yield* scored;
  };
  for await (const e of events) {
    seen.add(`${hostKey(e.host.name)}`);
    batch.push(e);
    if (batch.length >= batchSize) yield* flush();
  }
  if (batch.length) yield* flush();
}

/** Runs one partition once. Never throws for ordinary failures: the report says what happened. */
export async function runDetectionJob(
  deps: DetectionJobDeps,
  params: DetectionJobParams,
  signal?: AbortSignal,
): Promise<RunReport> {
  const now = (deps.now ?? (() => new Date()))();
  const runId = randomUUID();
  const startedAt = now.toISOString();
  const report: RunReport = {
    runId,
    partition: params.partition,
    startedAt,
    finishedAt: startedAt,
    durationMs: 0,
    window: null,
    status: 'succeeded',
    eventsRead: 0,
    eventsRejected: 0,
    communities: 0,
    flagged: 0,
    errors: [],
  };
  const t0 = performance.now();
  const { stores, logger } = deps;
  // [H10, issue 18 finding 6] Recorded before any work, so a run whose host is killed still
  // shows in the history; the outcome below replaces it (server/stores/run_history.ts).
  await stores.state
    .recordRun({ ...report, status: 'running' })
    .catch((e: unknown) =>
      logger.warn(`could not record the start of run ${runId}`, { error: String(e) }),
    );
  // Named in the report when the run fails, so "connect ECONNREFUSED" says what it interrupted.
  let stage = 'reading settings';
  const accounting: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
  try {
    const settings = await stores.settings.get();
    const graphMs = parseWindow(params.graphWindow ?? DEFAULT_GRAPH_WINDOW);
    if (graphMs <= 0) throw new Error('graphWindow must be a positive duration such as 1h');
    const lookbackMs = parseWindow(settings.lookback);
    const explicit = params.range?.from !== undefined || params.range?.to !== undefined;
    let span: { start: number; end: number; complete: boolean };
    if (explicit) {
      const end = params.range?.to ? Date.parse(params.range.to) : now.getTime();
      const from = params.range?.from ? Date.parse(params.range.from) : end - lookbackMs;
      span = { start: alignDown(from, graphMs), end, complete: true };
    } else {
      stage = 'reading the checkpoint';
      const cp = await stores.state.getCheckpoint(params.partition);
      span = planSpan(
        now.getTime(),
        graphMs,
        lookbackMs,
        cp ? Date.parse(cp.processedUntil) : undefined,
        params.maxWindowsPerRun ?? 48,
      );
    }
    const window: TimeWindow = {
      start: new Date(span.start).toISOString(),
      end: new Date(span.end).toISOString(),
    };
    report.window = window;
    checkAbort(signal);

    stage = 'loading prevalence';
    const prevalenceMs = parseWindow(settings.prevalence_lookback);
    const prevalence = await stores.prevalence.forWindow(
      { start: new Date(span.end - prevalenceMs).toISOString(), end: window.end },
      signal,
    );
    const scorer = await deps.scorer(settings);
    checkAbort(signal);

    stage = 'reading quarantined host-windows';
    const budget = { ...DEFAULT_HOST_WINDOW_BUDGET, ...params.budget };
    const pk = (p: Partition) => `${p.index}/${p.count}`;
    const quarantined = new Map(
      (await stores.state.listQuarantine())
        .filter((q) => pk(q.partition) === pk(params.partition))
        .map((q) => [q.id, q]),
    );

    stage = 'reading and scoring events';
    const hosts = new Set<string>();
    const scoreFailures = new Map<string, string>();
    const scored = scoreStream(
      stores.events.readEvents({ window, partition: params.partition, signal }, accounting),
      scorer,
      params.scoreBatch ?? 8_192,
      hosts,
      signal,
      scoreFailures,
    );
    const findOpts = {
      prevalence,
      suppressions: stores.suppressions,
      threshold: settings.threshold,
      seed: params.seed,
      window: graphMs,
    };
    const aborted = () => !!signal?.aborted;
    // Each host-window on its own: one that fails is a finding, not the end of the run.
    const result = await analyseHostWindowsIsolated(
      scored,
      findOpts,
      budget,
      scoreFailures,
      aborted,
    );
    checkAbort(signal);
    stage = 'retrying quarantined host-windows';
    const retried = await retryQuarantined(
      [...quarantined.values()].filter(
        (q) =>
          q.status === 'pending' &&
          (Date.parse(q.window.start) < span.start || Date.parse(q.window.start) >= span.end),
      ),
      (w) =>
        stores.events.readEvents({ window: w, partition: params.partition, signal }, accounting),
      scorer,
      findOpts,
      budget,
      aborted,
    );
    checkAbort(signal);
    if (retried.analysed.length) {
      result.communities = rankCommunities([...result.communities, ...retried.communities]);
      result.failures.push(...retried.failures);
    }
    for (const f of result.failures)
      report.errors.push(
        `analysis failed on host ${f.host} for ${f.window.start}..${f.window.end} (${f.stage}: ${f.error}); reported as a finding with a degraded analysis and quarantined`,
      );
    report.eventsRead = accounting.read;
    report.eventsRejected = Object.values(accounting.rejected).reduce((a, b) => a + b, 0);
    report.communities = result.stats.communities;
    report.flagged = result.communities.length;
    if (report.eventsRejected > 0) {
      report.errors.push(
        `rejected ${report.eventsRejected} of ${accounting.read} records: ` +
          Object.entries(accounting.rejected)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', '),
      );
    }
    // Read but not analysed (not a process creation after all, or another partition's host):
    // said here, or the gap between events read and events analysed would go unexplained.
    const skipped = Object.values(accounting.skipped).reduce((a, b) => a + b, 0);
    if (skipped > 0) {
      report.errors.push(
        `skipped ${skipped} of ${accounting.read} records: ` +
          Object.entries(accounting.skipped)
            .map(([kind, n]) => `${kind} ${n}`)
            .join(', '),
      );
    }

    // Every graph window of every host this run read is described in full by this run's result.
    const replaced: { host: string; window: TimeWindow }[] = [];
    for (const host of hosts) {
      for (let t = span.start; t < span.end; t += graphMs) {
        replaced.push({
          host,
          window: { start: new Date(t).toISOString(), end: new Date(t + graphMs).toISOString() },
        });
      }
    }
    for (const r of retried.analysed) replaced.push(r);
    // What each flagged community was before this run, so sinks can tell new from escalated.
    const sinks = deps.sinks ?? [];
    const changes: FlaggedChange[] = [];
    if (sinks.length) {
      stage = 'reading stored communities for notifications';
      for (const community of result.communities) {
        const before = await stores.communities.get(community.id);
        changes.push({
          community,
          ...(before ? { previous: { score: before.score, maxAnomaly: before.maxAnomaly } } : {}),
        });
      }
    }
    stage = 'writing communities';
    const write = await stores.communities.writeCommunities(result.communities, {
      runId,
      detectedAt: startedAt,
      replaced,
    });
    if (write.failed.length) {
      report.status = 'failed';
      report.errors.push(
        `${write.failed.length} communities could not be written or removed (first: ${write.failed[0]!.id}: ${write.failed[0]!.reason}); the checkpoint was not moved, the next run retries`,
      );
    }
    if (!write.failed.length) {
      for (const sink of sinks) {
        stage = `publishing findings to ${sink.name}`;
        await sink.publish(changes, { runId, detectedAt: startedAt }, signal);
      }
    }
    if (!write.failed.length) {
      // Failed host-windows counted (bounded retries); recovered ones leave the quarantine.
      stage = 'updating quarantined host-windows';
      const failedIds = new Set<string>();
      for (const f of result.failures) {
        const id = quarantineId(params.partition, f.host, f.window);
        failedIds.add(id);
        const q = nextQuarantine(quarantined.get(id), params.partition, f, budget, startedAt);
        await stores.state.saveQuarantine(q);
      }
      for (const r of replaced) {
        const id = quarantineId(params.partition, r.host, r.window);
        if (quarantined.has(id) && !failedIds.has(id)) await stores.state.deleteQuarantine(id);
      }
    }
    if (!write.failed.length && !explicit) {
      stage = 'saving the checkpoint';
      await stores.state.saveCheckpoint(params.partition, {
        processedUntil: window.end,
        updatedAt: new Date().toISOString(),
      });
    }
    if (report.status === 'succeeded' && report.eventsRead === 0) report.status = 'nothing_to_do';
  } catch (e) {
    if (e instanceof JobAbortedError || signal?.aborted) {
      report.status = 'aborted';
      report.errors.push('aborted before completion; the next run resumes from the checkpoint');
    } else {
      report.status = 'failed';
      // How far the read got: a failure, not a short window, is why the run has fewer events.
      report.eventsRead = accounting.read;
      // A checkpoint write that timed out may still have been applied.
      const kept = stage === 'saving the checkpoint' ? '' : ' (the checkpoint was not moved)';
      report.errors.push(`${stage} failed: ${e instanceof Error ? e.message : String(e)}${kept}`);
      logger.error(`detection run ${runId} failed while ${stage}`, { error: String(e) });
    }
  }
  report.durationMs = Math.round(performance.now() - t0);
  report.finishedAt = new Date(Date.parse(startedAt) + report.durationMs).toISOString();
  try {
    await stores.state.recordRun(report);
  } catch (e) {
    logger.warn(`could not record run ${runId}`, { error: String(e) });
  }
  logger.info(
    `detection run ${runId} ${report.status}: ${report.eventsRead} events, ${report.flagged} flagged communities in ${report.durationMs} ms`,
  );
  return report;
}
