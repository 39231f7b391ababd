/**
 * Runs that never finished. The job records a `running` entry when a run starts and replaces it
 * with the outcome; an entry still `running` long after any run could have ended belongs to a
 * host that was killed (kill -9, OOM, power) and is shown as aborted, so the history keeps it.
 */
import type { RunReport } from '../ports';

/** Longer than any run may take (the schedulers' task timeouts are minutes). */
export const STALE_RUN_MS = 2 * 3_600_000;

export const UNFINISHED_RUN_ERROR =
  'the run never finished: its host stopped (killed or crashed) before recording an outcome; the next run resumes from the checkpoint';

/** The report as history shows it: an unfinished run past `STALE_RUN_MS` (or `now` unknown to it) as aborted. */
export function settleUnfinishedRun(
  r: RunReport,
  nowMs: number,
  staleMs: number = STALE_RUN_MS,
): RunReport {
  if (r.status !== 'running' || nowMs - Date.parse(r.startedAt) < staleMs) return r;
  return { ...r, status: 'aborted', errors: [...r.errors, UNFINISHED_RUN_ERROR] };
}
