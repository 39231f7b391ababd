/**
 * Closing the store while reads are still running, as a server does on SIGTERM when requests
 * whose clients already hung up are still being worked on: every read must settle and the
 * connections close only after them (closing a connection under a running query hangs the
 * query forever or crashes the process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { volumeEvents } from '../testing/volume';
import { openEmbeddedStore } from './embedded_store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-duck-close-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('closing with reads in flight', () => {
  it('lets every running read finish, then closes', async () => {
    const db = join(dir, 'close.duckdb');
    const seed = await openEmbeddedStore(db);
    const startMs = Date.now() - 86_400_000;
    await seed.insertEvents(volumeEvents({ count: 100_000, hosts: 300, startMs }), {
      batchSize: 50_000,
    });
    await seed.close();

    const store = await openEmbeddedStore(db);
    const window = { start: new Date(startMs - 1).toISOString(), end: new Date().toISOString() };
    // One query each (the environment of a prevalence window: count and distinct hosts over
    // the whole events table), so dozens queue up on the reader connection.
    const reads = Array.from({ length: 40 }, async () => {
      const service = await store.prevalence.forWindow(window);
      return (await service.environment()).events;
    });
    await new Promise((r) => setTimeout(r, 20));
    const closed = store.close();
    const settled = await Promise.race([
      Promise.allSettled(reads),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000)),
    ]);
    expect(settled).not.toBe('hung');
    await closed;
    const outcomes = settled as PromiseSettledResult<number>[];
    // Reads that started before close() answer in full; none is cut off by a closed connection.
    for (const o of outcomes) {
      expect(o.status).toBe('fulfilled');
      expect((o as PromiseFulfilledResult<number>).value).toBe(100_000);
    }
    // A second close and reads after close are refused cleanly, not crashes.
    await store.close();
    await expect(store.events.count()).rejects.toThrow(/closed/);
  }, 90_000);
});
