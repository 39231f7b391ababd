/**
 * [Kibana glue] The detection job as a Task Manager task: one task instance per host partition,
 * so several Kibana nodes share the work; registered in setup, scheduled in start.
 */
import { TASK_TYPE, taskId } from '../../common/constants';
import type { Partition, RunReport } from '../ports';
import type { TaskManagerSetup, TaskManagerStart } from './contracts';

export type PartitionRunner = (partition: Partition, signal: AbortSignal) => Promise<RunReport>;

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
      createTaskRunner({ taskInstance, signal }) {
        // Older Kibana lines pass no signal: cancel() (called on timeout) aborts our own controller.
        const controller = new AbortController();
        signal?.addEventListener('abort', () => controller.abort(), { once: true });
        return {
          async run() {
            const { partition, partitions } = taskInstance.params as {
              partition: number;
              partitions: number;
            };
            const report = await run({ index: partition, count: partitions }, controller.signal);
            const runs = Number((taskInstance.state as { runs?: number }).runs ?? 0);
            // Failures are reported in state rather than thrown: the next scheduled run retries from
            // the checkpoint anyway, and throwing would only add Task Manager's own retry on top.
            return {
              state: { runs: runs + 1, lastStatus: report.status, lastRunId: report.runId },
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
