/**
 * The query pieces shared by the event reader and the prevalence aggregations: which documents
 * are process creations, which fields to fetch, and how hosts map to partitions.
 *
 * Host identity follows the normaliser, not the raw `host.name`: Winlogbeat on a Windows Event
 * Collector puts the collector in `host.name` and the endpoint in `winlog.computer_name` (Winlogbeat
 * 6: the top-level `computer_name`), so the endpoint is
 * `computer_name ?? winlog.computer_name ?? host.name ?? host.hostname`, lower-cased
 * (`normaliseHost`). Partition filters are built from the raw values the cluster really holds
 * (keyword terms are case-sensitive), listed first with a composite aggregation.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import type { TimeWindow } from '../../../common/types/community';
import { hostKey } from '../../lib/detection/names';
import { normaliseHost } from '../../lib/normalise/values';
import { hostPartition } from '../../partition';
import type { Logger, Partition } from '../../ports';
import { type RetryPolicy, requestOptions, throwIfAborted, withRetry } from './retry';

type Query = estypes.QueryDslQueryContainer;

export function parseIndices(indices: string): string[] {
  return indices
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Index options for patterns that may match nothing (a fresh cluster, a typo in settings). */
export const LENIENT = { ignore_unavailable: true, allow_no_indices: true } as const;

const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
const START_ACTIONS = [
  'start',
  'exec',
  'fork',
  'process_started',
  'process_start',
  'creation',
  'created-process',
  'Process Create',
  'Process Create (rule: ProcessCreate)',
];

/**
 * Process creations in the shapes the normaliser accepts: ECS `event.category: process` with a
 * start type or action (Elastic Defend, Winlogbeat 7+), Sysmon event 1 and Security 4688 by
 * event code, and Winlogbeat 6's top-level `event_id`. Anything else the normaliser would skip
 * anyway, so reading it would only cost time.
 */
export function processStartQuery(): Query {
  return {
    bool: {
      minimum_should_match: 1,
      should: [
        {
          bool: {
            filter: [
              { term: { 'event.category': 'process' } },
              { term: { 'event.type': 'start' } },
            ],
          },
        },
        {
          bool: {
            filter: [
              { term: { 'event.category': 'process' } },
              { terms: { 'event.action': START_ACTIONS } },
            ],
          },
        },
        {
          bool: {
            filter: [
              { term: { 'event.code': '1' } },
              {
                bool: {
                  minimum_should_match: 1,
                  should: [
                    { term: { 'event.provider': SYSMON_PROVIDER } },
                    { term: { 'winlog.provider_name': SYSMON_PROVIDER } },
                    { term: { 'winlog.channel': `${SYSMON_PROVIDER}/Operational` } },
                    { term: { 'event.module': 'sysmon' } },
                  ],
                },
              },
            ],
          },
        },
        { term: { 'event.code': '4688' } },
        {
          bool: { filter: [{ term: { event_id: 1 } }, { term: { source_name: SYSMON_PROVIDER } }] },
        },
        { term: { event_id: 4688 } },
      ],
    },
  };
}

export function timeRange(window: TimeWindow): Query {
  return {
    range: {
      '@timestamp': { gte: window.start, lt: window.end, format: 'strict_date_optional_time' },
    },
  };
}

/**
 * Fields the normaliser reads from ECS and Winlogbeat 6 documents; everything else (Defend's
 * ancestry arrays, memory regions, full winlog envelopes) stays on the server.
 */
export const SOURCE_FIELDS: readonly string[] = [
  '@timestamp',
  '_rid',
  '_dataset',
  '_source_file',
  'event.category',
  'event.type',
  'event.action',
  'event.code',
  'event.id',
  'event.provider',
  'event.module',
  'host.name',
  'host.hostname',
  'winlog.computer_name',
  'winlog.event_id',
  'winlog.provider_name',
  'winlog.channel',
  'winlog.event_data',
  'process.entity_id',
  'process.pid',
  'process.name',
  'process.executable',
  'process.command_line',
  'process.args',
  'process.working_directory',
  'process.start',
  'process.pe',
  'process.code_signature.exists',
  'process.code_signature.trusted',
  'process.code_signature.subject_name',
  'process.hash.sha256',
  'process.hash.sha1',
  'process.hash.md5',
  'process.Ext.token.elevation',
  'process.Ext.token.elevation_type',
  'process.Ext.token.integrity_level_name',
  'process.parent.entity_id',
  'process.parent.pid',
  'process.parent.name',
  'process.parent.executable',
  'process.parent.command_line',
  'process.parent.start',
  'user.name',
  'user.id',
  'user.domain',
  'problemchild.prediction_probability',
  'problemchild.sources',
  'problemchild.clock_offset_ms',
  // Winlogbeat 6
  'event_id',
  'event_data',
  'log_name',
  'source_name',
  'computer_name',
];

// ---------------------------------------------------------------------------------------------
// Hosts and partitions

/** One distinct combination of raw host fields in the data. */
export interface HostEntry {
  /** Winlogbeat 6's top-level `computer_name`: its only endpoint field. */
  wlb6: string | null;
  computer: string | null;
  name: string | null;
  hostname: string | null;
  /** The endpoint as the normaliser names it (hostKey), or undefined when it would reject the event. */
  key: string | undefined;
}

export function effectiveHost(
  wlb6: unknown,
  computer: unknown,
  name: unknown,
  hostname: unknown,
): string | undefined {
  // A Winlogbeat 6 document names its endpoint in `computer_name` alone; its `host.name` is the
  // collector, which the normaliser never takes for the endpoint.
  const h =
    wlb6 !== null && wlb6 !== undefined
      ? normaliseHost(wlb6)
      : (normaliseHost(computer) ?? normaliseHost(name) ?? normaliseHost(hostname));
  return h === undefined ? undefined : hostKey(h);
}

/** Events with no usable host are rejected by the normaliser: partition 0 reads them, so they are counted once. */
export function entryPartition(e: HostEntry, count: number): number {
  return e.key === undefined ? 0 : hostPartition(e.key, count);
}

interface HostKeyBucket {
  key: { w: string | null; c: string | null; n: string | null; h: string | null };
}

export interface HostListing {
  entries: HostEntry[];
  /** Earliest and latest @timestamp of the matching events (epoch ms). */
  first?: number;
  last?: number;
  events: number;
}

/** Index patterns, or a point in time so that a listing and the read after it see the same data. */
export type SearchTarget = string[] | { pitId: string; keepAlive: string };

function targetOf(t: SearchTarget): Record<string, unknown> {
  return Array.isArray(t)
    ? { index: t, ...LENIENT }
    : { pit: { id: t.pitId, keep_alive: t.keepAlive } };
}

export async function listHosts(
  client: Client,
  target: SearchTarget,
  query: Query,
  opts: { signal?: AbortSignal; logger?: Logger; pageSize?: number; retry?: RetryPolicy } = {},
): Promise<HostListing> {
  const entries: HostEntry[] = [];
  let after: Record<string, string | null> | undefined;
  let first: number | undefined;
  let last: number | undefined;
  let events = 0;
  for (let page = 0; ; page++) {
    throwIfAborted(opts.signal);
    const res = await withRetry(
      () =>
        client.search(
          {
            ...targetOf(target),
            size: 0,
            track_total_hits: page === 0,
            query,
            aggs: {
              hosts: {
                composite: {
                  size: opts.pageSize ?? 2_000,
                  sources: [
                    { w: { terms: { field: 'computer_name', missing_bucket: true } } },
                    { c: { terms: { field: 'winlog.computer_name', missing_bucket: true } } },
                    { n: { terms: { field: 'host.name', missing_bucket: true } } },
                    { h: { terms: { field: 'host.hostname', missing_bucket: true } } },
                  ],
                  ...(after ? { after } : {}),
                },
              },
              // Only the first page needs the span; later pages skip the extra work.
              ...(page === 0
                ? {
                    first: { min: { field: '@timestamp' } },
                    last: { max: { field: '@timestamp' } },
                  }
                : {}),
            },
          },
          requestOptions(opts.signal),
        ),
      { ...opts.retry, signal: opts.signal, logger: opts.logger, what: 'host listing' },
    );
    if (page === 0) {
      const aggs = res.aggregations as Record<string, { value?: number | null }> | undefined;
      first = aggs?.first?.value ?? undefined;
      last = aggs?.last?.value ?? undefined;
      const total = res.hits.total;
      events = typeof total === 'number' ? total : (total?.value ?? 0);
    }
    const agg = res.aggregations?.hosts as
      { buckets: HostKeyBucket[]; after_key?: Record<string, string | null> } | undefined;
    const buckets = agg?.buckets ?? [];
    for (const b of buckets) {
      entries.push({
        wlb6: b.key.w,
        computer: b.key.c,
        name: b.key.n,
        hostname: b.key.h,
        key: effectiveHost(b.key.w, b.key.c, b.key.n, b.key.h),
      });
    }
    if (!agg?.after_key || buckets.length === 0) break;
    after = agg.after_key;
  }
  return { entries, first, last, events };
}

/** Largest number of terms in one terms query (Elasticsearch's index.max_terms_count default). */
const MAX_TERMS = 65_536;

function termsChunks(field: string, values: string[]): Query[] {
  const out: Query[] = [];
  for (let i = 0; i < values.length; i += MAX_TERMS) {
    out.push({ terms: { [field]: values.slice(i, i + MAX_TERMS) } });
  }
  return out;
}

function fieldIs(field: string, value: string | null): Query {
  return value === null
    ? { bool: { must_not: { exists: { field } } } }
    : { term: { [field]: value } };
}

/**
 * A filter matching exactly the events of the given host entries. Entries are grouped by the
 * field that decides their host, so the common cases become a few large terms clauses.
 */
export function hostEntriesFilter(entries: readonly HostEntry[]): Query {
  const byWlb6: string[] = [];
  const byComputer: string[] = [];
  const byName: string[] = [];
  const other: Query[] = [];
  for (const e of entries) {
    if (e.wlb6 !== null && normaliseHost(e.wlb6) !== undefined) {
      byWlb6.push(e.wlb6);
    } else if (e.wlb6 === null && e.computer !== null && normaliseHost(e.computer) !== undefined) {
      byComputer.push(e.computer);
    } else if (
      e.wlb6 === null &&
      e.computer === null &&
      e.name !== null &&
      normaliseHost(e.name) !== undefined
    ) {
      byName.push(e.name);
    } else {
      // Rare shapes (a present-but-unusable computer name, host.hostname only, no host at all):
      // match the exact combination.
      other.push({
        bool: {
          filter: [
            fieldIs('computer_name', e.wlb6),
            fieldIs('winlog.computer_name', e.computer),
            fieldIs('host.name', e.name),
            fieldIs('host.hostname', e.hostname),
          ],
        },
      });
    }
  }
  const should: Query[] = [...termsChunks('computer_name', [...new Set(byWlb6)])];
  const computers = [...new Set(byComputer)];
  if (computers.length > 0) {
    should.push({
      bool: {
        must_not: { exists: { field: 'computer_name' } },
        filter: {
          bool: { minimum_should_match: 1, should: termsChunks('winlog.computer_name', computers) },
        },
      },
    });
  }
  const names = [...new Set(byName)];
  if (names.length > 0) {
    should.push({
      bool: {
        must_not: [
          { exists: { field: 'computer_name' } },
          { exists: { field: 'winlog.computer_name' } },
        ],
        filter: { bool: { minimum_should_match: 1, should: termsChunks('host.name', names) } },
      },
    });
  }
  should.push(...other);
  return { bool: { minimum_should_match: 1, should } };
}

/** Host entries owned by a partition. */
export function partitionEntries(entries: readonly HostEntry[], partition: Partition): HostEntry[] {
  return entries.filter((e) => entryPartition(e, partition.count) === partition.index);
}
