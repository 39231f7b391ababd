/**
 * [Kibana glue] The detection job as a Task Manager task: one recurring task instance per host
 * partition, so several Kibana nodes share the work; registered in setup, scheduled from start.
 * A run-now with a range becomes a one-off instance of the same task type (see run_now.ts).
 */
import { TASK_TYPE, rangedRunTaskId, taskId } from '../../common/constants';
import type { Partition, RunReport } from '../ports';
import type { TaskManagerSetup, TaskManagerStart, TaskRunContext } from './contracts';

export interface RunRange {
  from?: string;
  to?: string;
}

/** A run that did not start because detection may not read source events. */
export interface SkippedRun {
  status: 'not_enabled' | 'stopped';
  message: string;
}

export type PartitionRunner = (
  partition: Partition,
  signal: AbortSignal,
  range?: RunRange,
) => Promise<RunReport | SkippedRun>;

/** What a task instance's params must hold; anything else is a damaged task document. */
export function parseTaskParams(params: Record<string, unknown>): {
  partition: Partition;
  range?: RunRange;
} {
  const index = params.partition;
  const count = params.partitions;
  if (
    typeof index !== 'number' ||
    typeof count !== 'number' ||
    !Number.isInteger(index) ||
    !Number.isInteger(count) ||
    index < 0 ||
    index >= count
  ) {
    throw new Error(
      `detection task params must hold integers 0 <= partition < partitions, got ${JSON.stringify({ partition: index, partitions: count })}`,
    );
  }
  const raw = params.range as RunRange | undefined;
  const range =
    raw && typeof raw === 'object'
      ? {
          ...(typeof raw.from === 'string' ? { from: raw.from } : {}),
          ...(typeof raw.to === 'string' ? { to: raw.to } : {}),
        }
      : undefined;
  return { partition: { index, count }, range };
}

/**
 * The signal Task Manager aborts a run with, whichever way this Kibana passes it: `signal`
 * (newest), `abortController` (9.x, 9.3 included) or neither (8.x, cancel() only).
 */
export function taskSignal(context: TaskRunContext): AbortSignal | undefined {
  return context.signal ?? context.abortController?.signal;
}

export function registerDetectionTask(
  taskManager: TaskManagerSetup,
  run: PartitionRunner,
  opts: { timeout: string },
): void {
  taskManager.registerTaskDefinitions({
    [TASK_TYPE]: {
      title: 'ProblemChild detection',
      description: 'Scores process-creation events and flags anomalous process communities.',
      timeout: opts.timeout,
      maxAttempts: 3,
      createTaskRunner(context) {
        const { taskInstance } = context;
        // Our own controller: cancel() (called on timeout) aborts it on every version, and the
        // signal Task Manager passes, if any, is forwarded to it.
        const controller = new AbortController();
        const outer = taskSignal(context);
        if (outer?.aborted) controller.abort(outer.reason);
        else outer?.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
        return {
          async run() {
            const { partition, range } = parseTaskParams(taskInstance.params);
            const outcome = await run(partition, controller.signal, range);
            const runs = Number((taskInstance.state as { runs?: number }).runs ?? 0);
            // Failures are reported in state rather than thrown: the next scheduled run retries from
            // the checkpoint anyway, and throwing would only add Task Manager's own retry on top.
            return {
              state: {
                runs: runs + 1,
                lastStatus: outcome.status,
                ...('runId' in outcome ? { lastRunId: outcome.runId } : {}),
              },
            };
          },
          async cancel() {
            controller.abort();
          },
        };
      },
    },
  });
}

/** The recurring task ids of a partitioning. */
export function detectionTaskIds(partitions: number): string[] {
  return Array.from({ length: partitions }, (_, i) => taskId(i, partitions));
}

export async function scheduleDetectionTasks(
  taskManager: TaskManagerStart,
  opts: { interval: string; partitions: number },
): Promise<string[]> {
  const ids: string[] = [];
  for (let partition = 0; partition < opts.partitions; partition++) {
    const id = taskId(partition, opts.partitions);
    await taskManager.ensureScheduled({
      id,
      taskType: TASK_TYPE,
      schedule: { interval: opts.interval },
      params: { partition, partitions: opts.partitions },
      state: {},
    });
    ids.push(id);
  }
  return ids;
}

/**
 * Removes the detection task instances of any other partitioning. Task ids encode the
 * partition count, so after `partitions` changes the old ids would otherwise keep running
 * beside the new ones, each reading its old share of hosts.
 */
export async function removeStaleDetectionTasks(
  taskManager: TaskManagerStart,
  partitions: number,
): Promise<string[]> {
  const keep = new Set(
    Array.from({ length: partitions }, (_, i) => [
      taskId(i, partitions),
      rangedRunTaskId(i, partitions),
    ]).flat(),
  );
  const { docs } = await taskManager.fetch({
    query: { bool: { filter: [{ term: { 'task.taskType': TASK_TYPE } }] } },
    size: 1_000,
  });
  const stale = docs.map((d) => d.id).filter((id) => !keep.has(id));
  for (const id of stale) await taskManager.removeIfExists(id);
  return stale;
}
