/**
 * Run-now under Kibana, through the real route, the plugin and the fake Task Manager (its
 * runSoon/schedule errors as task_scheduling.ts and task_store.ts throw them): 202 when queued,
 * 409 with a clear message while a run is in progress or being claimed, never a 500, and a
 * range that reaches the task.
 */
import { describe, expect, it } from 'vitest';
import { TASK_TYPE, rangedRunTaskId, taskId } from '../../common/constants';
import { classifyTaskManagerError, requestDetectionRun } from './run_now';
import { FakeTaskManager, savedObjectsError } from './testing/fake_kibana';
import { type HarnessUser, KibanaHarness } from './testing/plugin_harness';

const API = '/internal/problem_child';
const ADMIN: HarnessUser = {
  name: 'admin',
  feature: 'all',
  indices: { read: ['logs-*'], write: [] },
};
const log = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;
const hoursAgo = (h: number) =>
  new Date(Math.floor(Date.now() / HOUR) * HOUR - h * HOUR).toISOString();

async function enabled(partitions = 1): Promise<KibanaHarness> {
  const kibana = new KibanaHarness({ config: { partitions } });
  kibana.addUser(ADMIN);
  await kibana.start();
  const res = await kibana.request(ADMIN, 'post', `${API}/detection/_enable`, { body: {} });
  expect(res.status).toBe(200);
  return kibana;
}

const runNow = (kibana: KibanaHarness, body?: unknown) =>
  kibana.request(ADMIN, 'post', `${API}/detection/_run`, { body });

describe('run-now under Kibana', () => {
  it('answers 202 and asks Task Manager to run every partition soon', async () => {
    const kibana = await enabled(2);
    const res = await runNow(kibana);
    expect(res.status).toBe(202);
    expect(res.payload).toMatchObject({ started: true });
    expect(kibana.taskManager.runSoonCalls).toEqual([taskId(0, 2), taskId(1, 2)]);
  });

  it.each(['running', 'claiming'])(
    'answers 409 with a clear message while the task is %s',
    async (status) => {
      const kibana = await enabled();
      kibana.taskManager.tasks.get(taskId(0, 1))!.status = status;
      const res = await runNow(kibana);
      expect(res.status).toBe(409);
      expect((res.payload as { message: string }).message).toMatch(
        /already in progress \(partition 1 of 1\); try again when it has finished/,
      );
    },
  );

  it('answers 409 while a real run is in progress, from inside that run', async () => {
    const kibana = await enabled();
    let during: { status: number } | undefined;
    await kibana.taskManager.run(taskId(0, 1), {
      during: async () => {
        during = await runNow(kibana);
      },
    });
    expect(during?.status).toBe(409);
  });

  it('queues the partitions that are free and says which are busy', async () => {
    const kibana = await enabled(2);
    kibana.taskManager.tasks.get(taskId(1, 2))!.status = 'running';
    const res = await runNow(kibana);
    expect(res.status).toBe(202);
    expect((res.payload as { message: string }).message).toMatch(
      /queued for partition 1 of 2; partition 2 of 2 already running/,
    );
  });

  it('answers 409 before set-up has scheduled the tasks, and 503 when Task Manager fails', async () => {
    const kibana = await enabled();
    kibana.taskManager.tasks.clear();
    const res = await runNow(kibana);
    expect(res.status).toBe(409);
    expect((res.payload as { message: string }).message).toMatch(/not scheduled yet/);

    const tm = new FakeTaskManager();
    tm.runSoon = async () => {
      throw new Error('search_phase_execution_exception');
    };
    const out = await requestDetectionRun(tm, { partitions: 1, logger: log });
    expect(out).toMatchObject({ started: false, statusCode: 503 });
  });

  it('carries a range to the task as a one-off instance, one at a time per partition', async () => {
    const kibana = await enabled();
    const range = { from: hoursAgo(48), to: hoursAgo(24) };
    const res = await runNow(kibana, range);
    expect(res.status).toBe(202);
    const oneOff = kibana.taskManager.tasks.get(rangedRunTaskId(0, 1))!;
    expect(oneOff).toMatchObject({
      taskType: TASK_TYPE,
      params: { partition: 0, partitions: 1, range },
    });
    expect(oneOff.schedule).toBeUndefined();
    // A second ranged request while the first is queued.
    const again = await runNow(kibana, range);
    expect(again.status).toBe(409);

    // The task reads the range: its event search covers the requested day, not the schedule's.
    kibana.cluster.calls.length = 0;
    const out = await kibana.taskManager.run(rangedRunTaskId(0, 1));
    expect(out).toMatchObject({ state: { lastStatus: 'nothing_to_do' } });
    const reads = kibana.cluster.calls.filter((c) => c.identity.startsWith('api_key:'));
    expect(reads.some((c) => c.body.includes(range.from) && c.body.includes(range.to))).toBe(true);
    expect(kibana.taskManager.tasks.has(rangedRunTaskId(0, 1))).toBe(false);
    expect((await runNow(kibana, range)).status).toBe(202);
  });

  it('refuses a ranged run while the recurring run of the partition is in progress', async () => {
    const kibana = await enabled();
    kibana.taskManager.tasks.get(taskId(0, 1))!.status = 'running';
    const res = await runNow(kibana, { from: hoursAgo(24) });
    expect(res.status).toBe(409);
    expect(kibana.taskManager.tasks.has(rangedRunTaskId(0, 1))).toBe(false);
  });

  it('replaces a one-off that failed for good instead of refusing forever', async () => {
    const kibana = await enabled();
    await kibana.taskManager.schedule({
      id: rangedRunTaskId(0, 1),
      taskType: TASK_TYPE,
      params: { partition: 0, partitions: 1 },
      state: {},
    });
    kibana.taskManager.tasks.get(rangedRunTaskId(0, 1))!.status = 'failed';
    const range = { from: hoursAgo(24) };
    expect((await runNow(kibana, range)).status).toBe(202);
    expect(kibana.taskManager.tasks.get(rangedRunTaskId(0, 1))!.params.range).toEqual(range);
  });

  it('refuses a bad range with 400 naming the field', async () => {
    const kibana = await enabled();
    const res = await runNow(kibana, { from: 'yesterday' });
    expect(res.status).toBe(400);
    expect((res.payload as { message: string }).message).toMatch(/body\.from/);
  });

  it('tells Task Manager errors apart without their classes', () => {
    expect(
      classifyTaskManagerError(new Error('Failed to run task "x" as it is currently running')),
    ).toBe('running');
    expect(
      classifyTaskManagerError(
        new Error('Failed to run task "x" as it is currently running and cannot be forced'),
      ),
    ).toBe('running');
    expect(
      classifyTaskManagerError(savedObjectsError(404, 'Saved object [task/x] not found')),
    ).toBe('missing');
    expect(classifyTaskManagerError(savedObjectsError(409, 'conflict'))).toBe('conflict');
    expect(classifyTaskManagerError(new Error('boom'))).toBe('other');
  });
});
