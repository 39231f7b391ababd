/**
 * One host of a file run, analysed as far as it can be without the rest of the environment:
 * its prevalence keys (counted once every host is done), its model scores, and the candidate
 * communities of its process graphs. The same function runs in the main thread and in worker
 * threads (host_worker.ts), so both give the same result.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer } from '../../../common/types/scoring';
import { SecondSightingCache } from '../normalise/bounded_map';
import { commandLineTemplate } from './command_line_template';
import {
  groupForDetection,
  type PrepareOptions,
  prepareCandidates,
  type PreparedGroups,
} from './find_bad_communities';
import { processName } from './names';

/** Prevalence keys of a host's events: time, and parent, child and template as word ids. */
export interface HostKeys {
  times: Float64Array;
  /** Three per event: parent name, child name, command-line template (indices into words). */
  ids: Int32Array;
  words: string[];
}

export interface HostAnalysis {
  host: string;
  events: number;
  keys: HostKeys;
  prepared: PreparedGroups;
  scoreMs: number;
}

// Templating is the costly part of the keys and most command lines recur (services, schedulers).
const templates = new SecondSightingCache<string>(65_536);

/** The keys prevalence counts, for events that all belong to one host. */
export function hostKeys(events: readonly ProcessEvent[]): HostKeys {
  const times = new Float64Array(events.length);
  const ids = new Int32Array(3 * events.length);
  const words: string[] = [];
  const dict = new Map<string, number>();
  const id = (w: string): number => {
    let i = dict.get(w);
    if (i === undefined) {
      dict.set(w, (i = words.length));
      words.push(w);
    }
    return i;
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as ProcessEvent;
    const cmd = e.process.command_line ?? '';
    let template = templates.get(cmd);
    if (template === undefined) {
      template = commandLineTemplate(cmd);
      templates.offer(cmd, template);
    }
    times[i] = Date.parse(e['@timestamp']);
    ids[3 * i] = id(processName(e.process.parent.name ?? e.process.parent.executable));
    ids[3 * i + 1] = id(processName(e.process.name ?? e.process.executable));
    ids[3 * i + 2] = id(template);
  }
  return { times, ids, words };
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
