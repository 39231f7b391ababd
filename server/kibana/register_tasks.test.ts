import { describe, expect, it } from 'vitest';
import { TASK_TYPE, rangedRunTaskId, taskId } from '../../common/constants';
import type { Partition, RunReport } from '../ports';
import {
  type PartitionRunner,
  parseTaskParams,
  registerDetectionTask,
  removeStaleDetectionTasks,
  scheduleDetectionTasks,
} from './register_tasks';
import { FakeTaskManager, type RunContextFlavour } from './testing/fake_kibana';

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

function withTask(run: PartitionRunner): FakeTaskManager {
  const tm = new FakeTaskManager();
  registerDetectionTask(tm, run, { timeout: '10m' });
  return tm;
}

/** A job that runs until its signal aborts. */
const untilAborted: PartitionRunner = (p, signal) =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(report(p, 'aborted'))));

describe('detection task glue', () => {
  it('registers one task type whose runner runs the partition in its params and counts runs', async () => {
    const seen: { p: Partition; range?: unknown }[] = [];
    const tm = withTask(async (p, _s, range) => {
      seen.push({ p, range });
      return report(p, 'succeeded');
    });
    expect(tm.definitions[TASK_TYPE]!.timeout).toBe('10m');
    const runner = tm.definitions[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 1, partitions: 3 }, state: { runs: 4 } },
    });
    expect(await runner.run()).toEqual({
      state: { runs: 5, lastStatus: 'succeeded', lastRunId: 'run-1' },
    });
    expect(seen).toEqual([{ p: { index: 1, count: 3 }, range: undefined }]);
  });

  it('hands a one-off instance its range', async () => {
    const seen: unknown[] = [];
    const tm = withTask(async (p, _s, range) => {
      seen.push(range);
      return report(p, 'succeeded');
    });
    const range = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' };
    await tm.schedule({
      id: rangedRunTaskId(0, 1),
      taskType: TASK_TYPE,
      params: { partition: 0, partitions: 1, range },
      state: {},
    });
    await tm.run(rangedRunTaskId(0, 1));
    expect(seen).toEqual([range]);
    // Task Manager deletes a one-off once it has run.
    expect(tm.tasks.has(rangedRunTaskId(0, 1))).toBe(false);
  });

  it('records a skipped run without a run id', async () => {
    const tm = withTask(async () => ({ status: 'not_enabled', message: 'no key' }));
    const runner = tm.definitions[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
    });
    expect(await runner.run()).toEqual({ state: { runs: 1, lastStatus: 'not_enabled' } });
  });

  it.each<RunContextFlavour>(['abortController', 'signal', 'none'])(
    'aborts the job when Task Manager aborts a run whose context carries %s',
    async (flavour) => {
      const tm = withTask(untilAborted);
      await scheduleDetectionTasks(tm, { interval: '15m', partitions: 1 });
      const out = await tm.run(taskId(0, 1), { flavour, during: async (abort) => abort() });
      expect(out).toMatchObject({ state: { runs: 1, lastStatus: 'aborted' } });
    },
  );

  it('starts aborted when the context’s signal already is', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: boolean[] = [];
    const tm = withTask(async (p, signal) => {
      seen.push(signal.aborted);
      return report(p, 'aborted');
    });
    await tm.definitions[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
      abortController: controller,
    }).run();
    expect(seen).toEqual([true]);
  });

  it('aborts the job through cancel() when the run context carries no signal (8.x)', async () => {
    const tm = withTask(untilAborted);
    const runner = tm.definitions[TASK_TYPE]!.createTaskRunner({
      taskInstance: { params: { partition: 0, partitions: 1 }, state: {} },
    });
    const running = runner.run();
    await runner.cancel!();
    expect(await running).toMatchObject({ state: { lastStatus: 'aborted' } });
  });

  it('refuses damaged params with a message naming them', () => {
    expect(() => parseTaskParams({ partition: 2, partitions: 2 })).toThrow(
      /partition < partitions/,
    );
    expect(() => parseTaskParams({ partition: '0', partitions: 1 })).toThrow(/partition/);
    expect(parseTaskParams({ partition: 0, partitions: 1, range: { from: 'x', to: 3 } })).toEqual({
      partition: { index: 0, count: 1 },
      range: { from: 'x' },
    });
  });

  it('ensures one scheduled task per partition with stable ids', async () => {
    const tm = withTask(untilAborted);
    const ids = await scheduleDetectionTasks(tm, { interval: '15m', partitions: 2 });
    expect(ids).toEqual(['problem_child:detection:1-of-2', 'problem_child:detection:2-of-2']);
    expect([...tm.tasks.values()].map((t) => [t.taskType, t.schedule, t.params])).toEqual([
      [TASK_TYPE, { interval: '15m' }, { partition: 0, partitions: 2 }],
      [TASK_TYPE, { interval: '15m' }, { partition: 1, partitions: 2 }],
    ]);
    // Again with another interval: the same tasks, rescheduled.
    await scheduleDetectionTasks(tm, { interval: '5m', partitions: 2 });
    expect([...tm.tasks.values()].map((t) => t.schedule)).toEqual([
      { interval: '5m' },
      { interval: '5m' },
    ]);
  });

  it('removes the tasks of an earlier partitioning and nothing else', async () => {
    const tm = withTask(untilAborted);
    tm.registerTaskDefinitions({
      'other:task': { title: 'another plugin', createTaskRunner: () => ({ run: async () => {} }) },
    });
    await scheduleDetectionTasks(tm, { interval: '15m', partitions: 3 });
    await tm.schedule({
      id: rangedRunTaskId(1, 3),
      taskType: TASK_TYPE,
      params: { partition: 1, partitions: 3 },
      state: {},
    });
    await tm.schedule({ id: 'other', taskType: 'other:task', params: {}, state: {} });
    await scheduleDetectionTasks(tm, { interval: '15m', partitions: 2 });
    await tm.schedule({
      id: rangedRunTaskId(0, 2),
      taskType: TASK_TYPE,
      params: { partition: 0, partitions: 2 },
      state: {},
    });

    const removed = await removeStaleDetectionTasks(tm, 2);
    expect(removed.sort()).toEqual(
      [taskId(0, 3), taskId(1, 3), taskId(2, 3), rangedRunTaskId(1, 3)].sort(),
    );
    expect([...tm.tasks.keys()].sort()).toEqual(
      ['other', taskId(0, 2), taskId(1, 2), rangedRunTaskId(0, 2)].sort(),
    );
    expect(await removeStaleDetectionTasks(tm, 2)).toEqual([]);
  });
});
