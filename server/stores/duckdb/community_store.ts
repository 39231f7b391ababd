/**
 * Detected communities and their triage state.
 *
 * Detection data and triage live in the same row but have different writers: the job upserts
 * the detection columns (never the triage ones), analysts change the triage ones through
 * `triage`, which uses optimistic concurrency on `version`. All writes go through the store's
 * single writer connection, one transaction each, so two analysts can never lose each other's
 * change: the second one either sees a stale version (409) or is applied on top and recorded.
 */
import type { AnomalousCommunity, TimeWindow } from '../../../common/types/community';
import type { CommunityStatsQuery, ListCommunitiesQuery } from '../../../common/schemas';
import { hostKey } from '../../lib/detection/names';
import {
  type CommunityPage,
  type CommunityStats,
  type CommunityStore,
  type CommunitySummary,
  ConflictError,
  NotFoundError,
  type StoredCommunity,
  type TriageChange,
  type TriagePatch,
  type TriageState,
  type TriageStatus,
  type Verdict,
  type WriteReport,
} from '../../ports';
import { LIST, VARCHAR } from '@duckdb/node-api';
import {
  type Database,
  type Row,
  type SqlParam,
  type WriteTx,
  isoOf,
  num,
  tsParam,
} from './database';
import { checkTriagePatch, validateCommunity } from '../community_validation';
import { decodedTextOfCommandLines } from '../../../common/decode_command';
import { communityWhere } from './community_filter';
import { communityStats } from './community_stats';

type SortField = ListCommunitiesQuery['sort'];

/** Sort keys → SQL; the only way a sort reaches the SQL text. */
const SORT_SQL: Record<SortField, string> = {
  rank: 'rank',
  max_score: 'max_anomaly',
  score: 'score',
  host: 'host_key',
  first_seen: 'first_seen',
  last_seen: 'last_seen',
  event_count: 'event_count',
  // Workflow order rather than alphabetical.
  status: "CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END",
};

const TRIAGE_FIELDS = ['status', 'assignee', 'note', 'verdict'] as const;

const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS communities_staging (
  id VARCHAR, host VARCHAR, host_key VARCHAR, window_start TIMESTAMP, window_end TIMESTAMP,
  rank INTEGER, score DOUBLE, max_anomaly DOUBLE, max_edge_score DOUBLE,
  first_seen TIMESTAMP, last_seen TIMESTAMP, event_count INTEGER, chain VARCHAR,
  techniques VARCHAR[], users VARCHAR[], doc VARCHAR, run_id VARCHAR, detected_at TIMESTAMP)`;
const EVENTS_STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS community_events_staging AS SELECT * FROM community_events LIMIT 0`;
const REPLACED_STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS replaced_staging (host_key VARCHAR, ws TIMESTAMP, we TIMESTAMP)`;

const DETECTION_COLUMNS = [
  'host',
  'host_key',
  'window_start',
  'window_end',
  'rank',
  'score',
  'max_anomaly',
  'max_edge_score',
  'first_seen',
  'last_seen',
  'event_count',
  'chain',
  'techniques',
  'users',
  'doc',
  'run_id',
  'detected_at',
] as const;

interface Prepared {
  c: AnomalousCommunity;
  windowStart: number;
  windowEnd: number;
  firstSeen: number;
  lastSeen: number;
}

/** Why a community cannot be stored, or its parsed times. */
function prepare(c: AnomalousCommunity): Prepared | string {
  const t = validateCommunity(c);
  return typeof t === 'string' ? t : { c, ...t };
}

function rowToSummary(r: Row): CommunitySummary {
  return {
    id: r.id as string,
    rank: num(r.rank),
    host: r.host as string,
    score: num(r.score),
    maxAnomaly: num(r.max_anomaly),
    maxEdgeScore: num(r.max_edge_score),
    users: (r.users as string[]) ?? [],
    firstSeen: isoOf(r.first_seen_ms) as string,
    lastSeen: isoOf(r.last_seen_ms) as string,
    eventCount: num(r.event_count),
    chain: r.chain as string,
    techniques: (r.techniques as string[]) ?? [],
    status: r.status as TriageStatus,
    assignee: (r.assignee as string | null) ?? null,
    verdict: (r.verdict as Verdict | null) ?? null,
    version: num(r.version),
  };
}

const SUMMARY_COLUMNS = `id, rank, host, score, max_anomaly, max_edge_score, users, epoch_ms(first_seen) AS first_seen_ms,
  epoch_ms(last_seen) AS last_seen_ms, event_count, chain, techniques, status, assignee, verdict, version`;

const STORED_COLUMNS = `doc, status, assignee, note, verdict, epoch_ms(updated_at) AS updated_ms, updated_by, history,
  version, run_id, epoch_ms(detected_at) AS detected_ms`;

function rowToStored(r: Row): StoredCommunity {
  const c = JSON.parse(r.doc as string) as AnomalousCommunity;
  const triage: TriageState = {
    status: r.status as TriageStatus,
    assignee: (r.assignee as string | null) ?? null,
    note: (r.note as string) ?? '',
    verdict: (r.verdict as Verdict | null) ?? null,
    history: JSON.parse(r.history as string) as TriageChange[],
  };
  const updatedAt = isoOf(r.updated_ms);
  if (updatedAt !== undefined) triage.updatedAt = updatedAt;
  if (r.updated_by !== null && r.updated_by !== undefined)
    triage.updatedBy = r.updated_by as string;
  return {
    ...c,
    triage,
    version: num(r.version),
    detectedAt: isoOf(r.detected_ms) as string,
    runId: r.run_id as string,
  };
}

export class DuckCommunityStore implements CommunityStore {
  constructor(private readonly db: Database) {}

  async writeCommunities(
    communities: readonly AnomalousCommunity[],
    meta: { runId: string; detectedAt: string; replaced: { host: string; window: TimeWindow }[] },
  ): Promise<WriteReport> {
    const detectedAt = Date.parse(meta.detectedAt);
    if (!Number.isFinite(detectedAt))
      throw new TypeError(`detectedAt is not an ISO-8601 date: ${meta.detectedAt}`);
    const failed: WriteReport['failed'] = [];
    // Last one wins for an id given twice: ON CONFLICT cannot update one row twice per statement.
    const byId = new Map<string, Prepared>();
    for (const c of communities) {
      const p = prepare(c);
      if (typeof p === 'string')
        failed.push({ id: typeof c?.id === 'string' ? c.id : '', reason: p });
      else byId.set(p.c.id, p);
    }
    const replaced: { key: string; ws: number; we: number }[] = [];
    for (const r of meta.replaced) {
      const ws = Date.parse(r.window.start);
      const we = Date.parse(r.window.end);
      if (!Number.isFinite(ws) || !Number.isFinite(we))
        throw new TypeError(`invalid replaced window for host ${r.host}`);
      replaced.push({ key: hostKey(r.host), ws, we });
    }
    const items = [...byId.values()];

    const removed = await this.db.exclusive(async (w) => {
      await stage(w, items, meta.runId, detectedAt, replaced);
      return w.transaction(async (tx) => {
        const cols = DETECTION_COLUMNS.join(', ');
        const updates = DETECTION_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ');
        await tx.run(
          `INSERT INTO communities (${cols}, id, flagged, version)
           SELECT ${cols}, id, true, 1 FROM communities_staging
           ON CONFLICT (id) DO UPDATE SET ${updates}, flagged = true, version = communities.version + 1`,
        );
        await tx.run(
          'DELETE FROM community_events WHERE community_id IN (SELECT id FROM communities_staging)',
        );
        await tx.run('INSERT INTO community_events SELECT * FROM community_events_staging');

        // Stale: stored for a re-processed host window (inside it), but not found this time.
        const stale = `SELECT c.id FROM communities c JOIN replaced_staging r
             ON c.host_key = r.host_key AND c.window_start >= r.ws AND c.window_end <= r.we
           WHERE c.id NOT IN (SELECT id FROM communities_staging)`;
        await tx.run(
          `DELETE FROM community_events WHERE community_id IN (${stale} AND c.triage_changes = 0)`,
        );
        const n = await tx.run(
          `DELETE FROM communities WHERE id IN (${stale} AND c.triage_changes = 0)`,
        );
        // Triaged ones stay for the analyst's record, but no longer count as detections.
        await tx.run(
          `UPDATE communities SET flagged = false, version = version + 1
            WHERE flagged AND id IN (${stale} AND c.triage_changes > 0)`,
        );
        return n;
      });
    });
    return { written: items.length, removed, failed };
  }

  async list(query: ListCommunitiesQuery): Promise<CommunityPage> {
    const params: SqlParam[] = [];
    const p = (v: SqlParam): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const base = communityWhere(query, p);
    const statusCond = query.status !== undefined ? `status = ${p(query.status)}` : 'true';
    const withStatus = `${base} AND ${statusCond}`;

    const page = query.page ?? 1;
    const perPage = query.per_page ?? 20;
    const sort = SORT_SQL[query.sort ?? 'max_score'] ?? SORT_SQL.max_score;
    const dir = query.direction === 'asc' ? 'ASC' : 'DESC';
    const itemParams = [...params, perPage, (page - 1) * perPage];
    const n = params.length;

    // Two statements, not three: the total is one more count over the same filtered rows.
    const [counts, items] = await Promise.all([
      this.db.all(
        `SELECT count(*) FILTER (WHERE ${statusCond}) AS total,
                count(*) FILTER (WHERE flagged) AS flagged,
                count(*) FILTER (WHERE status <> 'open' OR verdict IS NOT NULL) AS reviewed,
                count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'acknowledged') AS acknowledged,
                count(*) FILTER (WHERE status = 'closed') AS closed
           FROM communities c WHERE ${base}`,
        params,
      ),
      this.db.all(
        // id breaks ties so pages never overlap or skip rows.
        `SELECT ${SUMMARY_COLUMNS} FROM communities c WHERE ${withStatus}
          ORDER BY ${sort} ${dir}, id ASC LIMIT $${n + 1} OFFSET $${n + 2}`,
        itemParams,
      ),
    ]);
    const cr = counts[0] ?? {};
    return {
      total: num(cr.total),
      page,
      perPage,
      items: items.map(rowToSummary),
      counts: {
        flagged: num(cr.flagged),
        reviewed: num(cr.reviewed),
        open: num(cr.open),
        acknowledged: num(cr.acknowledged),
        closed: num(cr.closed),
      },
    };
  }

  stats(query: CommunityStatsQuery): Promise<CommunityStats> {
    return communityStats(this.db, query);
  }

  async get(id: string): Promise<StoredCommunity | undefined> {
    const rows = await this.db.all(`SELECT ${STORED_COLUMNS} FROM communities WHERE id = $1`, [id]);
    return rows[0] ? rowToStored(rows[0]) : undefined;
  }

  async triage(
    id: string,
    patch: TriagePatch,
    actor: string,
    expectedVersion?: number,
  ): Promise<StoredCommunity> {
    checkTriagePatch(patch);
    return this.db.transaction(async (tx) => {
      const rows = await tx.all(
        'SELECT status, assignee, note, verdict, history, version FROM communities WHERE id = $1',
        [id],
      );
      const cur = rows[0];
      if (!cur) throw new NotFoundError(`community ${id} not found`);
      const version = num(cur.version);
      if (expectedVersion !== undefined && expectedVersion !== version) {
        throw new ConflictError(
          `community ${id} was changed by someone else (version ${version}, you had ${expectedVersion}); reload and retry`,
          version,
        );
      }
      const before = {
        status: cur.status as TriageStatus,
        assignee: (cur.assignee as string | null) ?? null,
        note: (cur.note as string) ?? '',
        verdict: (cur.verdict as Verdict | null) ?? null,
      };
      const after = { ...before };
      const changes: TriageChange['changes'] = {};
      for (const f of TRIAGE_FIELDS) {
        const v = patch[f];
        if (v === undefined || v === before[f]) continue;
        changes[f] = { from: before[f], to: v };
        (after as Record<string, unknown>)[f] = v;
      }
      if (Object.keys(changes).length > 0) {
        const at = new Date();
        const history = JSON.parse(cur.history as string) as TriageChange[];
        // The history keeps every value a field had, so an overwritten note is never lost.
        history.push({ at: at.toISOString(), by: actor, changes });
        const n = await tx.run(
          `UPDATE communities SET status = $1, assignee = $2, note = $3, verdict = $4, updated_at = $5, updated_by = $6,
                  history = $7, triage_changes = triage_changes + 1, version = version + 1
            WHERE id = $8 AND version = $9`,
          [
            after.status,
            after.assignee,
            after.note,
            after.verdict,
            at,
            actor,
            JSON.stringify(history),
            id,
            version,
          ],
        );
        // Cannot happen while writes are serialised; kept so a future multi-writer setup fails loudly.
        if (n !== 1)
          throw new ConflictError(`community ${id} changed during triage; reload and retry`);
      }
      const out = await tx.all(`SELECT ${STORED_COLUMNS} FROM communities WHERE id = $1`, [id]);
      return rowToStored(out[0] as Row);
    });
  }
}

/** Fills the staging tables for one write (outside the transaction: temp tables are not logged). */
async function stage(
  w: WriteTx,
  items: readonly Prepared[],
  runId: string,
  detectedAt: number,
  replaced: readonly { key: string; ws: number; we: number }[],
): Promise<void> {
  for (const ddl of [STAGING_DDL, EVENTS_STAGING_DDL, REPLACED_STAGING_DDL]) await w.run(ddl);
  for (const t of ['communities_staging', 'community_events_staging', 'replaced_staging'])
    await w.run(`DELETE FROM ${t}`);

  const listType = LIST(VARCHAR);
  const a = await w.appender('communities_staging', true);
  const e = await w.appender('community_events_staging', true);
  const r = await w.appender('replaced_staging', true);
  try {
    for (const { c, windowStart, windowEnd, firstSeen, lastSeen } of items) {
      a.appendVarchar(c.id);
      a.appendVarchar(c.host);
      a.appendVarchar(hostKey(c.host));
      a.appendValue(tsParam(windowStart));
      a.appendValue(tsParam(windowEnd));
      a.appendInteger(Math.trunc(c.rank));
      a.appendDouble(c.score);
      a.appendDouble(c.maxAnomaly);
      a.appendDouble(c.maxEdgeScore);
      a.appendValue(tsParam(firstSeen));
      a.appendValue(tsParam(lastSeen));
      a.appendInteger(c.events?.length ?? 0);
      a.appendVarchar(c.chain ?? '');
      a.appendList(
        (c.techniques ?? []).map((t) => t.id),
        listType,
      );
      a.appendList([...(c.users ?? [])], listType);
      a.appendVarchar(JSON.stringify(c));
      a.appendVarchar(runId);
      a.appendValue(tsParam(detectedAt));
      a.endRow();
      const seen = new Set<string>();
      for (const se of c.events ?? []) {
        const ev = se.event;
        const eid = ev?.event?.id;
        if (typeof eid !== 'string' || seen.has(eid)) continue;
        seen.add(eid);
        e.appendVarchar(c.id);
        e.appendVarchar(eid);
        appendText(e, ev.process?.entity_id);
        appendText(e, ev.process?.command_line);
        appendText(e, ev.process?.parent?.command_line);
        // Decoded once here, so `q` finds words that only appear inside an encoded command.
        const decoded = decodedTextOfCommandLines([
          ev.process?.command_line,
          ev.process?.parent?.command_line,
        ]);
        appendText(e, decoded.length > 0 ? decoded : null);
        e.endRow();
      }
    }
    for (const x of replaced) {
      r.appendVarchar(x.key);
      r.appendValue(tsParam(x.ws));
      r.appendValue(tsParam(x.we));
      r.endRow();
    }
  } finally {
    a.closeSync();
    e.closeSync();
    r.closeSync();
  }
}

function appendText(
  a: { appendNull(): void; appendVarchar(v: string): void },
  v: string | undefined | null,
): void {
  if (v === undefined || v === null) a.appendNull();
  else a.appendVarchar(v);
}
