/**
 * The embedded default store: every port of server/ports.ts on one DuckDB file, plus event
 * import. One store per file per process (DuckDB allows one read-write opener).
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import type { Settings, Stores } from '../../ports';
import type { NormaliseOptions } from '../../lib/normalise/normaliser';
import { DuckCommunityStore } from './community_store';
import { Database, type DatabaseOptions } from './database';
import { refreshDerivedColumns } from './derived';
import {
  DuckEventStore,
  type ImportInput,
  type ImportOptions,
  type ImportReport,
  type InsertCounts,
} from './event_store';
import { DuckJobStateStore } from './job_state_store';
import { DuckNotificationOutbox } from './notification_outbox';
import { DuckPrevalenceProvider } from './prevalence_provider';
import { migrate } from './schema';
import { DEFAULT_SETTINGS, DuckSettingsStore } from './settings_store';
import { DuckSuppressionStore } from './suppression_store';

export interface EmbeddedStoreOptions extends DatabaseOptions {
  /** Events per committed import batch (default 10,000). */
  batchSize?: number;
  /** Normaliser options for `importEvents`. */
  normalise?: NormaliseOptions;
  /** Overrides of the built-in setting defaults (stored settings still win). */
  settingsDefaults?: Partial<Settings>;
}

export interface EmbeddedStoreInfo {
  path: string;
  schema: { from: number; to: number };
  /** True when the derived event columns were recomputed on open (engine rules changed). */
  derivedRefreshed: boolean;
}

export interface IntegrityReport {
  events: number;
  /** Sum of rows the committed import batches say they inserted: must equal `events`. */
  batchInserted: number;
  /** Imports that never finished (interrupted); their committed batches are kept. */
  unfinishedImports: number;
  communities: number;
  communityEvents: number;
  orphanCommunityEvents: number;
  ok: boolean;
}

export class EmbeddedStore implements Stores {
  readonly events: DuckEventStore;
  readonly prevalence: DuckPrevalenceProvider;
  readonly communities: DuckCommunityStore;
  readonly suppressions: DuckSuppressionStore;
  readonly state: DuckJobStateStore;
  readonly settings: DuckSettingsStore;
  readonly notifications: DuckNotificationOutbox;

  constructor(
    private readonly db: Database,
    private readonly opts: EmbeddedStoreOptions,
    readonly info: EmbeddedStoreInfo,
  ) {
    this.events = new DuckEventStore(db);
    this.prevalence = new DuckPrevalenceProvider(db);
    this.communities = new DuckCommunityStore(db);
    this.suppressions = new DuckSuppressionStore(db);
    this.state = new DuckJobStateStore(db);
    this.settings = new DuckSettingsStore(db, { ...DEFAULT_SETTINGS, ...opts.settingsDefaults });
    this.notifications = new DuckNotificationOutbox(db);
  }

  /** The ports alone, for code that must not see import or close. */
  get stores(): Stores {
    return {
      events: this.events,
      prevalence: this.prevalence,
      communities: this.communities,
      suppressions: this.suppressions,
      state: this.state,
      settings: this.settings,
      notifications: this.notifications,
    };
  }

  /** Normalises NDJSON (plain or gzip) files or streams and stores their events idempotently. */
  importEvents(
    inputs: ImportInput | readonly ImportInput[],
    opts: ImportOptions = {},
  ): Promise<ImportReport> {
    return this.events.importEvents(inputs, {
      batchSize: this.opts.batchSize,
      normalise: this.opts.normalise,
      ...opts,
    });
  }

  /** Stores already-normalised events (same batching and idempotence as `importEvents`). */
  insertEvents(
    events: Iterable<ProcessEvent> | AsyncIterable<ProcessEvent>,
    opts: Omit<ImportOptions, 'normalise'> & { source?: string } = {},
  ): Promise<InsertCounts & { importId: string; batches: number }> {
    return this.events.insertEvents(events, { batchSize: this.opts.batchSize, ...opts });
  }

  /**
   * Cross-table invariants that must hold after any crash: every stored event belongs to a
   * committed import batch, and no community_events row is left without its community.
   */
  async integrity(): Promise<IntegrityReport> {
    const rows = await this.db.all(
      `SELECT (SELECT count(*) FROM events) AS events,
              (SELECT coalesce(sum(inserted), 0) FROM import_batches) AS batch_inserted,
              (SELECT count(*) FROM imports WHERE finished_at IS NULL) AS unfinished_imports,
              (SELECT count(*) FROM communities) AS communities,
              (SELECT count(*) FROM community_events) AS community_events,
              (SELECT count(*) FROM community_events ce WHERE NOT EXISTS
                 (SELECT 1 FROM communities c WHERE c.id = ce.community_id)) AS orphan_community_events`,
    );
    const r = rows[0] ?? {};
    const n = (k: string): number => Number(r[k] ?? 0);
    const report = {
      events: n('events'),
      batchInserted: n('batch_inserted'),
      unfinishedImports: n('unfinished_imports'),
      communities: n('communities'),
      communityEvents: n('community_events'),
      orphanCommunityEvents: n('orphan_community_events'),
    };
    return {
      ...report,
      ok: report.events === report.batchInserted && report.orphanCommunityEvents === 0,
    };
  }

  /** Folds the write-ahead log into the database file. */
  async checkpoint(): Promise<void> {
    await this.db.checkpoint();
  }

  /** Waits for running writes, checkpoints and releases the file. */
  close(): Promise<void> {
    return this.db.close();
  }
}

/** Opens (creating if needed) and migrates the store at `dbPath` (":memory:" for a throwaway one). */
export async function openEmbeddedStore(
  dbPath: string,
  opts: EmbeddedStoreOptions = {},
): Promise<EmbeddedStore> {
  const db = await Database.open(dbPath, opts);
  try {
    const schema = await migrate(db);
    const { refreshed } = await refreshDerivedColumns(db);
    const store = new EmbeddedStore(db, opts, {
      path: dbPath,
      schema,
      derivedRefreshed: refreshed,
    });
    // Runs left `running` by a process killed mid-run show as aborted in the history.
    await store.state.settleUnfinishedRuns();
    return store;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}
