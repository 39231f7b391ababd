/**
 * [Kibana glue] "Run now" on Task Manager. Answers what the route sends: queued (202), a run
 * already in progress or being claimed (409 with the reason), never a 500 for those.
 *
 * Without a range each partition's recurring task is asked to run soon (`runSoon`). With a range
 * the range has to reach the task, and `runSoon` carries no parameters: each partition gets a
 * one-off instance of the detection task type whose params hold the range
 * (`taskManager.schedule`). Task Manager runs it at its next poll and deletes it once it has
 * run; its fixed id per partition means a second ranged request while one is queued or running
 * is answered 409 instead of stacking runs.
 */
import { TASK_TYPE, rangedRunTaskId, taskId } from '../../common/constants';
import type { Logger } from '../ports';
import type { TaskManagerStart } from './contracts';
import type { RunRange } from './register_tasks';

export interface RunNowResult {
  started: boolean;
  message: string;
  /** The status to answer when nothing was queued. */
  statusCode?: 409 | 503;
}

/** The status a Kibana or Elasticsearch error carries (Boom `output`, client `meta`, plain). */
export function httpStatusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as {
    statusCode?: unknown;
    output?: { statusCode?: unknown };
    meta?: { statusCode?: unknown };
  };
  const s = err.output?.statusCode ?? err.statusCode ?? err.meta?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export type RunSoonFailure = 'running' | 'missing' | 'conflict' | 'other';

/**
 * Task Manager's own error classes are not importable here, and another copy's would not match
 * `instanceof` anyway: its errors are told apart by their words and status.
 */
export function classifyTaskManagerError(e: unknown): RunSoonFailure {
  const message = e instanceof Error ? e.message : String(e);
  if (/as it is currently running/.test(message)) return 'running';
  const status = httpStatusOf(e);
  if (status === 404) return 'missing';
  if (status === 409) return 'conflict';
  return 'other';
}

const label = (i: number, n: number) => `${i + 1} of ${n}`;

export async function requestDetectionRun(
  taskManager: TaskManagerStart,
  opts: { partitions: number; range?: RunRange; logger: Logger },
): Promise<RunNowResult> {
  const n = opts.partitions;
  const queued: string[] = [];
  const running: string[] = [];
  const missing: string[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    try {
      if (opts.range) await scheduleRanged(taskManager, i, n, opts.range);
      else await taskManager.runSoon(taskId(i, n));
      queued.push(label(i, n));
    } catch (e) {
      const kind = classifyTaskManagerError(e);
      if (kind === 'running' || kind === 'conflict') running.push(label(i, n));
      else if (kind === 'missing') missing.push(label(i, n));
      else {
        failed++;
        opts.logger.error(`run-now of detection partition ${label(i, n)} failed`, {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }
  const what = opts.range ? 'a detection run over the requested range' : 'a detection run';
  if (queued.length > 0) {
    const notes = [
      running.length ? `partition ${running.join(', ')} already running` : '',
      missing.length ? `partition ${missing.join(', ')} not scheduled yet` : '',
      failed ? `${failed} partition(s) could not be queued (see the Kibana log)` : '',
    ].filter(Boolean);
    return {
      started: true,
      message: `${what} is queued for partition ${queued.join(', ')}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    };
  }
  if (running.length > 0)
    return {
      started: false,
      statusCode: 409,
      message: `A detection run is already in progress (partition ${running.join(', ')}); try again when it has finished`,
    };
  if (missing.length > 0)
    return {
      started: false,
      statusCode: 409,
      message:
        'Detection is not scheduled yet: Kibana is still setting it up (see the set-up state in the detection status)',
    };
  return {
    started: false,
    statusCode: 503,
    message: 'Task Manager could not queue the run; see the Kibana server log',
  };
}

/**
 * One ranged run per partition at a time. A recurring run of the partition already in progress
 * counts as busy too, so two runs never write the same hosts at once.
 */
async function scheduleRanged(
  tm: TaskManagerStart,
  i: number,
  n: number,
  range: RunRange,
): Promise<void> {
  const recurring = await tm.get(taskId(i, n)).catch(() => undefined);
  if (recurring?.status === 'running' || recurring?.status === 'claiming')
    throw new Error(`Failed to run task "${taskId(i, n)}" as it is currently running`);
  const task = {
    id: rangedRunTaskId(i, n),
    taskType: TASK_TYPE,
    params: { partition: i, partitions: n, range },
    state: {},
  };
  try {
    await tm.schedule(task);
  } catch (e) {
    if (classifyTaskManagerError(e) !== 'conflict') throw e;
    // A one-off that failed for good stays in the index; it must not block ranged runs forever.
    const existing = await tm.get(task.id).catch(() => undefined);
    if (existing?.status !== 'failed' && existing?.status !== 'dead_letter') throw e;
    await tm.removeIfExists(task.id);
    await tm.schedule(task);
  }
}
