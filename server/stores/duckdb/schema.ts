/**
 * The embedded store's schema. Migrations are append-only: a database file written by an older
 * build is brought forward on open, inside one transaction per step, so a crash mid-migration
 * leaves the file at the previous version rather than half-changed.
 */
import { decodedTextOfCommandLines } from '../../../common/decode_command';
import type { Database, SqlRunner } from './database';

export interface Migration {
  version: number;
  description: string;
  statements: string[];
  /** Work SQL cannot do (runs after the statements, in the same transaction). */
  backfill?: (tx: SqlRunner) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, communities, triage, suppressions, job state, settings',
    statements: [
      `CREATE TABLE events (
        event_id VARCHAR PRIMARY KEY,
        ts TIMESTAMP NOT NULL,
        -- hostKey(host.name), and its FNV-1a hash for partitioning (see server/partition.ts)
        host VARCHAR NOT NULL,
        host_hash UINTEGER NOT NULL,
        host_raw VARCHAR,
        entity_id VARCHAR NOT NULL,
        parent_entity_id VARCHAR,
        -- Raw names as given, kept so the derived columns can be recomputed if the naming or
        -- templating rules change (see derived.ts).
        parent_raw VARCHAR,
        child_raw VARCHAR,
        parent_name VARCHAR NOT NULL,
        child_name VARCHAR NOT NULL,
        command_line VARCHAR,
        template VARCHAR NOT NULL,
        user_name VARCHAR,
        doc VARCHAR NOT NULL,
        import_id VARCHAR
      )`,
      `CREATE TABLE imports (
        import_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        sources VARCHAR NOT NULL,
        report VARCHAR
      )`,
      // One row per committed batch, written in the batch's own transaction: after a crash the
      // sum of `inserted` equals the rows the import really stored.
      `CREATE TABLE import_batches (
        import_id VARCHAR NOT NULL,
        batch_no INTEGER NOT NULL,
        staged INTEGER NOT NULL,
        inserted INTEGER NOT NULL,
        committed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (import_id, batch_no)
      )`,
      `CREATE TABLE communities (
        id VARCHAR PRIMARY KEY,
        host VARCHAR NOT NULL,
        host_key VARCHAR NOT NULL,
        window_start TIMESTAMP NOT NULL,
        window_end TIMESTAMP NOT NULL,
        rank INTEGER NOT NULL,
        score DOUBLE NOT NULL,
        max_anomaly DOUBLE NOT NULL,
        max_edge_score DOUBLE NOT NULL,
        flagged BOOLEAN NOT NULL,
        first_seen TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL,
        event_count INTEGER NOT NULL,
        chain VARCHAR NOT NULL,
        techniques VARCHAR[] NOT NULL,
        users VARCHAR[] NOT NULL,
        doc VARCHAR NOT NULL,
        status VARCHAR NOT NULL DEFAULT 'open',
        assignee VARCHAR,
        note VARCHAR NOT NULL DEFAULT '',
        verdict VARCHAR,
        updated_at TIMESTAMP,
        updated_by VARCHAR,
        history VARCHAR NOT NULL DEFAULT '[]',
        triage_changes INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        run_id VARCHAR NOT NULL,
        detected_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE community_events (
        community_id VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        entity_id VARCHAR,
        command_line VARCHAR,
        parent_command_line VARCHAR
      )`,
      `CREATE TABLE suppressions (
        id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        parent_name VARCHAR NOT NULL,
        child_name VARCHAR NOT NULL,
        cmd_template VARCHAR,
        host VARCHAR,
        community_id VARCHAR,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        reason VARCHAR NOT NULL,
        doc VARCHAR NOT NULL
      )`,
      `CREATE TABLE checkpoints (
        partition_key VARCHAR PRIMARY KEY,
        processed_until TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE runs (
        run_id VARCHAR NOT NULL,
        partition_index INTEGER NOT NULL,
        partition_count INTEGER NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,
        doc VARCHAR NOT NULL,
        PRIMARY KEY (run_id, partition_index, partition_count)
      )`,
      `CREATE TABLE settings (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
      )`,
      `CREATE TABLE meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'decoded encoded commands of community events, for search',
    statements: ['ALTER TABLE community_events ADD COLUMN decoded_command VARCHAR'],
    backfill: backfillDecodedCommands,
  },
];

/**
 * Fills `decoded_command` for communities stored before it existed. Only rows that can hold an
 * encoded command are read (SQL's own regex engine, RE2, is linear); most stay NULL.
 */
async function backfillDecodedCommands(tx: SqlRunner): Promise<void> {
  const rows = await tx.all(
    `SELECT community_id, event_id, command_line, parent_command_line FROM community_events
      WHERE regexp_matches(coalesce(command_line, '') || ' ' || coalesce(parent_command_line, ''),
                           '(?i)(powershell|pwsh)')`,
  );
  for (const r of rows) {
    const text = decodedTextOfCommandLines([
      r.command_line as string | null,
      r.parent_command_line as string | null,
    ]);
    if (text.length === 0) continue;
    await tx.run(
      'UPDATE community_events SET decoded_command = $1 WHERE community_id = $2 AND event_id = $3',
      [text, r.community_id as string, r.event_id as string],
    );
  }
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Brings the file to SCHEMA_VERSION; refuses a file written by a newer build. */
export async function migrate(db: Database): Promise<{ from: number; to: number }> {
  await db.run(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
  );
  const rows = await db.all('SELECT coalesce(max(version), 0) AS v FROM schema_version');
  const from = Number(rows[0]?.v ?? 0);
  if (from > SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${from} is newer than this build understands (${SCHEMA_VERSION}); upgrade ProblemChild`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    await db.transaction(async (tx) => {
      for (const s of m.statements) await tx.run(s);
      if (m.backfill) await m.backfill(tx);
      await tx.run('INSERT INTO schema_version VALUES ($1, $2, $3)', [
        m.version,
        m.description,
        new Date(),
      ]);
    });
  }
  return { from, to: SCHEMA_VERSION };
}
