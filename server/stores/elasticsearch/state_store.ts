/**
 * Checkpoints, run reports, settings and suppression rules: small typed documents in one state
 * index, with deterministic ids so that saving the same thing twice overwrites instead of adding.
 * Writes refresh the index before returning (low volume, and the UI reads right after a write).
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { settleUnfinishedRun } from '../run_history';
import type { SuppressionRule } from '../../../common/types/community';
import { hostKey } from '../../lib/detection/names';
import type {
  Checkpoint,
  JobStateStore,
  Logger,
  Partition,
  QuarantinedHostWindow,
  RunReport,
  Settings,
  SettingsStore,
  SuppressionStore,
} from '../../ports';
import { DEFAULT_SETTINGS } from '../../default_settings';
import { type RetryPolicy, requestOptions, statusOf, withRetry } from './retry';

export type Refresh = boolean | 'wait_for';

interface Ctx {
  client: Client;
  index: string;
  logger?: Logger;
  refresh: Refresh;
  retry?: RetryPolicy;
}

const retryOpts = (ctx: Ctx, what: string) => ({ ...ctx.retry, logger: ctx.logger, what });

/** Reads every hit of a small query, paging by a unique sort key. */
async function searchAll<T>(
  ctx: Ctx,
  query: estypes.QueryDslQueryContainer,
  sort: estypes.Sort,
  what: string,
): Promise<T[]> {
  const out: T[] = [];
  let after: estypes.SortResults | undefined;
  for (;;) {
    const res = await withRetry(
      () =>
        ctx.client.search<T>(
          {
            index: ctx.index,
            size: 1_000,
            query,
            sort,
            track_total_hits: false,
            ...(after ? { search_after: after } : {}),
          },
          requestOptions(),
        ),
      retryOpts(ctx, what),
    );
    const hits = res.hits.hits;
    for (const h of hits) if (h._source) out.push(h._source);
    if (hits.length < 1_000) return out;
    after = hits[hits.length - 1]?.sort;
  }
}

async function getSource<T>(ctx: Ctx, id: string, what: string): Promise<T | undefined> {
  try {
    const res = await withRetry(
      () => ctx.client.get<T>({ index: ctx.index, id }, requestOptions()),
      retryOpts(ctx, what),
    );
    return res.found ? res._source : undefined;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

function checkPartition(p: Partition): void {
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

function isoOf(s: string, field: string): string {
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new TypeError(`${field} is not an ISO-8601 date: ${s}`);
  return new Date(t).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Suppressions

interface SuppressionDoc {
  type: 'suppression';
  suppression: {
    id: string;
    kind: string;
    parent_name: string;
    child_name: string;
    cmd_template?: string;
    host?: string;
    community_id?: string;
    created_by: string;
    created_at: string;
    rule: SuppressionRule;
  };
}

function checkRule(r: SuppressionRule): void {
  for (const f of [
    'id',
    'kind',
    'parentName',
    'childName',
    'createdBy',
    'createdAt',
    'reason',
  ] as const) {
    if (typeof r[f] !== 'string')
      throw new TypeError(`suppression rule ${String(r.id)}: ${f} must be a string`);
  }
  if (r.id.length === 0) throw new TypeError('suppression rule without id');
  if (r.kind !== 'pair' && r.kind !== 'community')
    throw new TypeError(`suppression rule ${r.id}: unknown kind ${String(r.kind)}`);
  if (!Number.isFinite(Date.parse(r.createdAt)))
    throw new TypeError(`suppression rule ${r.id}: createdAt is not a date`);
}

const SUPPRESSION_SORT: estypes.Sort = [
  { 'suppression.created_at': 'asc' },
  { 'suppression.id': 'asc' },
];

export class EsSuppressionStore implements SuppressionStore {
  constructor(private readonly ctx: Ctx) {}

  /** Upserts by id: the same verdict given again replaces the rule. */
  async add(rules: readonly SuppressionRule[]): Promise<void> {
    if (rules.length === 0) return;
    rules.forEach(checkRule);
    const operations = rules.flatMap((r) => {
      const doc: SuppressionDoc = {
        type: 'suppression',
        suppression: {
          id: r.id,
          kind: r.kind,
          parent_name: r.parentName,
          child_name: r.childName,
          ...(r.cmdTemplate !== undefined ? { cmd_template: r.cmdTemplate } : {}),
          ...(r.host ? { host: hostKey(r.host) } : {}),
          ...(r.communityId !== undefined ? { community_id: r.communityId } : {}),
          created_by: r.createdBy,
          created_at: isoOf(r.createdAt, 'createdAt'),
          rule: r,
        },
      };
      return [{ index: { _index: this.ctx.index, _id: `suppression:${r.id}` } }, doc];
    });
    const res = await withRetry(
      () => this.ctx.client.bulk({ operations, refresh: this.ctx.refresh }, requestOptions()),
      retryOpts(this.ctx, 'add suppressions'),
    );
    if (res.errors) {
      const bad = res.items.map((i) => i.index).filter((i) => i?.error);
      throw new Error(
        `could not store ${bad.length} suppression rules: ${bad[0]?.error?.reason ?? 'unknown error'}`,
      );
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      const res = await withRetry(
        () =>
          this.ctx.client.delete(
            { index: this.ctx.index, id: `suppression:${id}`, refresh: this.ctx.refresh },
            requestOptions(),
          ),
        retryOpts(this.ctx, 'remove suppression'),
      );
      return res.result === 'deleted';
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async all(): Promise<SuppressionRule[]> {
    return this.list();
  }

  /** Environment-wide rules always apply; host rules only when their host is asked for. */
  async list(opts?: { hosts?: readonly string[] }): Promise<SuppressionRule[]> {
    const filter: estypes.QueryDslQueryContainer[] = [{ term: { type: 'suppression' } }];
    if (opts?.hosts) {
      const hosts = [...new Set(opts.hosts.map((h) => hostKey(h)))];
      filter.push({
        bool: {
          minimum_should_match: 1,
          should: [
            { bool: { must_not: { exists: { field: 'suppression.host' } } } },
            ...(hosts.length > 0 ? [{ terms: { 'suppression.host': hosts } }] : []),
          ],
        },
      });
    }
    const docs = await searchAll<SuppressionDoc>(
      this.ctx,
      { bool: { filter } },
      SUPPRESSION_SORT,
      'list suppressions',
    );
    return docs.map((d) => d.suppression.rule);
  }
}

// ---------------------------------------------------------------------------------------------
// Job state

interface CheckpointDoc {
  type: 'checkpoint';
  checkpoint: {
    partition_index: number;
    partition_count: number;
    processed_until: string;
    updated_at: string;
  };
}

interface RunDoc {
  type: 'run';
  run: {
    run_id: string;
    partition_index: number;
    partition_count: number;
    started_at: string;
    finished_at: string;
    status: string;
    report: RunReport;
  };
}

const MAX_RUNS = 1_000;

/** "i/n": a checkpoint of partition 0 of 4 says nothing about partition 0 of 2. */
function partitionKey(p: Partition): string {
  checkPartition(p);
  return `${p.index}/${p.count}`;
}

export class EsJobStateStore implements JobStateStore {
  constructor(private readonly ctx: Ctx) {}

  async getCheckpoint(partition: Partition): Promise<Checkpoint | undefined> {
    const doc = await getSource<CheckpointDoc>(
      this.ctx,
      `checkpoint:${partitionKey(partition)}`,
      'read checkpoint',
    );
    if (!doc) return undefined;
    return { processedUntil: doc.checkpoint.processed_until, updatedAt: doc.checkpoint.updated_at };
  }

  async saveCheckpoint(partition: Partition, checkpoint: Checkpoint): Promise<void> {
    const doc: CheckpointDoc = {
      type: 'checkpoint',
      checkpoint: {
        partition_index: partition.index,
        partition_count: partition.count,
        processed_until: isoOf(checkpoint.processedUntil, 'processedUntil'),
        updated_at: isoOf(checkpoint.updatedAt, 'updatedAt'),
      },
    };
    const id = `checkpoint:${partitionKey(partition)}`;
    await withRetry(
      () =>
        this.ctx.client.index(
          { index: this.ctx.index, id, document: doc, refresh: this.ctx.refresh },
          requestOptions(),
        ),
      retryOpts(this.ctx, 'save checkpoint'),
    );
  }

  /** Upserts by (runId, partition): a retried report replaces the earlier one. */
  async recordRun(report: RunReport): Promise<void> {
    const key = partitionKey(report.partition);
    const doc: RunDoc = {
      type: 'run',
      run: {
        run_id: report.runId,
        partition_index: report.partition.index,
        partition_count: report.partition.count,
        started_at: isoOf(report.startedAt, 'startedAt'),
        finished_at: isoOf(report.finishedAt, 'finishedAt'),
        status: report.status,
        report,
      },
    };
    await withRetry(
      () =>
        this.ctx.client.index(
          {
            index: this.ctx.index,
            id: `run:${report.runId}:${key}`,
            document: doc,
            refresh: this.ctx.refresh,
          },
          requestOptions(),
        ),
      retryOpts(this.ctx, 'record run'),
    );
  }

  /** Newest first (by finish time). */
  async recentRuns(limit: number): Promise<RunReport[]> {
    const n = Math.max(0, Math.min(MAX_RUNS, Math.trunc(Number.isFinite(limit) ? limit : 0)));
    if (n === 0) return [];
    const res = await withRetry(
      () =>
        this.ctx.client.search<RunDoc>(
          {
            index: this.ctx.index,
            size: n,
            query: { term: { type: 'run' } },
            sort: [
              { 'run.finished_at': 'desc' },
              { 'run.started_at': 'desc' },
              { 'run.run_id': 'asc' },
              { 'run.partition_index': 'asc' },
            ],
            track_total_hits: false,
          },
          requestOptions(),
        ),
      retryOpts(this.ctx, 'recent runs'),
    );
    // A run left `running` by a host that died shows as aborted once stale (run_history.ts).
    const now = Date.now();
    return res.hits.hits.flatMap((h) =>
      h._source ? [settleUnfinishedRun(h._source.run.report, now)] : [],
    );
  }

  async listQuarantine(): Promise<QuarantinedHostWindow[]> {
    const docs = await searchAll<QuarantineDoc>(
      this.ctx,
      { term: { type: 'quarantine' } },
      [{ 'quarantine.first_failed_at': 'asc' }, { 'quarantine.id': 'asc' }],
      'list quarantined host-windows',
    );
    return docs.map((d) => d.quarantine.record);
  }

  async saveQuarantine(record: QuarantinedHostWindow): Promise<void> {
    checkPartition(record.partition);
    const doc: QuarantineDoc = {
      type: 'quarantine',
      quarantine: {
        id: record.id,
        status: record.status,
        first_failed_at: isoOf(record.firstFailedAt, 'firstFailedAt'),
        record,
      },
    };
    await withRetry(
      () =>
        this.ctx.client.index(
          {
            index: this.ctx.index,
            id: `quarantine:${record.id}`,
            document: doc,
            refresh: this.ctx.refresh,
          },
          requestOptions(),
        ),
      retryOpts(this.ctx, 'save quarantined host-window'),
    );
  }

  async deleteQuarantine(id: string): Promise<boolean> {
    try {
      const res = await withRetry(
        () =>
          this.ctx.client.delete(
            { index: this.ctx.index, id: `quarantine:${id}`, refresh: this.ctx.refresh },
            requestOptions(),
          ),
        retryOpts(this.ctx, 'delete quarantined host-window'),
      );
      return res.result === 'deleted';
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }
}

interface QuarantineDoc {
  type: 'quarantine';
  quarantine: {
    id: string;
    status: string;
    first_failed_at: string;
    record: QuarantinedHostWindow;
  };
}

// ---------------------------------------------------------------------------------------------
// Settings

export { DEFAULT_SETTINGS };

const DURATION = /^\d+[smhd]$/;

const VALIDATORS: { [K in keyof Settings]: (v: unknown) => v is Settings[K] } = {
  threshold: (v): v is number => typeof v === 'number' && v >= 0 && v <= 1,
  interval: (v): v is string => typeof v === 'string' && DURATION.test(v),
  lookback: (v): v is string => typeof v === 'string' && DURATION.test(v),
  prevalence_lookback: (v): v is string => typeof v === 'string' && DURATION.test(v),
  indices: (v): v is string => typeof v === 'string' && v.length > 0,
  score_source: (v): v is Settings['score_source'] =>
    v === 'model' || v === 'elastic' || v === 'blend',
};

function isKey(k: string): k is keyof Settings {
  return Object.prototype.hasOwnProperty.call(VALIDATORS, k);
}

const SETTINGS_ID = 'settings';

interface SettingsDoc {
  type: 'settings';
  settings: Partial<Record<keyof Settings, unknown>> & { updated_at?: string };
}

export class EsSettingsStore implements SettingsStore {
  constructor(
    private readonly ctx: Ctx,
    private readonly defaults: Readonly<Settings> = DEFAULT_SETTINGS,
  ) {}

  async get(): Promise<Settings> {
    const out: Settings = { ...this.defaults };
    const doc = await getSource<SettingsDoc>(this.ctx, SETTINGS_ID, 'read settings');
    for (const [k, v] of Object.entries(doc?.settings ?? {})) {
      // A value another build wrote that this one does not accept falls back to the default.
      if (isKey(k) && VALIDATORS[k](v)) (out as unknown as Record<string, unknown>)[k] = v;
    }
    return out;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    for (const [k, v] of entries) {
      if (!isKey(k)) throw new TypeError(`unknown setting ${k}`);
      if (!VALIDATORS[k](v)) throw new TypeError(`invalid value for ${k}: ${JSON.stringify(v)}`);
    }
    if (entries.length > 0) {
      const changed = { ...Object.fromEntries(entries), updated_at: new Date().toISOString() };
      // A partial-document update merges server-side (and retries its own version conflicts), so
      // two admins changing different settings at once both keep their change.
      await withRetry(
        () =>
          this.ctx.client.update(
            {
              index: this.ctx.index,
              id: SETTINGS_ID,
              doc: { type: 'settings', settings: changed },
              upsert: { type: 'settings', settings: changed },
              retry_on_conflict: 5,
              refresh: this.ctx.refresh,
            },
            requestOptions(),
          ),
        retryOpts(this.ctx, 'update settings'),
      );
    }
    return this.get();
  }
}

export type StateCtx = Ctx;
