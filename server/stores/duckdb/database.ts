/**
 * A thin layer over @duckdb/node-api that the store modules share:
 *  - one writer connection behind an async lock, so a transaction's statements are never
 *    interleaved with another caller's (DuckDB transactions belong to a connection, and the
 *    Node API lets any async caller use a connection at any time);
 *  - a small pool of reader connections for short reads (DuckDB's MVCC gives each the last
 *    committed state), so one slow read does not hold up the others; a read whose request
 *    ends (client gone, time budget spent) is interrupted and its connection returned;
 *  - a fresh connection per long stream, because running any other statement on a connection
 *    silently ends the stream it has open (observed: the stream just returns no more rows).
 * Parameters are always bound; SQL text never contains caller data.
 */
import { resolve as resolvePath } from 'node:path';
import {
  DuckDBConnection,
  DuckDBInstance,
  JSDuckDBValueConverter,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  VARCHAR,
  listValue,
  timestampValue,
} from '@duckdb/node-api';
import * as dataAccessors from '@duckdb/node-api/lib/vectors/dataAccessors.js';
import { requestSignal } from './request_scope';

// The client decodes every VARCHAR with a default TextDecoder, which drops a leading U+FEFF:
// a stored value would not read back as written. Decode with the BOM kept instead.
{
  const keepBom = new TextDecoder('utf-8', { ignoreBOM: true });
  dataAccessors.textDecoder.decode = (input?: AllowSharedBufferSource) => keepBom.decode(input);
}

/** What callers may bind. Dates go in as TIMESTAMP (UTC), string arrays as VARCHAR[]. */
export type SqlParam = string | number | boolean | bigint | null | Date | readonly string[];

export type Row = Record<string, unknown>;

export interface SqlRunner {
  /** Rows as plain JS values (BIGINT → bigint, TIMESTAMP → Date, lists → arrays). */
  all(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

export interface WriteTx extends SqlRunner {
  /** An appender on a table; the caller closes it (which flushes) before the next statement. */
  appender(table: string, temp?: boolean): Promise<DuckDBAppender>;
}

/** ms since the epoch → DuckDB TIMESTAMP micros. */
export function tsParam(ms: number): DuckDBValue {
  return timestampValue(BigInt(Math.trunc(ms)) * 1000n);
}

function bind(params: readonly SqlParam[]): {
  values: DuckDBValue[];
  types: (DuckDBType | undefined)[];
} {
  const values: DuckDBValue[] = [];
  const types: (DuckDBType | undefined)[] = [];
  for (const p of params) {
    if (p instanceof Date) {
      const ms = p.getTime();
      if (!Number.isFinite(ms)) throw new TypeError('invalid Date bound as a SQL parameter');
      values.push(tsParam(ms));
      types.push(undefined);
    } else if (Array.isArray(p)) {
      // An empty list has no element to infer the type from: always say VARCHAR[].
      values.push(listValue([...(p as readonly string[])]));
      types.push(LIST(VARCHAR));
    } else {
      values.push(p as DuckDBValue);
      types.push(undefined);
    }
  }
  return { values, types };
}

async function allOn(
  conn: DuckDBConnection,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<Row[]> {
  const { values, types } = bind(params);
  const reader = await conn.runAndReadAll(sql, values, types as DuckDBType[]);
  return reader.getRowObjectsJS() as Row[];
}

async function runOn(
  conn: DuckDBConnection,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<number> {
  const { values, types } = bind(params);
  const res = await conn.run(sql, values, types as DuckDBType[]);
  return res.rowsChanged;
}

/** A FIFO async lock: callers run one at a time in arrival order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev.catch(() => undefined);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface DatabaseOptions {
  /** DuckDB worker threads (default: DuckDB's choice, one per core). */
  threads?: number;
  /** DuckDB memory limit, e.g. "1GB" (default "2GB"). */
  memoryLimit?: string;
  /** WAL size that triggers an automatic checkpoint (default "256MB"). */
  walAutocheckpoint?: string;
  /** Reader connections (default 4): reads beyond this many wait for a free one. */
  readers?: number;
}

export const DEFAULT_READERS = 4;

/** Reader connections handed out one read at a time, waiters served in arrival order. */
class ReaderPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];

  constructor(readonly all: readonly DuckDBConnection[]) {
    this.idle = [...all];
  }

  acquire(signal?: AbortSignal): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      const take = (conn: DuckDBConnection): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(conn);
      };
      // A request that ends while queued leaves the queue without ever taking a connection.
      const onAbort = (): void => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }
}

/** Runs a read on `conn`, interrupting DuckDB when `signal` aborts. */
async function readOn(
  conn: DuckDBConnection,
  sql: string,
  params: readonly SqlParam[] | undefined,
  signal: AbortSignal | undefined,
): Promise<Row[]> {
  signal?.throwIfAborted();
  const onAbort = (): void => conn.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await allOn(conn, sql, params);
  } catch (e) {
    // DuckDB reports an interrupted query as its own error; the reason is the signal's.
    signal?.throwIfAborted();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Files opened by this process: DuckDB must not attach one file twice (it would corrupt it). */
const openPaths = new Set<string>();

export class Database implements SqlRunner {
  private readonly writeLock = new Mutex();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Streams still open, so close() can stop them instead of crashing the process under them. */
  private readonly streams = new Set<DuckDBConnection>();
  /**
   * Reads running or queued on the reader connection. Closing a connection under a running
   * query crashes the process (SIGSEGV) or leaves the query's promise pending forever, and a
   * server closes its store while requests whose clients hung up are still being worked on.
   */
  private readonly reads = new Set<Promise<unknown>>();

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: ReaderPool,
  ) {}

  static async open(path: string, opts: DatabaseOptions = {}): Promise<Database> {
    // Resolved, so "./x.duckdb" and "/abs/x.duckdb" count as the same file.
    const key = path === ':memory:' ? undefined : resolvePath(path);
    if (key !== undefined && openPaths.has(key)) {
      throw new Error(
        `the database ${path} is already open in this process; share one store instance`,
      );
    }
    const config: Record<string, string> = {};
    if (opts.threads !== undefined) config.threads = String(opts.threads);
    // DuckDB's default (80% of RAM) suits a dedicated analytics process, not a store embedded in
    // a server: its buffer pool would keep the whole events table cached. Sorts and
    // aggregations beyond the limit spill to disk.
    config.memory_limit = opts.memoryLimit ?? '2GB';
    // DuckDB's 16 MB default checkpoints every batch or two of an import, and each checkpoint
    // rewrites the events primary-key index: import time grew with the table size. A larger
    // WAL only costs replay time after a crash.
    config.wal_autocheckpoint = opts.walAutocheckpoint ?? '256MB';
    const instance = await DuckDBInstance.create(path, config);
    const writer = await instance.connect();
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < Math.max(1, opts.readers ?? DEFAULT_READERS); i++)
      readers.push(await instance.connect());
    if (key !== undefined) openPaths.add(key);
    return new Database(key ?? ':memory:', instance, writer, new ReaderPool(readers));
  }

  private check(): void {
    if (this.closed) throw new Error('the embedded store is closed');
  }

  /**
   * A read on a pooled reader connection. `signal` (by default the signal of the HTTP request
   * being served, see request_scope.ts) interrupts it, or takes it out of the queue.
   */
  all(
    sql: string,
    params?: readonly SqlParam[],
    signal: AbortSignal | undefined = requestSignal(),
  ): Promise<Row[]> {
    this.check();
    const read = (async () => {
      const conn = await this.readers.acquire(signal);
      try {
        return await readOn(conn, sql, params, signal);
      } finally {
        this.readers.release(conn);
      }
    })();
    this.reads.add(read);
    const done = (): void => {
      this.reads.delete(read);
    };
    read.then(done, done);
    return read;
  }

  /** A single auto-committed statement, serialised with the transactions. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    this.check();
    return this.writeLock.lock(() => runOn(this.writer, sql, params));
  }

  /**
   * Runs `fn` in one transaction on the writer connection, with no other writer in between.
   * Rolls back on any error, so a batch is either wholly stored or not at all.
   */
  transaction<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    this.check();
    return this.writeLock.lock(async () => {
      const tx = this.txRunner();
      await this.writer.run('BEGIN TRANSACTION');
      try {
        const out = await fn(tx);
        await this.writer.run('COMMIT');
        return out;
      } catch (e) {
        try {
          await this.writer.run('ROLLBACK');
        } catch {
          // A failed COMMIT has already ended the transaction; the original error matters.
        }
        throw e;
      }
    });
  }

  /**
   * Runs `fn` holding the writer lock but outside a transaction, for work that must not be
   * interleaved but manages its own transactions (staging appends, then a transaction).
   */
  exclusive<T>(
    fn: (w: WriteTx & { transaction<U>(f: (tx: WriteTx) => Promise<U>): Promise<U> }) => Promise<T>,
  ): Promise<T> {
    this.check();
    return this.writeLock.lock(() => {
      const base = this.txRunner();
      const inner = async <U>(f: (tx: WriteTx) => Promise<U>): Promise<U> => {
        await this.writer.run('BEGIN TRANSACTION');
        try {
          const out = await f(base);
          await this.writer.run('COMMIT');
          return out;
        } catch (e) {
          try {
            await this.writer.run('ROLLBACK');
          } catch {
            // See transaction().
          }
          throw e;
        }
      };
      return fn({ ...base, transaction: inner });
    });
  }

  private txRunner(): WriteTx {
    const conn = this.writer;
    return {
      all: (sql, params) => allOn(conn, sql, params),
      run: (sql, params) => runOn(conn, sql, params),
      appender: (table, temp = false) =>
        temp ? conn.createAppender(table, 'main', 'temp') : conn.createAppender(table),
    };
  }

  /**
   * Streams a query's rows chunk by chunk (about 2,048 rows each) on a connection of its own.
   * Stops (and interrupts DuckDB) when `signal` aborts or the consumer stops iterating.
   */
  async *stream(
    sql: string,
    params: readonly SqlParam[],
    signal?: AbortSignal,
  ): AsyncGenerator<Row[]> {
    this.check();
    signal?.throwIfAborted();
    const conn = await this.instance.connect();
    this.streams.add(conn);
    const onAbort = (): void => conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const { values, types } = bind(params);
      const result = await conn.stream(sql, values, types as DuckDBType[]);
      for (;;) {
        signal?.throwIfAborted();
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const names = result.deduplicatedColumnNames();
        yield chunk.convertRows(JSDuckDBValueConverter).map((values) => {
          const row: Row = {};
          names.forEach((n, i) => (row[n] = values[i]));
          return row;
        });
      }
    } catch (e) {
      // DuckDB reports an interrupted query as its own error; the caller asked to abort.
      signal?.throwIfAborted();
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.streams.delete(conn);
      conn.closeSync();
    }
  }

  /** Writes the WAL into the database file (also done automatically by DuckDB). */
  checkpoint(): Promise<number> {
    return this.run('CHECKPOINT');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for running writes, checkpoints, and releases the file. */
  close(): Promise<void> {
    // Once only: a second caller waits for the first instead of closing the connections twice.
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await this.writeLock.lock(async () => {
      this.closed = true;
      for (const s of this.streams) s.interrupt();
      try {
        await this.writer.run('CHECKPOINT');
      } catch {
        // A checkpoint is an optimisation here: the WAL is replayed on the next open anyway.
      }
    });
    // No read can start now (check() refuses); the ones already on the reader finish first.
    while (this.reads.size > 0) await Promise.allSettled([...this.reads]);
    this.writer.closeSync();
    for (const r of this.readers.all) r.closeSync();
    this.instance.closeSync();
    openPaths.delete(this.path);
  }
}

/** BIGINT/HUGEINT/DOUBLE/INTEGER → number. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return 0;
  return Number(v);
}

/** TIMESTAMP read through `epoch_ms(...)` (bigint) or as a Date → ISO string. */
export function isoOf(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.toISOString();
  const ms = num(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** ISO-8601 text → Date, or a TypeError naming the field (so bad input is never stored as NULL). */
export function parseIso(text: string, field: string): Date {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms))
    throw new TypeError(`${field} is not an ISO-8601 date: ${JSON.stringify(text)}`);
  return new Date(ms);
}
