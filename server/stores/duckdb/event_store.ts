/**
 * Process events in the embedded store: import (normalise → batch → staging table → insert
 * what is new) and the EventSource the detection job and the drill-down read.
 *
 * Import is idempotent by event id: every batch is appended to a temporary staging table and
 * moved with INSERT … ON CONFLICT DO NOTHING, so re-importing a file stores nothing twice and
 * the difference is reported as duplicates. Each batch commits in one transaction together with
 * its row in `import_batches`, so a crash loses at most the batch in flight, never half of it.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBAppender } from '@duckdb/node-api';
import type { NormaliseSummary, ProcessEvent } from '../../../common/types/process_event';
import { Normaliser, type NormaliseOptions } from '../../lib/normalise/normaliser';
import type { LineInput } from '../../lib/normalise/line_reader';
import type { EventQuery, EventSource, Partition, ReadAccounting } from '../../ports';
import { type Database, type SqlParam, parseIso, tsParam } from './database';
import { type EventRow, eventRow } from './derived';

export const DEFAULT_IMPORT_BATCH = 10_000;
const ID_LOOKUP_CHUNK = 5_000;

/** A file path (plain or gzip NDJSON), or a named stream of bytes/text. */
export type ImportInput = string | { name: string; stream: LineInput };

export interface ImportOptions {
  /** Events per committed batch (default 10,000). */
  batchSize?: number;
  normalise?: NormaliseOptions;
  signal?: AbortSignal;
  /** Called after every committed batch (progress bars, tests). */
  onBatch?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  importId: string;
  batches: number;
  inserted: number;
  duplicates: number;
}

/** Where every event of one source went. */
export interface InsertCounts {
  /** Newly stored. */
  inserted: number;
  /** Already stored (an earlier import, or earlier in this one): same event id. */
  duplicates: number;
  /** Events that cannot be stored, by reason (never produced by the normaliser). */
  invalid: Record<string, number>;
}

export interface ImportSourceReport extends InsertCounts {
  source: string;
  /** The normaliser's accounting of the source's raw records. */
  normalise: NormaliseSummary;
}

/**
 * Every record is accounted for:
 *   records    = normalised + mergedTwins + Σ skipped + Σ rejected
 *   normalised = inserted + duplicates + Σ invalid
 */
export interface ImportReport extends InsertCounts {
  importId: string;
  sources: ImportSourceReport[];
  records: number;
  normalised: number;
  mergedTwins: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
  batches: number;
  durationMs: number;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const STAGING_DDL = `CREATE OR REPLACE TEMP TABLE events_staging AS SELECT * FROM events LIMIT 0`;

function appendRow(a: DuckDBAppender, r: EventRow, importId: string): void {
  a.appendVarchar(r.eventId);
  a.appendValue(tsParam(r.tsMs));
  a.appendVarchar(r.host);
  a.appendUInteger(r.hostHash);
  appendText(a, r.hostRaw);
  a.appendVarchar(r.entityId);
  appendText(a, r.parentEntityId);
  appendText(a, r.parentRaw);
  appendText(a, r.childRaw);
  a.appendVarchar(r.parentName);
  a.appendVarchar(r.childName);
  appendText(a, r.commandLine);
  a.appendVarchar(r.template);
  appendText(a, r.userName);
  a.appendVarchar(r.doc);
  a.appendVarchar(importId);
  a.endRow();
}

function appendText(a: DuckDBAppender, v: string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(v);
}

/**
 * Batches events into committed inserts; one per import call. One batch may be committing while
 * the next is being normalised and prepared: DuckDB works on its own threads, so the import
 * overlaps JS work with the insert and WAL write instead of waiting for each in turn.
 */
class BatchWriter {
  private rows: EventRow[] = [];
  private ids = new Set<string>();
  private pending: Promise<void> | undefined;
  batches = 0;
  private started = false;
  readonly total: InsertCounts = { inserted: 0, duplicates: 0, invalid: {} };

  constructor(
    private readonly db: Database,
    readonly importId: string,
    private readonly batchSize: number,
    private readonly sources: string,
    private readonly onBatch?: (p: ImportProgress) => void,
  ) {}

  /** Adds one event to the current batch; `counts` is the caller's per-source tally. */
  async add(e: ProcessEvent, counts: InsertCounts): Promise<void> {
    const row = eventRow(e);
    if (typeof row === 'string') {
      bump(counts.invalid, row);
      bump(this.total.invalid, row);
      return;
    }
    if (this.ids.has(row.eventId)) {
      // A twin id inside one batch: the first one wins, like ON CONFLICT DO NOTHING across batches.
      counts.duplicates++;
      this.total.duplicates++;
      return;
    }
    this.ids.add(row.eventId);
    this.rows.push(row);
    if (this.rows.length >= this.batchSize) await this.flush(counts);
  }

  /** Starts committing the current batch (after the previous one has committed). */
  async flush(counts: InsertCounts): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.ids = new Set();
    await this.drain();
    if (!this.started) {
      this.started = true;
      await this.db.run(
        'INSERT INTO imports (import_id, started_at, sources) VALUES ($1, $2, $3)',
        [this.importId, new Date(), this.sources],
      );
    }
    const p = this.commit(rows, ++this.batches, counts);
    // Marked handled now; drain() still rethrows the failure to the importer.
    p.catch(() => undefined);
    this.pending = p;
  }

  /** Waits for the batch in flight; rethrows its error. */
  async drain(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (p) await p;
  }

  private async commit(
    rows: readonly EventRow[],
    batchNo: number,
    counts: InsertCounts,
  ): Promise<void> {
    const inserted = await this.db.exclusive(async (w) => {
      // Re-created per batch: a DELETE would keep the temp table's memory allocated.
      await w.run(STAGING_DDL);
      const app = await w.appender('events_staging', true);
      try {
        for (const r of rows) appendRow(app, r, this.importId);
      } finally {
        app.closeSync();
      }
      return w.transaction(async (tx) => {
        const n = await tx.run(
          'INSERT INTO events SELECT * FROM events_staging ON CONFLICT DO NOTHING',
        );
        await tx.run('INSERT INTO import_batches VALUES ($1, $2, $3, $4, $5)', [
          this.importId,
          batchNo,
          rows.length,
          n,
          new Date(),
        ]);
        return n;
      });
    });
    const dup = rows.length - inserted;
    counts.inserted += inserted;
    counts.duplicates += dup;
    this.total.inserted += inserted;
    this.total.duplicates += dup;
    this.onBatch?.({
      importId: this.importId,
      batches: batchNo,
      inserted: this.total.inserted,
      duplicates: this.total.duplicates,
    });
  }

  async finish(report: () => unknown): Promise<void> {
    await this.drain();
    if (!this.started) return;
    await this.db.run('UPDATE imports SET finished_at = $1, report = $2 WHERE import_id = $3', [
      new Date(),
      JSON.stringify(report()),
      this.importId,
    ]);
  }
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function sourceName(input: ImportInput): string {
  return typeof input === 'string' ? input : input.name;
}

export class DuckEventStore implements EventSource {
  constructor(private readonly db: Database) {}

  /** Normalises NDJSON (plain or gzip) files/streams and stores the events. */
  async importEvents(
    inputs: ImportInput | readonly ImportInput[],
    opts: ImportOptions = {},
  ): Promise<ImportReport> {
    const t0 = performance.now();
    const list = Array.isArray(inputs)
      ? (inputs as readonly ImportInput[])
      : [inputs as ImportInput];
    const writer = new BatchWriter(
      this.db,
      randomUUID(),
      opts.batchSize ?? DEFAULT_IMPORT_BATCH,
      JSON.stringify(list.map(sourceName)),
      opts.onBatch,
    );
    const sources: ImportSourceReport[] = [];
    try {
      for (const input of list) {
        opts.signal?.throwIfAborted();
        const name = sourceName(input);
        const counts: InsertCounts = { inserted: 0, duplicates: 0, invalid: {} };
        // One normaliser per source: its twin window and PID state describe one dataset.
        const gen = new Normaliser(opts.normalise).run(
          typeof input === 'string' ? input : input.stream,
          name,
        );
        let summary: NormaliseSummary;
        for (;;) {
          const r = await gen.next();
          if (r.done === true) {
            summary = r.value;
            break;
          }
          await writer.add(r.value, counts);
          opts.signal?.throwIfAborted();
        }
        await writer.flush(counts);
        // Per-source counts are final only once its last batch has committed.
        await writer.drain();
        sources.push({ source: name, normalise: summary, ...counts });
      }
    } finally {
      // Never return (or throw) with a batch still committing behind the caller's back.
      await writer.drain().catch(() => undefined);
    }
    let report: ImportReport | undefined;
    const build = (): ImportReport =>
      (report ??= summarise(writer, sources, performance.now() - t0));
    await writer.finish(build);
    return build();
  }

  /** Stores already-normalised events (tests, the generator, other importers). */
  async insertEvents(
    events: Iterable<ProcessEvent> | AsyncIterable<ProcessEvent>,
    opts: Omit<ImportOptions, 'normalise'> & { source?: string } = {},
  ): Promise<InsertCounts & { importId: string; batches: number }> {
    const writer = new BatchWriter(
      this.db,
      randomUUID(),
      opts.batchSize ?? DEFAULT_IMPORT_BATCH,
      JSON.stringify([opts.source ?? '<events>']),
      opts.onBatch,
    );
    const counts: InsertCounts = { inserted: 0, duplicates: 0, invalid: {} };
    try {
      for await (const e of events) {
        await writer.add(e, counts);
        opts.signal?.throwIfAborted();
      }
      await writer.flush(counts);
      await writer.finish(() => counts);
    } finally {
      await writer.drain().catch(() => undefined);
    }
    return { ...counts, importId: writer.importId, batches: writer.batches };
  }

  async *readEvents(query: EventQuery, accounting?: ReadAccounting): AsyncIterable<ProcessEvent> {
    const start = parseIso(query.window.start, 'window.start');
    const end = parseIso(query.window.end, 'window.end');
    const params: SqlParam[] = [start, end];
    let sql = 'SELECT doc FROM events WHERE ts >= $1 AND ts < $2';
    if (query.partition) {
      checkPartition(query.partition);
      if (query.partition.count > 1) {
        sql += ' AND host_hash % $3 = $4';
        params.push(query.partition.count, query.partition.index);
      }
    }
    // event_id breaks timestamp ties so two reads of the same window agree exactly.
    sql += ' ORDER BY ts, event_id';
    for await (const rows of this.db.stream(sql, params, query.signal)) {
      for (const r of rows) {
        // Per row, not per chunk: a consumer that aborts mid-chunk gets no further events.
        query.signal?.throwIfAborted();
        if (accounting) {
          accounting.read++;
          accounting.normalised++;
        }
        yield JSON.parse(r.doc as string) as ProcessEvent;
      }
    }
  }

  async eventsById(ids: readonly string[]): Promise<ProcessEvent[]> {
    const unique = [...new Set(ids)];
    const found = new Map<string, ProcessEvent>();
    for (let i = 0; i < unique.length; i += ID_LOOKUP_CHUNK) {
      const chunk = unique.slice(i, i + ID_LOOKUP_CHUNK);
      const rows = await this.db.all(
        'SELECT event_id, doc FROM events WHERE event_id IN (SELECT unnest($1))',
        [chunk],
      );
      for (const r of rows)
        found.set(r.event_id as string, JSON.parse(r.doc as string) as ProcessEvent);
    }
    // Input order, each id once, unknown ids left out.
    const out: ProcessEvent[] = [];
    for (const id of unique) {
      const e = found.get(id);
      if (e) out.push(e);
    }
    return out;
  }

  /** Events stored, for status pages and tests. */
  async count(): Promise<number> {
    const rows = await this.db.all('SELECT count(*) AS n FROM events');
    return Number(rows[0]?.n ?? 0);
  }
}

export function checkPartition(p: Partition): void {
  if (
    !Number.isInteger(p.count) ||
    p.count < 1 ||
    !Number.isInteger(p.index) ||
    p.index < 0 ||
    p.index >= p.count
  ) {
    throw new RangeError(`invalid partition ${p.index} of ${p.count}`);
  }
}

function summarise(
  writer: BatchWriter,
  sources: ImportSourceReport[],
  durationMs: number,
): ImportReport {
  const skipped: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  let records = 0;
  let normalised = 0;
  let mergedTwins = 0;
  for (const s of sources) {
    records += s.normalise.records;
    normalised += s.normalise.normalised;
    mergedTwins += s.normalise.mergedTwins;
    addCounts(skipped, s.normalise.skipped);
    addCounts(rejected, s.normalise.rejected);
  }
  return {
    importId: writer.importId,
    sources,
    records,
    normalised,
    mergedTwins,
    skipped,
    rejected,
    ...writer.total,
    invalid: { ...writer.total.invalid },
    batches: writer.batches,
    durationMs,
  };
}
