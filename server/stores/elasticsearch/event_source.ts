/**
 * EventSource over the configured event indices: process creations of a time window, read with
 * a point in time and search_after (consistent across pages, no deep-paging limit), normalised
 * hit by hit with the same `normaliseRecord` the file reader uses.
 *
 * Order: by the raw `@timestamp`, then by normalised event id. The normalised time can differ
 * slightly for Sysmon-via-Winlogbeat (the normaliser prefers Sysmon's own UtcTime), so "in
 * @timestamp order" means the source's @timestamp; the engine groups by window and needs no more.
 *
 * Not done here (it needs neighbouring records): Sysmon/4688 twin merging and clock-offset
 * correction. Each Elasticsearch document is one event.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { DEFAULT_EVENT_INDICES } from '../../../common/constants';
import type { ProcessEvent } from '../../../common/types/process_event';
import { normaliseRecord, type RecordResult } from '../../lib/normalise/normalise_record';
import { hostPartition } from '../../partition';
import type { EventQuery, EventSource, Logger, Partition, ReadAccounting } from '../../ports';
import {
  LENIENT,
  SOURCE_FIELDS,
  hostEntriesFilter,
  listHosts,
  parseIndices,
  partitionEntries,
  processStartQuery,
  timeRange,
} from './event_query';
import { type RetryPolicy, abortError, requestOptions, throwIfAborted, withRetry } from './retry';

export interface EsEventSourceOptions {
  client: Client;
  /** Comma-separated index patterns, read at every call so a settings change applies to the next run. */
  indices?: () => Promise<string> | string;
  logger?: Logger;
  /** Hits per page (default 2,000). */
  pageSize?: number;
  /** How long the point in time survives between pages (default 2m). */
  keepAlive?: string;
  /**
   * Fetch only the fields the normaliser reads (default true). Filtering costs the server a
   * parse of every document; it pays off for agent documents that carry much more than we read
   * (Elastic Defend), and is a loss for slim documents already in our own shape.
   */
  projectSource?: boolean;
  retry?: RetryPolicy;
}

type Hit = estypes.SearchHit<Record<string, unknown>>;
type SortValues = estypes.SortResults;

const ID_CHUNK = 1_000;
/**
 * Times one read opens a new point in time after losing the previous one; a point in time that
 * keeps disappearing means something is wrong beyond a restart, and the read fails.
 */
const MAX_PIT_REOPENS = 3;
/**
 * Most events held for one @timestamp value; beyond it they are released in the order read
 * (only a source stamping thousands of events with one millisecond gets there).
 */
const MAX_TIES = 10_000;

function sortTies(ties: ProcessEvent[]): ProcessEvent[] {
  if (ties.length > 1)
    ties.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  return ties;
}

export class EsEventSource implements EventSource {
  private readonly client: Client;
  private readonly logger?: Logger;
  private readonly pageSize: number;
  private readonly keepAlive: string;
  private readonly projectSource: boolean;
  private readonly indices: () => Promise<string> | string;
  private readonly retry: RetryPolicy;

  constructor(opts: EsEventSourceOptions) {
    this.retry = opts.retry ?? {};
    this.client = opts.client;
    this.logger = opts.logger;
    this.pageSize = opts.pageSize ?? 2_000;
    this.keepAlive = opts.keepAlive ?? '2m';
    this.projectSource = opts.projectSource ?? true;
    this.indices = opts.indices ?? (() => DEFAULT_EVENT_INDICES);
  }

  private async indexList(): Promise<string[]> {
    const list = parseIndices(await this.indices());
    if (list.length === 0) throw new Error('no event indices configured');
    return list;
  }

  async *readEvents(query: EventQuery, accounting?: ReadAccounting): AsyncGenerator<ProcessEvent> {
    const outer = query.signal;
    throwIfAborted(outer);
    const index = await this.indexList();
    const filter: estypes.QueryDslQueryContainer[] = [processStartQuery(), timeRange(query.window)];
    const partition = query.partition && query.partition.count > 1 ? query.partition : undefined;
    // A private controller so a consumer that stops early also cancels the prefetched page.
    const ctl = new AbortController();
    const onOuterAbort = () => ctl.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const signal = ctl.signal;
    const openPit = async () =>
      (
        await withRetry(
          () =>
            this.client.openPointInTime(
              { index, keep_alive: this.keepAlive, ignore_unavailable: true },
              requestOptions(signal),
            ),
          { ...this.retry, signal, logger: this.logger, what: 'open point in time' },
        )
      ).id;
    let pitId: string;
    try {
      pitId = await openPit();
    } catch (err) {
      outer?.removeEventListener('abort', onOuterAbort);
      throw err;
    }

    // Set when the read goes on in a new point in time: from this @timestamp (epoch ms) on.
    let resumeFrom: number | undefined;
    const pageFilter = () =>
      resumeFrom === undefined
        ? filter
        : [...filter, { range: { '@timestamp': { gte: resumeFrom, format: 'epoch_millis' } } }];
    const fetchPage = (after: SortValues | undefined) =>
      withRetry(
        () =>
          this.client.search<Record<string, unknown>>(
            {
              pit: { id: pitId, keep_alive: this.keepAlive },
              size: this.pageSize,
              query: { bool: { filter: pageFilter() } },
              // numeric_type keeps sort values in epoch milliseconds even when an index maps
              // @timestamp as date_nanos: nanosecond longs do not survive a JS number.
              // Ties on @timestamp are put in event-id order client-side (see `ties` below):
              // a second sort key on event.id measured ~2x the server's sort cost, and it could
              // not order sources whose id is the document _id. The PIT adds _shard_doc as the
              // final tiebreaker, which search_after needs.
              sort: [
                { '@timestamp': { order: 'asc', unmapped_type: 'date', numeric_type: 'date' } },
              ],
              ...(this.projectSource ? { _source: { includes: [...SOURCE_FIELDS] } } : {}),
              track_total_hits: false,
              // A shard that fails must fail the read, never silently drop its events.
              allow_partial_search_results: false,
              // Only what is used: less JSON to build on the server and to parse here.
              filter_path: [
                'pit_id',
                'hits.hits._id',
                'hits.hits._index',
                'hits.hits._source',
                'hits.hits.sort',
              ],
              ...(after ? { search_after: after } : {}),
            },
            requestOptions(signal),
          ),
        { ...this.retry, signal, logger: this.logger, what: 'read events' },
      );

    let pending: ReturnType<typeof fetchPage> | undefined;
    // Events of one @timestamp value are held until the next value shows up (possibly on the
    // next page), then released in event-id order: (time, id) order as the embedded store gives.
    let ties: ProcessEvent[] = [];
    let tiesAt: unknown;
    // What the held events cost in the accounting: only added once they are released, so that
    // events read again after a lost point in time are not counted twice.
    const tiesAcc: ReadAccounting | undefined = accounting ? emptyAccounting() : undefined;
    // A timestamp whose events were partly released because there were too many of them.
    let spilledAt: unknown;
    let reopens = 0;
    try {
      if (partition) {
        // Listed in the same point in time as the read, so no host can appear in between.
        const listing = await listHosts(
          this.client,
          { pitId, keepAlive: this.keepAlive },
          { bool: { filter } },
          { signal, logger: this.logger, retry: this.retry },
        );
        const mine = partitionEntries(listing.entries, partition);
        if (mine.length === 0) return;
        filter.push(hostEntriesFilter(mine));
      }
      pending = fetchPage(undefined);
      while (pending) {
        let page: Awaited<typeof pending>;
        try {
          page = await pending;
        } catch (err) {
          // A restarted node (or a keep_alive exceeded) loses the point in time. Every event
          // before the held timestamp has been handed out and the held ones have not, so a new
          // point in time from that timestamp on continues the read exactly where it was.
          if (!isPitLost(err) || reopens >= MAX_PIT_REOPENS) throw err;
          // Events of the held timestamp already partly handed out (too many of them): starting
          // again at that timestamp would hand them out twice.
          if (tiesAt !== undefined && (typeof tiesAt !== 'number' || tiesAt === spilledAt))
            throw err;
          reopens++;
          // Nothing read since an earlier reopen: that one's starting point still holds.
          resumeFrom = (tiesAt as number | undefined) ?? resumeFrom;
          this.logger?.warn('point in time lost; reading on in a new one', {
            from: new Date(resumeFrom ?? Date.parse(query.window.start)).toISOString(),
            reopens,
            error: err instanceof Error ? err.message : String(err),
          });
          pitId = await openPit();
          ties = [];
          tiesAt = undefined;
          if (tiesAcc) resetAccounting(tiesAcc);
          pending = fetchPage(undefined);
          continue;
        }
        pending = undefined;
        if (page.pit_id) pitId = page.pit_id;
        // filter_path drops `hits` altogether from an empty page.
        const hits = page.hits?.hits ?? [];
        if (hits.length === 0) break;
        // Fetch the next page while this one is normalised and consumed.
        if (hits.length === this.pageSize) {
          pending = fetchPage(hits[hits.length - 1]?.sort);
          pending.catch(() => undefined);
        }
        for (const hit of hits) {
          const ts = hit.sort?.[0];
          if (ts !== tiesAt || ties.length >= MAX_TIES) {
            if (ts === tiesAt) spilledAt = ts;
            if (accounting && tiesAcc) mergeAccounting(accounting, tiesAcc);
            for (const e of sortTies(ties)) {
              yield e;
              // Checked per event: a consumer that aborts mid-page must not receive the rest.
              if (outer?.aborted) throw abortError(outer);
            }
            ties = [];
            tiesAt = ts;
          }
          const e = this.normaliseHit(hit, tiesAcc, partition);
          if (e !== undefined) ties.push(e);
        }
      }
      if (accounting && tiesAcc) mergeAccounting(accounting, tiesAcc);
      for (const e of sortTies(ties)) {
        yield e;
        if (outer?.aborted) throw abortError(outer);
      }
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      ctl.abort();
      // Retried like any request: a cluster that is busy now would otherwise hold the point in
      // time's search contexts until keep_alive. Still unclosed after that, it expires on its
      // own; worth a line, not a failure.
      await withRetry(() => this.client.closePointInTime({ id: pitId }, requestOptions()), {
        ...this.retry,
        logger: this.logger,
        what: 'close point in time',
      }).catch((err: unknown) => {
        this.logger?.debug('could not close point in time', { error: String(err) });
      });
    }
  }

  private normaliseHit(
    hit: Hit,
    accounting: ReadAccounting | undefined,
    partition?: Partition,
  ): ProcessEvent | undefined {
    if (accounting) accounting.read++;
    const src = hit._source ?? {};
    const own = asOwnEvent(src);
    const r: RecordResult = own
      ? { status: 'event', event: own }
      : normaliseRecord(src, { kind: 'es', index: hit._index, id: hit._id ?? '', format: 'ecs' });
    if (r.status === 'event') {
      if (partition && hostPartition(r.event.host.name, partition.count) !== partition.index) {
        // The host filter already selects the partition's hosts; this only guards against
        // documents whose host fields disagree with the listing (e.g. multi-valued host.name).
        if (accounting) bump(accounting.skipped, 'other_partition');
        return undefined;
      }
      if (accounting) accounting.normalised++;
      return r.event;
    }
    if (accounting) {
      if (r.status === 'rejected') bump(accounting.rejected, r.reason);
      else bump(accounting.skipped, r.kind);
    }
    return undefined;
  }

  async eventsById(ids: readonly string[]): Promise<ProcessEvent[]> {
    const wanted = [...new Set(ids.filter((id) => typeof id === 'string' && id.length > 0))];
    if (wanted.length === 0) return [];
    const index = await this.indexList();
    const found = new Map<string, ProcessEvent>();
    for (let i = 0; i < wanted.length; i += ID_CHUNK) {
      const chunk = wanted.slice(i, i + ID_CHUNK);
      // A normalised id is event.id when the source has one, else the dataset's _rid, else _id.
      const res = await withRetry(
        () =>
          this.client.search<Record<string, unknown>>(
            {
              index,
              ...LENIENT,
              size: chunk.length * 2,
              query: {
                bool: {
                  minimum_should_match: 1,
                  should: [
                    { ids: { values: chunk } },
                    { terms: { 'event.id': chunk } },
                    { terms: { _rid: chunk } },
                  ],
                },
              },
              _source: { includes: [...SOURCE_FIELDS] },
            },
            requestOptions(),
          ),
        { ...this.retry, logger: this.logger, what: 'events by id' },
      );
      const want = new Set(chunk);
      for (const hit of res.hits.hits) {
        const e = this.normaliseHit(hit, undefined);
        // An _id that happens to equal another event's event.id must not answer for it.
        if (e && want.has(e.event.id) && !found.has(e.event.id)) found.set(e.event.id, e);
      }
    }
    return wanted.map((id) => found.get(id)).filter((e): e is ProcessEvent => e !== undefined);
  }
}

/**
 * Documents this product wrote itself (already-normalised ProcessEvents, recognised by
 * `problemchild.sources`, which no agent writes) are returned as stored: normalising them again
 * would replace their provenance and re-derive fields the first pass already settled.
 */
export function asOwnEvent(src: Record<string, unknown>): ProcessEvent | undefined {
  const pc = src.problemchild as { sources?: unknown } | undefined;
  if (!pc || !Array.isArray(pc.sources) || pc.sources.length === 0) return undefined;
  const e = src as unknown as Partial<ProcessEvent>;
  const ok =
    typeof e['@timestamp'] === 'string' &&
    Number.isFinite(Date.parse(e['@timestamp'])) &&
    typeof e.host?.name === 'string' &&
    typeof e.event?.id === 'string' &&
    typeof e.process?.entity_id === 'string' &&
    typeof e.process?.name === 'string' &&
    typeof e.process?.parent === 'object' &&
    e.process.parent !== null &&
    typeof e.user === 'object';
  return ok ? (src as unknown as ProcessEvent) : undefined;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function emptyAccounting(): ReadAccounting {
  return { read: 0, normalised: 0, rejected: {}, skipped: {} };
}

function resetAccounting(a: ReadAccounting): void {
  a.read = 0;
  a.normalised = 0;
  for (const k of Object.keys(a.rejected)) delete a.rejected[k];
  for (const k of Object.keys(a.skipped)) delete a.skipped[k];
}

/** Adds `from` to `into` and empties `from`. */
function mergeAccounting(into: ReadAccounting, from: ReadAccounting): void {
  if (from.read === 0) return;
  into.read += from.read;
  into.normalised += from.normalised;
  for (const [k, n] of Object.entries(from.rejected))
    into.rejected[k] = (into.rejected[k] ?? 0) + n;
  for (const [k, n] of Object.entries(from.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + n;
  resetAccounting(from);
}

interface EsErrorBody {
  type?: string;
  caused_by?: EsErrorBody;
  root_cause?: EsErrorBody[];
}

/** The point in time (or one of its shard contexts) no longer exists on the cluster. */
export function isPitLost(err: unknown): boolean {
  const e = (err as { body?: { error?: EsErrorBody } } | undefined)?.body?.error;
  if (!e) return false;
  const types = [e.type, e.caused_by?.type, ...(e.root_cause ?? []).map((r) => r.type)];
  return types.includes('search_context_missing_exception');
}
