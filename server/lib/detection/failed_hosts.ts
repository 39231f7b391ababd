/**
 * Hosts of a file run whose analysis failed (an exception, or a time or memory budget of their
 * thread), added to the run's result as findings of their own: score 1, ranked first, with a
 * degraded analysis (their top-scored steps) — so a hostile host is reported, not silently lost.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer } from '../../../common/types/scoring';
import { degradedAnalysisOfEvents, failureText, spanOf } from './degraded_analysis';
import {
  type FindBadCommunitiesResult,
  type PrevalenceSource,
  rankCommunities,
} from './find_bad_communities';
import type { HostAnalysisFailure } from './parallel_hosts';

export async function addFailedHosts(
  result: FindBadCommunitiesResult,
  failures: readonly HostAnalysisFailure[],
  spill: { read(host: string): ProcessEvent[] },
  scorer: EdgeScorer,
  prevalence: PrevalenceSource,
): Promise<FindBadCommunitiesResult> {
  if (failures.length === 0) return result;
  const added = [];
  for (const f of failures) {
    let events: ProcessEvent[] = [];
    try {
      events = spill.read(f.host);
    } catch {
      // Already dropped (analysed in this thread): the finding still names the host and error.
    }
    const failure = {
      host: f.host,
      window: spanOf(events),
      stage: f.stage,
      error: failureText(f.stage, f.error).slice(0, 300),
      events: events.length,
    };
    try {
      const c = await degradedAnalysisOfEvents(events, scorer, failure, prevalence);
      if (c) added.push(c);
    } catch {
      // The failure is on stderr and in the summary even without its degraded view.
    }
  }
  const communities = rankCommunities([...result.communities, ...added]);
  result.stats.flagged = communities.length;
  // With --all the unflagged ranks continue after the flagged ones.
  for (const c of result.unflagged ?? []) c.rank += added.length;
  return { ...result, communities };
}
