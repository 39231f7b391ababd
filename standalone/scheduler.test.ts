import { describe, expect, it } from 'vitest';
import type { Partition, RunReport } from '../server/ports';
import { DetectionScheduler } from './scheduler';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

function report(partition: Partition): RunReport {
  const now = new Date().toISOString();
  return {
    runId: 'r',
    partition,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    window: null,
    status: 'succeeded',
    eventsRead: 0,
    eventsRejected: 0,
    communities: 0,
    flagged: 0,
    errors: [],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DetectionScheduler', () => {
  it('runs every partition in turn and never two runs at once', async () => {
    const calls: number[] = [];
    let active = 0;
    let maxActive = 0;
    const s = new DetectionScheduler({
      intervalMs: 20,
      timeoutMs: 5_000,
      partitions: 3,
      logger,
      async run(p) {
        active++;
        maxActive = Math.max(maxActive, active);
        calls.push(p.index);
        await sleep(10);
        active--;
        return report(p);
      },
    });
    s.start();
    await sleep(150);
    await s.stop(false);
    expect(maxActive).toBe(1);
    expect(calls.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('refuses run now while a run is in progress, then accepts it', async () => {
    let release!: () => void;
    const s = new DetectionScheduler({
      intervalMs: 60_000,
      timeoutMs: 5_000,
      partitions: 1,
      logger,
      runOnStart: false,
      run: (p) => new Promise((r) => (release = () => r(report(p)))),
    });
    s.start();
    expect(s.nextRunAt()).toBeDefined();
    expect(s.runSoon().started).toBe(true);
    expect(s.runSoon()).toEqual({
      started: false,
      message: 'a detection run is already in progress',
    });
    release();
    await sleep(5);
    expect(s.running).toBe(false);
    expect(s.runSoon().started).toBe(true);
    release();
    await s.stop();
  });

  it('cancels a run that exceeds the timeout through its AbortSignal', async () => {
    let aborted = false;
    const s = new DetectionScheduler({
      intervalMs: 60_000,
      timeoutMs: 30,
      partitions: 1,
      logger,
      run: (p, signal) =>
        new Promise((r) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            r({ ...report(p), status: 'aborted' });
          }),
        ),
    });
    s.start();
    await sleep(100);
    expect(aborted).toBe(true);
    await s.stop();
  });

  // Issue 18, finding 6: a new interval in the settings changed nothing until a restart.
  it('takes a changed interval at the next poll, without a restart', async () => {
    let interval = 3_600_000;
    const starts: number[] = [];
    const s = new DetectionScheduler({
      intervalMs: interval,
      timeoutMs: 5_000,
      partitions: 1,
      logger,
      runOnStart: false,
      pollMs: 20,
      currentIntervalMs: async () => interval,
      async run(p) {
        starts.push(Date.now());
        return report(p);
      },
    });
    s.start();
    await sleep(100);
    expect(starts).toEqual([]);
    const changed = Date.now();
    interval = 50;
    await sleep(400);
    await s.stop();
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts[0]! - changed).toBeLessThan(200);
  });
});
