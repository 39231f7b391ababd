/**
 * A run left `running` by a process that died (kill -9 mid-run) is in the history as aborted
 * as soon as the embedded store is opened again: only one process opens the file, so no run
 * of an earlier process can still be going (issue 18, finding 6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../ports';
import { UNFINISHED_RUN_ERROR } from '../run_history';
import { openEmbeddedStore } from './embedded_store';

const dir = mkdtempSync(join(tmpdir(), 'pc-duck-runs-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runs that never finished', () => {
  it('are aborted in the history once the store is opened again', async () => {
    const file = join(dir, 'runs.duckdb');
    const now = new Date().toISOString();
    const running: RunReport = {
      runId: 'killed',
      partition: { index: 0, count: 1 },
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      window: null,
      status: 'running',
      eventsRead: 0,
      eventsRejected: 0,
      communities: 0,
      flagged: 0,
      errors: [],
    };
    const first = await openEmbeddedStore(file);
    await first.state.recordRun(running);
    expect((await first.state.recentRuns(5)).map((r) => r.status)).toEqual(['running']);
    await first.close();

    const second = await openEmbeddedStore(file);
    try {
      const [r] = await second.state.recentRuns(5);
      expect(r).toMatchObject({ runId: 'killed', status: 'aborted' });
      expect(r!.errors).toEqual([UNFINISHED_RUN_ERROR]);
    } finally {
      await second.close();
    }
  });
});
