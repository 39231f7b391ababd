/**
 * The small interfaces the routes, the detection job and both hosts depend on. Elasticsearch and
 * the embedded DuckDB store implement them; the engine (server/lib) knows neither.
 */
import type { AnomalousCommunity, SuppressionRule, TimeWindow } from '../common/types/community';
import type { ProcessEvent } from '../common/types/process_event';
import type { CommunityStatsQuery, ListCommunitiesQuery } from '../common/schemas';
import type { SeverityLevel } from '../common/severity';
import type { PrevalenceService } from './lib/detection/prevalence';
import type { SuppressionSource } from './lib/detection/suppression';

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Work is split by host: partition i of n owns the hosts whose hash mod n is i. */
export interface Partition {
  index: number;
  count: number;
}

export interface EventQuery {
  window: TimeWindow;
  partition?: Partition;
  signal?: AbortSignal;
}

/** Records a source could not turn into process events: counted, never silently dropped. */
export interface ReadAccounting {
  read: number;
  normalised: number;
  rejected: Record<string, number>;
  skipped: Record<string, number>;
}

export interface EventSource {
  /** Normalised process-creation events of the window, in @timestamp order. */
  readEvents(query: EventQuery, accounting?: ReadAccounting): AsyncIterable<ProcessEvent>;
  /** Raw events by normalised event id, for the analyst's drill-down. */
  eventsById(ids: readonly string[]): Promise<ProcessEvent[]>;
}

export interface PrevalenceProvider {
  /**
   * A prevalence service over the whole environment for `lookback`, computed once per run
   * (store-side aggregations), then answered from memory.
   */
  forWindow(lookback: TimeWindow, signal?: AbortSignal): Promise<PrevalenceService>;
}

export type TriageStatus = 'open' | 'acknowledged' | 'closed';
export type Verdict = 'benign' | 'malicious';

export interface TriageChange {
  at: string;
  by: string;
  changes: Partial<
    Record<'status' | 'assignee' | 'note' | 'verdict', { from: unknown; to: unknown }>
  >;
}

export interface TriageState {
  status: TriageStatus;
  assignee: string | null;
  note: string;
  verdict: Verdict | null;
  updatedAt?: string;
  updatedBy?: string;
  history: TriageChange[];
}

export interface StoredCommunity extends AnomalousCommunity {
  triage: TriageState;
  /** Bumped on every write; clients send it back to detect concurrent edits (409). */
  version: number;
  detectedAt: string;
  runId: string;
}

/** What the list view needs; the full community comes from `get`. */
export interface CommunitySummary {
  id: string;
  rank: number;
  host: string;
  score: number;
  maxAnomaly: number;
  maxEdgeScore: number;
  users: string[];
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  chain: string;
  techniques: string[];
  status: TriageStatus;
  assignee: string | null;
  verdict: Verdict | null;
  version: number;
}

export interface CommunityPage {
  total: number;
  page: number;
  perPage: number;
  items: CommunitySummary[];
  counts: { flagged: number; reviewed: number; open: number; acknowledged: number; closed: number };
}

/**
 * Counts over all communities matching the list's filters (not a page of them). Each of the three
 * views sums to `total`. Time buckets are [start, start + intervalMs) of `firstSeen`, aligned to
 * the Unix epoch, non-empty ones only; score buckets are [from, to) with the first open below and
 * the last open above; severities are common/severity.ts levels of `score`.
 */
export interface CommunityStats {
  total: number;
  overTime: {
    intervalMs: number;
    buckets: { start: string; total: number; severities: Record<SeverityLevel, number> }[];
  };
  /** Most frequent hosts (count descending, then host key), and the rest as `other`. */
  hosts: { top: { host: string; count: number }[]; other: number };
  scores: { step: number; buckets: { from: number; to: number; count: number }[] };
}

export interface TriagePatch {
  status?: TriageStatus;
  assignee?: string | null;
  note?: string;
  verdict?: Verdict | null;
}

export interface WriteReport {
  written: number;
  /** Stale communities removed from a re-processed host window (never triaged ones only). */
  removed: number;
  failed: { id: string; reason: string }[];
}

export class ConflictError extends Error {
  readonly statusCode = 409;
  constructor(
    message: string,
    readonly current?: number,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  readonly statusCode = 404;
}

/**
 * A request the host cannot carry out as asked, with the status and the message the caller
 * should see (e.g. 400 "xpack.encryptedSavedObjects.encryptionKey is not set").
 */
export class RefusedError extends Error {
  constructor(
    readonly statusCode: 400 | 403 | 409 | 503,
    message: string,
    /** The part of the request at fault (`path`, `body.indices`), named in a 400's `errors`. */
    readonly field?: string,
  ) {
    super(field ? `[${field}]: ${message}` : message);
  }
}

export interface CommunityStore {
  /**
   * Upserts by deterministic id (a re-run updates, never duplicates) and keeps triage state.
   * `replaced` lists the host windows these communities fully describe: other untriaged
   * communities stored for those host windows are stale and removed.
   */
  writeCommunities(
    communities: readonly AnomalousCommunity[],
    meta: { runId: string; detectedAt: string; replaced: { host: string; window: TimeWindow }[] },
  ): Promise<WriteReport>;
  list(query: ListCommunitiesQuery): Promise<CommunityPage>;
  /** Aggregations over every community `list` would return for the same filters (charts). */
  stats(query: CommunityStatsQuery): Promise<CommunityStats>;
  get(id: string): Promise<StoredCommunity | undefined>;
  /** Throws NotFoundError, or ConflictError when `expectedVersion` is stale. */
  triage(
    id: string,
    patch: TriagePatch,
    actor: string,
    expectedVersion?: number,
  ): Promise<StoredCommunity>;
}

export interface SuppressionStore extends SuppressionSource {
  add(rules: readonly SuppressionRule[]): Promise<void>;
  remove(id: string): Promise<boolean>;
  all(): Promise<SuppressionRule[]>;
}

export interface Checkpoint {
  /** Events before this time are fully processed for the partition. */
  processedUntil: string;
  updatedAt: string;
}

export interface RunReport {
  runId: string;
  partition: Partition;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  window: TimeWindow | null;
  /**
   * `running` is recorded when a run starts and replaced by its outcome, so a run whose host
   * was killed still shows in the history (as aborted once it is stale, see run_history.ts).
   */
  status: 'succeeded' | 'failed' | 'aborted' | 'nothing_to_do' | 'running';
  eventsRead: number;
  eventsRejected: number;
  communities: number;
  flagged: number;
  errors: string[];
}

/**
 * A host-window whose analysis failed (exception, time or memory budget): reported as a finding
 * (`communityId`) and retried by later runs until `attempts` reaches `maxAttempts`.
 */
export interface QuarantinedHostWindow {
  /** `${partition index}/${count}|${host key}|${window start}` */
  id: string;
  partition: Partition;
  host: string;
  window: TimeWindow;
  stage: string;
  error: string;
  attempts: number;
  maxAttempts: number;
  /** pending: a later run retries it; exhausted: attempts used up (retry from the app). */
  status: 'pending' | 'exhausted';
  communityId: string;
  firstFailedAt: string;
  lastFailedAt: string;
}

export interface JobStateStore {
  getCheckpoint(partition: Partition): Promise<Checkpoint | undefined>;
  saveCheckpoint(partition: Partition, checkpoint: Checkpoint): Promise<void>;
  recordRun(report: RunReport): Promise<void>;
  recentRuns(limit: number): Promise<RunReport[]>;
  /** Quarantined host-windows, oldest first failure first (a few at most: not paged). */
  listQuarantine(): Promise<QuarantinedHostWindow[]>;
  /** Upserts by id. */
  saveQuarantine(record: QuarantinedHostWindow): Promise<void>;
  /** False when unknown. */
  deleteQuarantine(id: string): Promise<boolean>;
}

export interface Settings {
  threshold: number;
  interval: string;
  lookback: string;
  prevalence_lookback: string;
  indices: string;
  score_source: 'model' | 'elastic' | 'blend';
}

export interface SettingsStore {
  get(): Promise<Settings>;
  update(patch: Partial<Settings>): Promise<Settings>;
}

/** Everything a route handler or the job may touch, already scoped to the caller. */
export interface Stores {
  events: EventSource;
  prevalence: PrevalenceProvider;
  communities: CommunityStore;
  suppressions: SuppressionStore;
  state: JobStateStore;
  settings: SettingsStore;
  /** The webhook outbox (standalone host's notifications); absent where a host has none. */
  notifications?: NotificationOutbox;
}

/**
 * Whether the detection job may read source events, and with what. Under Kibana an
 * administrator enables detection, which captures an API key limited to reading the source
 * indices; standalone, the host reads with its own connection and detection is always enabled.
 */
export type DetectionAccessState = 'enabled' | 'not_enabled' | 'stopped';

export interface DetectionAccessStatus {
  host: 'kibana' | 'standalone';
  state: DetectionAccessState;
  enabled: boolean;
  enabledBy?: string;
  enabledAt?: string;
  /** Source index patterns detection reads. */
  indices: string[];
  /** Index privileges it holds on them. */
  privileges: string[];
  /** Per pattern, whether the key could read it when it was created (Kibana). */
  readable?: Record<string, boolean>;
  /** Why detection is not enabled or stopped, in words for the app. */
  reason?: string;
  stoppedAt?: string;
}

export interface DetectionAccess {
  status(): Promise<DetectionAccessStatus>;
  /** Throws RefusedError when the host cannot enable detection (with the reason). */
  enable(user: string, indices?: string): Promise<DetectionAccessStatus>;
  disable(user: string): Promise<DetectionAccessStatus>;
}

/** Background set-up of the host (indices, task scheduling): visible in the detection status. */
export interface SetupStatus {
  state: 'pending' | 'ready' | 'failed';
  attempts: number;
  reason?: string;
  updatedAt: string;
}

/** A flagged community of a run, with what was stored for it before (absent when it is new). */
export interface FlaggedChange {
  community: AnomalousCommunity;
  previous?: { score: number; maxAnomaly: number };
}

/**
 * Where a run's flagged communities go besides the community store (ECS alerts for Elastic
 * Security, the webhook outbox). Called after the communities are stored and before the
 * checkpoint moves: a throw fails the run and the next run publishes again, so a sink must be
 * idempotent by community id.
 */
export interface FindingSink {
  readonly name: string;
  publish(
    changes: readonly FlaggedChange[],
    meta: { runId: string; detectedAt: string },
    signal?: AbortSignal,
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Webhook notifications (standalone host): a durable outbox the sink fills and a worker drains.

/** Stored webhook configuration. The secret is write-only: routes answer `secretSet` instead. */
export interface WebhookConfig {
  urls: string[];
  secret: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One POST of one notification to one URL; `id` is stable, so receivers deduplicate by it. */
export interface NotificationDelivery {
  id: string;
  communityId: string;
  url: string;
  /** new: first notification of the community; escalated: its severity rose since the last one. */
  kind: 'new' | 'escalated' | 'test';
  score: number;
  severity: string;
  /** The JSON body, serialised once so every attempt (and its signature) sends the same bytes. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  lastAttemptAt?: string;
  deliveredAt?: string;
  lastError?: string;
}

export type NewDelivery = Pick<
  NotificationDelivery,
  'id' | 'communityId' | 'url' | 'kind' | 'score' | 'severity' | 'body' | 'createdAt'
>;

export interface NotificationOutbox {
  getConfig(): Promise<WebhookConfig>;
  /** `secret: null` clears it, an absent key keeps it. */
  setConfig(patch: { urls?: string[]; secret?: string | null }): Promise<WebhookConfig>;
  /**
   * The highest score and severity already enqueued per community (test sends excluded): what
   * decides "new" or "escalated", whatever the community store says the community was before.
   */
  lastNotified(
    communityIds: readonly string[],
  ): Promise<Map<string, { score: number; severity: string }>>;
  /** Inserts the deliveries whose id is not stored yet (idempotent); returns how many were new. */
  enqueue(deliveries: readonly NewDelivery[]): Promise<number>;
  /** Pending deliveries due at `now`, oldest first. */
  due(now: string, limit: number): Promise<NotificationDelivery[]>;
  /** Records an attempt's outcome (status, attempts, next attempt, error). */
  recordAttempt(
    id: string,
    outcome: Pick<NotificationDelivery, 'status' | 'attempts' | 'nextAttemptAt'> &
      Partial<Pick<NotificationDelivery, 'lastAttemptAt' | 'deliveredAt' | 'lastError'>>,
  ): Promise<void>;
  /** A failed delivery back to pending, due now (manual retry); false when unknown. */
  retry(id: string, now: string): Promise<boolean>;
  /** Newest first. */
  list(opts: { limit: number; status?: DeliveryStatus }): Promise<NotificationDelivery[]>;
}
