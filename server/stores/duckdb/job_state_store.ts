/** Checkpoints and run reports of the detection job, one checkpoint per partition layout. */
import type {
  Checkpoint,
  JobStateStore,
  Partition,
  QuarantinedHostWindow,
  RunReport,
} from '../../ports';
import { type Database, isoOf, parseIso } from './database';
import { checkPartition } from './event_store';
import { settleUnfinishedRun } from '../run_history';

const MAX_RUNS = 1_000;

/** "i/n": a checkpoint of partition 0 of 4 says nothing about partition 0 of 2. */
function partitionKey(p: Partition): string {
  checkPartition(p);
  return `${p.index}/${p.count}`;
}

export class DuckJobStateStore implements JobStateStore {
  constructor(private readonly db: Database) {}

  async getCheckpoint(partition: Partition): Promise<Checkpoint | undefined> {
    const rows = await this.db.all(
      'SELECT epoch_ms(processed_until) AS p, epoch_ms(updated_at) AS u FROM checkpoints WHERE partition_key = $1',
      [partitionKey(partition)],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { processedUntil: isoOf(r.p) as string, updatedAt: isoOf(r.u) as string };
  }

  async saveCheckpoint(partition: Partition, checkpoint: Checkpoint): Promise<void> {
    await this.db.run('INSERT OR REPLACE INTO checkpoints VALUES ($1, $2, $3)', [
      partitionKey(partition),
      parseIso(checkpoint.processedUntil, 'processedUntil'),
      parseIso(checkpoint.updatedAt, 'updatedAt'),
    ]);
  }

  /** Upserts by (runId, partition): a retried report replaces the earlier one. */
  async recordRun(report: RunReport): Promise<void> {
    checkPartition(report.partition);
    await this.db.run('INSERT OR REPLACE INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      report.runId,
      report.partition.index,
      report.partition.count,
      parseIso(report.startedAt, 'startedAt'),
      parseIso(report.finishedAt, 'finishedAt'),
      report.status,
      JSON.stringify(report),
    ]);
  }

  /** Newest first (by finish time). */
  async recentRuns(limit: number): Promise<RunReport[]> {
    const n = Math.max(0, Math.min(MAX_RUNS, Math.trunc(Number.isFinite(limit) ? limit : 0)));
    if (n === 0) return [];
    const rows = await this.db.all(
      'SELECT doc FROM runs ORDER BY finished_at DESC, started_at DESC, run_id, partition_index LIMIT $1',
      [n],
    );
    const now = Date.now();
    return rows.map((r) => settleUnfinishedRun(JSON.parse(r.doc as string) as RunReport, now));
  }

  /**
   * At open: this process owns the file, so a run still `running` belongs to a process that
   * died; it is recorded as aborted at once.
   */
  async settleUnfinishedRuns(): Promise<number> {
    const rows = await this.db.all("SELECT doc FROM runs WHERE status = 'running'");
    for (const r of rows)
      await this.recordRun(settleUnfinishedRun(JSON.parse(r.doc as string) as RunReport, Infinity));
    return rows.length;
  }

  // Quarantined host-windows live in the key/value `meta` table (a handful of small documents):
  // no schema migration for what is normally empty.
  async listQuarantine(): Promise<QuarantinedHostWindow[]> {
    const rows = await this.db.all(
      "SELECT value FROM meta WHERE key LIKE 'quarantine:%' ORDER BY key",
    );
    return rows
      .map((r) => JSON.parse(r.value as string) as QuarantinedHostWindow)
      .sort((a, b) =>
        a.firstFailedAt < b.firstFailedAt ? -1 : a.firstFailedAt > b.firstFailedAt ? 1 : 0,
      );
  }

  async saveQuarantine(record: QuarantinedHostWindow): Promise<void> {
    checkPartition(record.partition);
    await this.db.run('INSERT OR REPLACE INTO meta VALUES ($1, $2)', [
      `quarantine:${record.id}`,
      JSON.stringify(record),
    ]);
  }

  async deleteQuarantine(id: string): Promise<boolean> {
    const rows = await this.db.all('SELECT key FROM meta WHERE key = $1', [`quarantine:${id}`]);
    if (rows.length === 0) return false;
    await this.db.run('DELETE FROM meta WHERE key = $1', [`quarantine:${id}`]);
    return true;
  }
}
