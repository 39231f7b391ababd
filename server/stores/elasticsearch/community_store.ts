/**
 * Detected communities and their triage state, one document per community id behind the
 * communities alias.
 *
 * Writers and versions. `version` is a field of the document: 1 when first written, +1 on every
 * write (detection re-write, effective triage change, unflagging). The test cluster has no
 * scripting, so it cannot be incremented server-side; every write is a read-modify-write made
 * conditional with if_seq_no/if_primary_term on what was read, and a 409 means "someone wrote in
 * between: read again". Detection re-writes replace the whole document (a partial `doc` update
 * would deep-merge the stored community with the new one and leave keys of the old one behind)
 * but copy the triage fields they read, and the seq_no condition guarantees no triage change
 * landed in between. `_seq_no` itself is not exposed as the version because it is not a
 * per-document counter (it jumps with every write to the shard), and clients are promised +1.
 *
 * The alias must point at a single index (get/mget by id need that); communities are mutable,
 * so rollover would scatter ids over indices and is not used.
 *
 * Past the ~800-line guide: writes, triage and stale-window removal share the one
 * optimistic-concurrency scheme above and are kept together so it reads in one place.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { AnomalousCommunity, TimeWindow } from '../../../common/types/community';
import type { CommunityStatsQuery, ListCommunitiesQuery } from '../../../common/schemas';
import { hostKey } from '../../lib/detection/names';
import {
  type CommunityPage,
  type CommunityStats,
  type CommunityStore,
  type CommunitySummary,
  ConflictError,
  type Logger,
  NotFoundError,
  type StoredCommunity,
  type TriageChange,
  type TriagePatch,
  type TriageState,
  type TriageStatus,
  type Verdict,
  type WriteReport,
} from '../../ports';
import { COMMAND_LINE_KEEP } from './indices';
import {
  DEFAULT_ATTEMPTS,
  type RetryPolicy,
  isRetryableStatus,
  requestOptions,
  retryDelay,
  sleep,
  statusOf,
  withRetry,
} from './retry';
import type { Refresh } from './state_store';
import { checkTriagePatch, validateCommunity } from '../community_validation';
import { communityFilter } from './community_filter';
import { decodedTextOfCommandLines } from '../../../common/decode_command';
import { communityStats } from './community_stats';

type Query = estypes.QueryDslQueryContainer;
type SortField = ListCommunitiesQuery['sort'];

const SORT_FIELDS: Record<SortField, string> = {
  rank: 'rank',
  max_score: 'max_anomaly',
  score: 'score',
  host: 'host_key',
  first_seen: 'first_seen',
  last_seen: 'last_seen',
  event_count: 'event_count',
  status: 'triage.status_rank',
};

const STATUS_RANK: Record<TriageStatus, number> = { open: 0, acknowledged: 1, closed: 2 };
const TRIAGE_FIELDS = ['status', 'assignee', 'note', 'verdict'] as const;
const STATUSES: readonly TriageStatus[] = ['open', 'acknowledged', 'closed'];

/** Rounds of read-then-conditional-write before a write gives up on a hot document. */
const MAX_CONFLICT_ROUNDS = 20;
/** Bulk request body size at which a new request is started. */
const BULK_BYTES = 8 * 1024 * 1024;

interface TriageDoc {
  status: TriageStatus;
  status_rank: number;
  assignee: string | null;
  note: string;
  verdict: Verdict | null;
  updated_at?: string;
  updated_by?: string;
  changes: number;
  history: TriageChange[];
}

interface CommunityDoc {
  id: string;
  host: string;
  host_key: string;
  window: TimeWindow;
  rank: number;
  score: number;
  max_anomaly: number;
  max_edge_score: number;
  flagged: boolean;
  first_seen: string;
  last_seen: string;
  event_count: number;
  users: string[];
  techniques: string[];
  chain: string;
  command_lines: string[];
  /** Decoded encoded commands of the events (see decodedCommandChunks); searched by `q`. */
  decoded_commands?: string[];
  detected_at: string;
  run_id: string;
  version: number;
  triage: TriageDoc;
  community: AnomalousCommunity;
}

const SUMMARY_SOURCE = [
  'id',
  'rank',
  'host',
  'score',
  'max_anomaly',
  'max_edge_score',
  'users',
  'first_seen',
  'last_seen',
  'event_count',
  'chain',
  'techniques',
  'version',
  'triage.status',
  'triage.assignee',
  'triage.verdict',
];

function newTriage(): TriageDoc {
  return {
    status: 'open',
    status_rank: 0,
    assignee: null,
    note: '',
    verdict: null,
    changes: 0,
    history: [],
  };
}

interface Prepared {
  c: AnomalousCommunity;
  window: TimeWindow;
  firstSeen: string;
  lastSeen: string;
}

/** Why a community cannot be stored, or its normalised times. */
function prepare(c: AnomalousCommunity): Prepared | string {
  const t = validateCommunity(c);
  if (typeof t === 'string') return t;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    c,
    window: { start: iso(t.windowStart), end: iso(t.windowEnd) },
    firstSeen: iso(t.firstSeen),
    lastSeen: iso(t.lastSeen),
  };
}

function commandLines(c: AnomalousCommunity): string[] {
  const out = new Set<string>();
  for (const se of c.events ?? []) {
    const p = se.event?.process;
    for (const cl of [p?.command_line, p?.parent?.command_line]) {
      if (typeof cl === 'string' && cl.length > 0)
        out.add(cl.length > COMMAND_LINE_KEEP ? cl.slice(0, COMMAND_LINE_KEEP) : cl);
    }
  }
  return [...out];
}

/**
 * The decoded text of the events' encoded commands, computed once at write time, in keyword
 * values of at most COMMAND_LINE_KEEP characters that overlap by DECODED_OVERLAP, so any word
 * shorter than the overlap lies whole inside one value for the wildcard search.
 */
const DECODED_OVERLAP = 256;
function decodedCommandChunks(c: AnomalousCommunity): string[] {
  const lines: string[] = [];
  for (const se of c.events ?? []) {
    const p = se.event?.process;
    lines.push(p?.command_line as string, p?.parent?.command_line as string);
  }
  const text = decodedTextOfCommandLines(lines);
  const out: string[] = [];
  const step = COMMAND_LINE_KEEP - DECODED_OVERLAP;
  for (let i = 0; i < text.length; i += step) {
    out.push(text.slice(i, i + COMMAND_LINE_KEEP));
    if (i + COMMAND_LINE_KEEP >= text.length) break;
  }
  return out;
}

function buildDoc(
  p: Prepared,
  meta: { runId: string; detectedAt: string },
  triage: TriageDoc,
  version: number,
): CommunityDoc {
  const { c } = p;
  return {
    id: c.id,
    host: c.host,
    host_key: hostKey(c.host),
    window: p.window,
    rank: c.rank,
    score: c.score,
    max_anomaly: c.maxAnomaly,
    max_edge_score: c.maxEdgeScore,
    flagged: true,
    first_seen: p.firstSeen,
    last_seen: p.lastSeen,
    event_count: c.events?.length ?? 0,
    users: [...(c.users ?? [])],
    techniques: (c.techniques ?? []).map((t) => t.id),
    chain: c.chain ?? '',
    command_lines: commandLines(c),
    decoded_commands: decodedCommandChunks(c),
    detected_at: meta.detectedAt,
    run_id: meta.runId,
    version,
    triage,
    community: c,
  };
}

function toStored(doc: CommunityDoc): StoredCommunity {
  const t = doc.triage ?? newTriage();
  const triage: TriageState = {
    status: t.status,
    assignee: t.assignee ?? null,
    note: t.note ?? '',
    verdict: t.verdict ?? null,
    history: t.history ?? [],
  };
  if (t.updated_at !== undefined) triage.updatedAt = t.updated_at;
  if (t.updated_by !== undefined) triage.updatedBy = t.updated_by;
  return {
    ...doc.community,
    triage,
    version: doc.version,
    detectedAt: doc.detected_at,
    runId: doc.run_id,
  };
}

function toSummary(d: Partial<CommunityDoc>): CommunitySummary {
  return {
    id: d.id as string,
    rank: d.rank as number,
    host: d.host as string,
    score: d.score as number,
    maxAnomaly: d.max_anomaly as number,
    maxEdgeScore: d.max_edge_score as number,
    users: d.users ?? [],
    firstSeen: d.first_seen as string,
    lastSeen: d.last_seen as string,
    eventCount: d.event_count ?? 0,
    chain: d.chain ?? '',
    techniques: d.techniques ?? [],
    status: d.triage?.status ?? 'open',
    assignee: d.triage?.assignee ?? null,
    verdict: d.triage?.verdict ?? null,
    version: d.version ?? 0,
  };
}

interface ItemResult {
  status: number;
  error?: { type?: string; reason?: string | null };
}

function itemOf(
  item: Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>>,
): ItemResult {
  const r = item.index ?? item.create ?? item.update ?? item.delete;
  return { status: r?.status ?? 0, error: r?.error ?? undefined };
}

function reasonOf(r: ItemResult): string {
  return r.error
    ? `${r.error.type ?? 'error'}: ${r.error.reason ?? ''}`.trim()
    : `status ${r.status}`;
}

interface CurrentState {
  seqNo: number;
  primaryTerm: number;
  version: number;
  triage: TriageDoc;
  flagged?: boolean;
}

export interface EsCommunityStoreOptions {
  client: Client;
  /** The communities alias. */
  index: string;
  logger?: Logger;
  refresh?: Refresh;
  retry?: RetryPolicy;
}

export class EsCommunityStore implements CommunityStore {
  private readonly client: Client;
  private readonly index: string;
  private readonly logger?: Logger;
  private readonly refresh: Refresh;
  private readonly retry: RetryPolicy;

  constructor(opts: EsCommunityStoreOptions) {
    this.retry = opts.retry ?? {};
    this.client = opts.client;
    this.index = opts.index;
    this.logger = opts.logger;
    this.refresh = opts.refresh ?? true;
  }

  // -------------------------------------------------------------------------------------------
  // Detection writes

  async writeCommunities(
    communities: readonly AnomalousCommunity[],
    meta: { runId: string; detectedAt: string; replaced: { host: string; window: TimeWindow }[] },
  ): Promise<WriteReport> {
    const detectedMs = Date.parse(meta.detectedAt);
    if (!Number.isFinite(detectedMs))
      throw new TypeError(`detectedAt is not an ISO-8601 date: ${meta.detectedAt}`);
    const m = { runId: meta.runId, detectedAt: new Date(detectedMs).toISOString() };
    const replaced = meta.replaced.map((r) => {
      const ws = Date.parse(r.window.start);
      const we = Date.parse(r.window.end);
      if (!Number.isFinite(ws) || !Number.isFinite(we))
        throw new TypeError(`invalid replaced window for host ${r.host}`);
      return { key: hostKey(r.host), ws, we };
    });

    const failed: WriteReport['failed'] = [];
    // Last one wins for an id given twice.
    const byId = new Map<string, Prepared>();
    for (const c of communities) {
      const p = prepare(c);
      if (typeof p === 'string')
        failed.push({ id: typeof c?.id === 'string' ? c.id : '', reason: p });
      else byId.set(p.c.id, p);
    }

    let written = 0;
    const pending = new Map(byId);
    // Items the cluster refused as overloaded (429) or unavailable (5xx) get the same number of
    // tries, and the same backoff, as a whole request would.
    const transientTries = Math.max(1, this.retry.attempts ?? DEFAULT_ATTEMPTS);
    const transient = new Map<string, number>();
    let refusedTries = 0;
    for (let round = 0; pending.size > 0; round++) {
      if (round >= MAX_CONFLICT_ROUNDS) {
        for (const id of pending.keys())
          failed.push({ id, reason: `still changing after ${round} conditional writes` });
        break;
      }
      if (refusedTries > 0) {
        const delay = retryDelay(refusedTries - 1, this.retry);
        this.logger?.warn(`the cluster refused some community writes, retrying in ${delay} ms`, {
          attempt: refusedTries,
          of: transientTries,
        });
        await sleep(delay);
      } else if (round > 0) {
        await sleep(20 + Math.random() * Math.min(1_000, 50 * 2 ** round));
      }
      refusedTries = 0;
      const current = await this.currentStates([...pending.keys()]);
      const ops: { id: string; action: Record<string, unknown>; doc?: unknown }[] = [];
      for (const [id, p] of pending) {
        const cur = current.get(id);
        if (cur) {
          ops.push({
            id,
            action: {
              index: {
                _index: this.index,
                _id: id,
                if_seq_no: cur.seqNo,
                if_primary_term: cur.primaryTerm,
              },
            },
            doc: buildDoc(p, m, cur.triage, cur.version + 1),
          });
        } else {
          // `create` fails with 409 if another writer created it first: then it is re-read.
          ops.push({
            id,
            action: { create: { _index: this.index, _id: id } },
            doc: buildDoc(p, m, newTriage(), 1),
          });
        }
      }
      const results = await this.bulk(ops);
      for (const [id, r] of results) {
        if (r.status >= 200 && r.status < 300) {
          written++;
          pending.delete(id);
        } else if (r.status === 409) {
          // Changed since read: next round reads it again.
        } else if (isRetryableStatus(r.status)) {
          const n = (transient.get(id) ?? 0) + 1;
          transient.set(id, n);
          if (n >= transientTries) {
            failed.push({ id, reason: `${reasonOf(r)} (after ${n} tries)` });
            pending.delete(id);
          } else {
            refusedTries = Math.max(refusedTries, n);
          }
        } else {
          failed.push({ id, reason: reasonOf(r) });
          pending.delete(id);
        }
      }
    }
    if (failed.length > 0) {
      this.logger?.warn(`${failed.length} of ${communities.length} communities were not written`, {
        first: failed[0],
      });
    }

    if (replaced.length === 0) return { written, removed: 0, failed };
    const stale = await this.removeStale(replaced, new Set(byId.keys()));
    return { written, removed: stale.removed, failed: [...failed, ...stale.failed] };
  }

  /** Version, triage and seq_no of the documents that exist, by id. */
  private async currentStates(ids: readonly string[]): Promise<Map<string, CurrentState>> {
    const out = new Map<string, CurrentState>();
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      const res = await withRetry(
        () =>
          this.client.mget<Pick<CommunityDoc, 'version' | 'triage' | 'flagged'>>(
            { index: this.index, ids: chunk, _source_includes: ['version', 'triage', 'flagged'] },
            requestOptions(),
          ),
        { ...this.retry, logger: this.logger, what: 'read community versions' },
      );
      for (const d of res.docs) {
        if (
          'found' in d &&
          d.found &&
          d._source &&
          d._seq_no !== undefined &&
          d._primary_term !== undefined
        ) {
          out.set(d._id, {
            seqNo: d._seq_no,
            primaryTerm: d._primary_term,
            version: d._source.version ?? 0,
            triage: d._source.triage ?? newTriage(),
            flagged: d._source.flagged,
          });
        } else if ('error' in d && d.error) {
          throw new Error(
            `could not read community ${d._id}: ${d.error.type}: ${d.error.reason ?? ''}`,
          );
        }
      }
    }
    return out;
  }

  /**
   * Sends the operations in size-bounded bulk requests. A failed request (not item) is retried
   * by withRetry; its items are idempotent because every write is conditional.
   */
  private async bulk(
    ops: { id: string; action: Record<string, unknown>; doc?: unknown }[],
  ): Promise<Map<string, ItemResult>> {
    const results = new Map<string, ItemResult>();
    let batch: { id: string; body: unknown[] }[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const operations = batch.flatMap((b) => b.body);
      const ids = batch.map((b) => b.id);
      batch = [];
      bytes = 0;
      const res = await withRetry(
        // require_alias: a missing alias must fail, not auto-create an unmapped index.
        () =>
          this.client.bulk(
            { operations, refresh: this.refresh, require_alias: true },
            requestOptions(),
          ),
        { ...this.retry, logger: this.logger, what: 'write communities' },
      );
      res.items.forEach((item, i) => {
        const id = ids[i];
        if (id !== undefined) results.set(id, itemOf(item));
      });
    };
    for (const op of ops) {
      const body = op.doc === undefined ? [op.action] : [op.action, op.doc];
      const size = body.reduce<number>((n, b) => n + JSON.stringify(b).length, 0);
      if (bytes + size > BULK_BYTES && batch.length > 0) await flush();
      batch.push({ id: op.id, body });
      bytes += size;
    }
    await flush();
    return results;
  }

  /**
   * Communities stored for the replaced host windows but not found this time: deleted when no
   * analyst ever changed them, otherwise kept and unflagged. Both writes are conditional on the
   * state just read, so a triage that lands in between is never deleted.
   *
   * A stale community left behind stays listed as a finding of a window whose result no longer
   * has it, and no later run need ever revisit that window: removals the cluster refuses as
   * overloaded or unavailable are retried like writes, and reported as failures when they run
   * out of tries, so that the checkpoint stays and the next run removes them.
   */
  private async removeStale(
    replaced: { key: string; ws: number; we: number }[],
    keep: Set<string>,
  ): Promise<{ removed: number; failed: WriteReport['failed'] }> {
    const failed: WriteReport['failed'] = [];
    const tries = Math.max(1, this.retry.attempts ?? DEFAULT_ATTEMPTS);
    const refused = new Map<string, number>();
    const byWindow = new Map<string, { ws: number; we: number; hosts: Set<string> }>();
    for (const r of replaced) {
      const k = `${r.ws}|${r.we}`;
      const g = byWindow.get(k) ?? { ws: r.ws, we: r.we, hosts: new Set<string>() };
      g.hosts.add(r.key);
      byWindow.set(k, g);
    }
    const should: Query[] = [...byWindow.values()].map((g) => ({
      bool: {
        filter: [
          { terms: { host_key: [...g.hosts] } },
          { range: { 'window.start': { gte: g.ws, format: 'epoch_millis' } } },
          { range: { 'window.end': { lte: g.we, format: 'epoch_millis' } } },
        ],
      },
    }));
    let removed = 0;
    for (let round = 0; round < MAX_CONFLICT_ROUNDS; round++) {
      const candidates: {
        id: string;
        seqNo: number;
        primaryTerm: number;
        changes: number;
        flagged: boolean;
        version: number;
      }[] = [];
      for (let i = 0; i < should.length; i += 512) {
        const query: Query = {
          bool: { minimum_should_match: 1, should: should.slice(i, i + 512) },
        };
        let after: estypes.SortResults | undefined;
        for (;;) {
          const res = await withRetry(
            () =>
              this.client.search<
                Pick<CommunityDoc, 'id' | 'flagged' | 'version'> & { triage?: { changes?: number } }
              >(
                {
                  index: this.index,
                  size: 1_000,
                  query,
                  seq_no_primary_term: true,
                  _source: ['id', 'flagged', 'version', 'triage.changes'],
                  sort: [{ id: 'asc' }],
                  track_total_hits: false,
                  ...(after ? { search_after: after } : {}),
                },
                requestOptions(),
              ),
            { ...this.retry, logger: this.logger, what: 'find stale communities' },
          );
          for (const h of res.hits.hits) {
            const s = h._source;
            if (!s || keep.has(s.id) || h._seq_no === undefined || h._primary_term === undefined)
              continue;
            if ((refused.get(h._id ?? s.id) ?? 0) >= tries) continue;
            candidates.push({
              id: h._id ?? s.id,
              seqNo: h._seq_no,
              primaryTerm: h._primary_term,
              changes: s.triage?.changes ?? 0,
              flagged: s.flagged !== false,
              version: s.version ?? 0,
            });
          }
          if (res.hits.hits.length < 1_000) break;
          after = res.hits.hits[res.hits.hits.length - 1]?.sort;
        }
      }
      const ops: { id: string; action: Record<string, unknown>; doc?: unknown }[] = [];
      for (const c of candidates) {
        const cond = {
          _index: this.index,
          _id: c.id,
          if_seq_no: c.seqNo,
          if_primary_term: c.primaryTerm,
        };
        if (c.changes === 0) ops.push({ id: c.id, action: { delete: cond } });
        else if (c.flagged)
          ops.push({
            id: c.id,
            action: { update: cond },
            doc: { doc: { flagged: false, version: c.version + 1 } },
          });
      }
      if (ops.length === 0) return { removed, failed };
      const results = await this.bulk(ops);
      const deletes = new Set(candidates.filter((c) => c.changes === 0).map((c) => c.id));
      let conflicts = 0;
      let refusedTries = 0;
      for (const [id, r] of results) {
        const isDelete = deletes.has(id);
        if (r.status >= 200 && r.status < 300) {
          if (isDelete) removed++;
        } else if (r.status === 409) {
          conflicts++;
        } else if (isRetryableStatus(r.status)) {
          const n = (refused.get(id) ?? 0) + 1;
          refused.set(id, n);
          if (n >= tries) {
            failed.push({ id, reason: `stale, not removed: ${reasonOf(r)} (after ${n} tries)` });
          } else {
            refusedTries = Math.max(refusedTries, n);
          }
        } else if (!(r.status === 404 && isDelete)) {
          // A refusal that retrying cannot fix (a mapping or privilege problem) would fail
          // every run from here on; the leftover is logged for an operator instead.
          this.logger?.warn(`could not remove stale community ${id}`, { reason: reasonOf(r) });
        }
      }
      if (conflicts === 0 && refusedTries === 0) return { removed, failed };
      if (refusedTries > 0) await sleep(retryDelay(refusedTries - 1, this.retry));
    }
    return { removed, failed };
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  async list(query: ListCommunitiesQuery): Promise<CommunityPage> {
    const filter = communityFilter(query);
    const page = query.page ?? 1;
    const perPage = query.per_page ?? 20;
    const field = SORT_FIELDS[query.sort ?? 'max_score'] ?? SORT_FIELDS.max_score;
    const order = query.direction === 'asc' ? 'asc' : 'desc';

    const res = await withRetry(
      () =>
        this.client.search<Partial<CommunityDoc>>(
          {
            index: this.index,
            from: (page - 1) * perPage,
            size: perPage,
            query: { bool: { filter } },
            // Status narrows the hits only; the tab counts are computed without it.
            ...(query.status !== undefined
              ? { post_filter: { term: { 'triage.status': query.status } } }
              : {}),
            // id breaks ties so pages never overlap or skip.
            sort: [{ [field]: { order } }, { id: { order: 'asc' } }],
            _source: SUMMARY_SOURCE,
            track_total_hits: true,
            aggs: {
              flagged: { filter: { term: { flagged: true } } },
              reviewed: {
                filter: {
                  bool: {
                    minimum_should_match: 1,
                    should: [
                      { bool: { must_not: { term: { 'triage.status': 'open' } } } },
                      { exists: { field: 'triage.verdict' } },
                    ],
                  },
                },
              },
              status: { terms: { field: 'triage.status', size: STATUSES.length } },
            },
          },
          requestOptions(),
        ),
      { ...this.retry, logger: this.logger, what: 'list communities' },
    );
    const aggs = res.aggregations as
      | {
          flagged: { doc_count: number };
          reviewed: { doc_count: number };
          status: { buckets: { key: string; doc_count: number }[] };
        }
      | undefined;
    const byStatus = new Map((aggs?.status.buckets ?? []).map((b) => [b.key, b.doc_count]));
    const total = res.hits.total;
    return {
      total: typeof total === 'number' ? total : (total?.value ?? 0),
      page,
      perPage,
      items: res.hits.hits.map((h) => toSummary(h._source ?? {})),
      counts: {
        flagged: aggs?.flagged.doc_count ?? 0,
        reviewed: aggs?.reviewed.doc_count ?? 0,
        open: byStatus.get('open') ?? 0,
        acknowledged: byStatus.get('acknowledged') ?? 0,
        closed: byStatus.get('closed') ?? 0,
      },
    };
  }

  stats(query: CommunityStatsQuery): Promise<CommunityStats> {
    return communityStats(this.client, this.index, query, { ...this.retry, logger: this.logger });
  }

  private async read(
    id: string,
  ): Promise<{ doc: CommunityDoc; seqNo: number; primaryTerm: number } | undefined> {
    try {
      const res = await withRetry(
        () => this.client.get<CommunityDoc>({ index: this.index, id }, requestOptions()),
        { ...this.retry, logger: this.logger, what: 'read community' },
      );
      if (
        !res.found ||
        !res._source ||
        res._seq_no === undefined ||
        res._primary_term === undefined
      )
        return undefined;
      return { doc: res._source, seqNo: res._seq_no, primaryTerm: res._primary_term };
    } catch (err) {
      // A missing document is a 404 with `found: false`; a missing index is a real error.
      if (statusOf(err) === 404 && (err as { body?: { found?: boolean } }).body?.found === false)
        return undefined;
      throw err;
    }
  }

  async get(id: string): Promise<StoredCommunity | undefined> {
    const r = await this.read(id);
    return r ? toStored(r.doc) : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Triage

  async triage(
    id: string,
    patch: TriagePatch,
    actor: string,
    expectedVersion?: number,
  ): Promise<StoredCommunity> {
    checkTriagePatch(patch);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.read(id);
      if (!cur) throw new NotFoundError(`community ${id} not found`);
      const version = cur.doc.version;
      if (expectedVersion !== undefined && expectedVersion !== version)
        throw conflict(id, version, expectedVersion);

      const before = cur.doc.triage ?? newTriage();
      const after: TriageDoc = { ...before, history: [...(before.history ?? [])] };
      const changes: TriageChange['changes'] = {};
      for (const f of TRIAGE_FIELDS) {
        const v = patch[f];
        const was = f === 'note' ? (before.note ?? '') : (before[f] ?? null);
        if (v === undefined || v === was) continue;
        changes[f] = { from: was, to: v };
        (after as unknown as Record<string, unknown>)[f] = v;
      }
      if (Object.keys(changes).length === 0) return toStored(cur.doc);

      const at = new Date().toISOString();
      after.status_rank = STATUS_RANK[after.status];
      after.updated_at = at;
      after.updated_by = actor;
      after.changes = (before.changes ?? 0) + 1;
      // The history keeps every value a field had, so an overwritten note is never lost.
      after.history.push({ at, by: actor, changes });
      try {
        await withRetry(
          () =>
            this.client.update(
              {
                index: this.index,
                id,
                if_seq_no: cur.seqNo,
                if_primary_term: cur.primaryTerm,
                doc: { triage: after, version: version + 1 },
                refresh: this.refresh,
              },
              requestOptions(),
            ),
          { ...this.retry, logger: this.logger, what: 'triage community' },
        );
        return toStored({ ...cur.doc, triage: after, version: version + 1 });
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
        if (expectedVersion !== undefined) {
          const now = await this.read(id);
          throw conflict(id, now?.doc.version ?? version + 1, expectedVersion);
        }
        if (attempt + 1 >= MAX_CONFLICT_ROUNDS) {
          throw new ConflictError(
            `community ${id} kept changing during triage; reload and retry`,
            version,
          );
        }
        // Without an expected version the caller asked "apply on top of whatever is there": do so.
        await sleep(10 + Math.random() * Math.min(500, 20 * 2 ** attempt));
      }
    }
  }
}

function conflict(id: string, current: number, had: number): ConflictError {
  return new ConflictError(
    `community ${id} was changed by someone else (version ${current}, you had ${had}); reload and retry`,
    current,
  );
}
