/**
 * One host of a file run, analysed as far as it can be without the rest of the environment:
 * its prevalence keys (counted once every host is done), its model scores, and the candidate
 * communities of its process graphs. The same function runs in the main thread and in worker
 * threads (host_worker.ts), so both give the same result.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer } from '../../../common/types/scoring';
import {
  groupForDetection,
  type PrepareOptions,
  prepareCandidates,
  type PreparedGroups,
} from './find_bad_communities';
import { type HostKeys, hostKeys } from './prevalence';

export interface HostAnalysis {
  host: string;
  events: number;
  keys: HostKeys;
  prepared: PreparedGroups;
  scoreMs: number;
}

/** Keys, scores and candidates of one host's events (all of them, in input order). */
export async function analyseHost(
  host: string,
  events: ProcessEvent[],
  scorer: EdgeScorer,
  opts: PrepareOptions,
): Promise<HostAnalysis> {
  const keys = hostKeys(events);
  let t = performance.now();
  // All of a host's events together, so the scorer finds parent start times among them. Only
  // candidates can be reported, so only their events are explained (when the scorer can wait).
  const lazy = scorer.scoreLazily ? await scorer.scoreLazily(events) : undefined;
  const scored = lazy ? lazy.scored : await scorer.score(events);
  let scoreMs = performance.now() - t;
  const prepared = prepareCandidates(groupForDetection(scored, opts), opts);
  if (lazy) {
    t = performance.now();
    for (const c of prepared.candidates) for (const e of c.edges) lazy.explain(e.events);
    scoreMs += performance.now() - t;
  }
  return { host, events: events.length, keys, prepared, scoreMs };
}
