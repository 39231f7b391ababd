/**
 * One slow read must not hold up the others, and a read whose request ends must stop: the
 * store reads on a pool of connections, and an aborted read interrupts its DuckDB query and
 * gives its connection back (issue 18, finding 3: one heavy GET stalled settings, list and
 * detail for minutes on the single reader connection, and a client hanging up changed nothing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from './database';
import { requestSignal, withRequestSignal } from './request_scope';

// Minutes of work for DuckDB: only an interrupt ends it within the test.
const SLOW = 'SELECT sum(a.i * b.i) AS s FROM range(100000000) a(i), range(100000) b(i)';

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms),
    ),
  ]);

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('store reads', () => {
  it('answers other reads while a slow one runs, and an abort interrupts the slow one', async () => {
    db = await Database.open(':memory:', { threads: 1 });
    const controller = new AbortController();
    const slow = db.all(SLOW, [], controller.signal);
    slow.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const quick = await within(db.all('SELECT 42 AS n'), 5_000, 'a read beside a slow one');
    expect(Number(quick[0]!.n)).toBe(42);

    const reason = new Error('the client went away');
    controller.abort(reason);
    await expect(within(slow, 5_000, 'the interrupted read')).rejects.toBe(reason);
  });

  it('takes the signal of the request being served and frees the connection on abort', async () => {
    // One connection: if the aborted read kept it, the next read would wait for minutes.
    db = await Database.open(':memory:', { threads: 1, readers: 1 });
    const controller = new AbortController();
    const slow = withRequestSignal(controller.signal, () => {
      expect(requestSignal()).toBe(controller.signal);
      return db!.all(SLOW);
    });
    slow.catch(() => undefined);
    // A read queued behind it for the same request leaves the queue on abort too.
    const queued = withRequestSignal(controller.signal, () => db!.all('SELECT 1 AS n'));
    queued.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort(new Error('gone'));
    await expect(within(slow, 5_000, 'the interrupted read')).rejects.toThrow('gone');
    await expect(within(queued, 5_000, 'the queued read')).rejects.toThrow('gone');
    const next = await within(db.all('SELECT 7 AS n'), 5_000, 'the read after the abort');
    expect(Number(next[0]!.n)).toBe(7);
  });

  it('reads back a leading U+FEFF as stored', async () => {
    db = await Database.open(':memory:');
    await db.run('CREATE TABLE t (s VARCHAR)');
    await db.run('INSERT INTO t VALUES ($1), ($2)', ['\uFEFFcmd.exe /c whoami', '\uFEFF']);
    const rows = await db.all('SELECT s FROM t ORDER BY length(s) DESC');
    expect(rows.map((r) => r.s)).toEqual(['\uFEFFcmd.exe /c whoami', '\uFEFF']);
  });
});
