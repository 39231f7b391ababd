import { describe, expect, it } from 'vitest';
import { TASK_TYPE } from '../../common/constants';
import type { Partition, RunReport } from '../ports';
import type { TaskDefinition, TaskManagerStart } from './contracts';
import { registerDetectionTask, scheduleDetectionTasks } from './register_tasks';

function report(partition: Partition, status: RunReport['status']): RunReport {
  return {
    runId: 'run-1',
    partition,
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    window: null,
    status,
    eventsRead: 0,
    eventsRejected: 0,
    communities: 0,
    flagged: 0,
    errors: [],
  };
}

describe('detection task glue', () => {
  it('registers one task type whose runner runs the partition in its params and counts runs', async () => {
    const defs: Record<string, TaskDefinition> = {};
    const seen: Partition[] = [];
    registerDetectionTask(
      { registerTaskDefinitions: (d) => Object.assign(defs, d) },
      async (p) => {
        seen.push(p);
        return report(p, 'succeeded');
      },
      { timeout: '10m' },
    );
    const def = defs[TASK_TYPE]!;
    expect(def.timeout).toBe('10m');
    const runner = def.createTaskRunner({
      taskInstance: { params: { partition: 1, partitions: 3 }, state: { runs: 4 } },
    });
    expect(await runner.run()).toEqual({
      state: { runs: 5, lastStatus: 'succeeded', lastRunId: 'run-1' },
    });
    expect(seen).toEqual([{ index: 1, count: 3 }]);
  });

  it('cancel() and the task signal both abort the running job', async () => {
    const defs: Record<string, TaskDefinition> = {};
    registerDetectionTask(
      { registerTaskDefinitions: (d) => Object.assign(defs, d) },
      (p, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve(report(p, 'aborted'))),
        ),
      { timeout: '1m' },
    );
    const runner = defs[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
    });
    const running = runner.run();
    await runner.cancel!();
    expect(await running).toMatchObject({ state: { lastStatus: 'aborted' } });

    const outer = new AbortController();
    const runner2 = defs[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
      signal: outer.signal,
    });
    const running2 = runner2.run();
    outer.abort();
    expect(await running2).toMatchObject({ state: { lastStatus: 'aborted' } });
  });

  it('ensures one scheduled task per partition with stable ids', async () => {
    const scheduled: Parameters<TaskManagerStart['ensureScheduled']>[0][] = [];
    const tm = {
      ensureScheduled: async (t: (typeof scheduled)[number]) => scheduled.push(t),
      runSoon: async () => undefined,
      get: async () => ({ runAt: new Date() }),
    };
    const ids = await scheduleDetectionTasks(tm, { interval: '15m', partitions: 2 });
    expect(ids).toEqual(['problem_child:detection:1-of-2', 'problem_child:detection:2-of-2']);
    expect(scheduled.map((t) => [t.taskType, t.schedule.interval, t.params])).toEqual([
      [TASK_TYPE, '15m', { partition: 0, partitions: 2 }],
      [TASK_TYPE, '15m', { partition: 1, partitions: 2 }],
    ]);
  });
});
