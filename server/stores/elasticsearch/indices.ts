/**
 * The store's own indices: communities (a plain index behind an alias) and one state index
 * holding checkpoints, runs, settings and suppression rules as typed documents. Mappings use
 * core field types only, so they install on any Elasticsearch 9 including minimal test clusters.
 *
 * Why not a data stream for communities: data streams are append-only (bulk `update` is refused,
 * and the same `_id` may exist in several backing indices after a rollover), but a re-run of a
 * window must update its communities in place and triage rewrites them. `detectCapabilities`
 * still reports whether the cluster has data streams, for the plugin's start-up log.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { COMMUNITIES_ALIAS, STATE_INDEX } from '../../../common/constants';
import type { Logger } from '../../ports';
import { requestOptions, statusOf, withRetry } from './retry';

export interface EsIndexNames {
  /** Alias every community read and write goes through. */
  communities: string;
  /** Plain index for checkpoints, runs, settings and suppression rules. */
  state: string;
}

export const DEFAULT_INDEX_NAMES: EsIndexNames = {
  communities: COMMUNITIES_ALIAS,
  state: STATE_INDEX,
};

/** Bumped when a mapping changes; stored in `_meta` so an operator can tell what installed it. */
export const MAPPING_VERSION = 2; // 2: decoded_commands
const MANAGED_BY = 'problem_child';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
const date = { type: 'date' } as const;
const notIndexed = { type: 'object', enabled: false } as const;

export const COMMUNITY_MAPPINGS: estypes.MappingTypeMapping = {
  // Strict: a field typo in the writer fails loudly in tests instead of becoming an unmapped field.
  dynamic: 'strict',
  _meta: { managed_by: MANAGED_BY, mapping_version: MAPPING_VERSION },
  properties: {
    id: keyword,
    host: keyword,
    /** hostKey(host): filters and sorting are case-insensitive on hosts. */
    host_key: keyword,
    window: { properties: { start: date, end: date } },
    rank: { type: 'integer' },
    score: { type: 'double' },
    max_anomaly: { type: 'double' },
    max_edge_score: { type: 'double' },
    /** False once a re-run no longer finds it but an analyst had triaged it (kept for the record). */
    flagged: { type: 'boolean' },
    first_seen: date,
    last_seen: date,
    event_count: { type: 'integer' },
    users: keyword,
    techniques: keyword,
    chain: { type: 'keyword', ignore_above: 4096, fields: { text: { type: 'text' } } },
    // Command lines and parent command lines of the events, searched by `q` with
    // case-insensitive substring (wildcard) queries: affordable because this index is small.
    // The writer truncates values to COMMAND_LINE_KEEP so none is silently left unindexed.
    command_lines: { type: 'keyword' },
    // Decoded PowerShell encoded commands of the events, searched by `q` like command_lines
    // (the writer splits them into overlapping values of at most COMMAND_LINE_KEEP).
    decoded_commands: { type: 'keyword' },
    detected_at: date,
    run_id: keyword,
    /** Starts at 1, +1 on every write (detection re-write, triage change, unflagging). */
    version: { type: 'long' },
    triage: {
      properties: {
        status: keyword,
        /** open 0, acknowledged 1, closed 2: sorting by status follows the workflow. */
        status_rank: { type: 'byte' },
        assignee: keyword,
        note: { type: 'text' },
        verdict: keyword,
        updated_at: date,
        updated_by: keyword,
        /** Number of effective triage changes; 0 means no analyst ever touched it. */
        changes: { type: 'integer' },
        history: notIndexed,
      },
    },
    // The full community (edges, events, explanations): returned by `get`, never searched.
    community: notIndexed,
  },
};

/**
 * Keyword terms are limited to 32,766 UTF-8 bytes; a UTF-16 unit is at most 3 bytes, so 8,191
 * units always fit.
 */
export const COMMAND_LINE_KEEP = 8_191;

export const STATE_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  _meta: { managed_by: MANAGED_BY, mapping_version: MAPPING_VERSION },
  properties: {
    type: keyword,
    checkpoint: {
      properties: {
        partition_index: { type: 'integer' },
        partition_count: { type: 'integer' },
        processed_until: date,
        updated_at: date,
      },
    },
    run: {
      properties: {
        run_id: keyword,
        partition_index: { type: 'integer' },
        partition_count: { type: 'integer' },
        started_at: date,
        finished_at: date,
        status: keyword,
        // The report exactly as recorded.
        report: notIndexed,
      },
    },
    settings: {
      properties: {
        threshold: { type: 'double' },
        interval: keyword,
        lookback: keyword,
        prevalence_lookback: keyword,
        indices: { type: 'keyword', ignore_above: 4096 },
        score_source: keyword,
        updated_at: date,
      },
    },
    suppression: {
      properties: {
        id: keyword,
        kind: keyword,
        parent_name: keyword,
        child_name: keyword,
        cmd_template: { type: 'keyword', ignore_above: 4096 },
        /** hostKey(host), absent for environment-wide rules. */
        host: keyword,
        community_id: keyword,
        created_by: keyword,
        created_at: date,
        // The rule exactly as given.
        rule: notIndexed,
      },
    },
    // Webhook outbox (notification_outbox.ts): one document per delivery, and the settings.
    notification: {
      properties: {
        id: keyword,
        community_id: keyword,
        url: { type: 'keyword', ignore_above: 4096 },
        kind: keyword,
        score: { type: 'double' },
        severity: keyword,
        status: keyword,
        attempts: { type: 'integer' },
        created_at: date,
        next_attempt_at: date,
        last_attempt_at: date,
        delivered_at: date,
        last_error: { type: 'keyword', ignore_above: 4096 },
        // The exact body sent on every attempt.
        payload: notIndexed,
      },
    },
    // URLs and the write-only secret: never searched.
    notification_config: notIndexed,
    // Quarantined host-windows of the detection job (state_store.ts), the record as saved.
    quarantine: {
      properties: { id: keyword, status: keyword, first_failed_at: date, record: notIndexed },
    },
    // Partition leases and host presence of hosts sharing the cluster (lease.ts).
    lease: {
      properties: { key: keyword, holder: keyword, expires_at: date, token: { type: 'long' } },
    },
  },
};

export function communitiesFirstIndex(names: EsIndexNames): string {
  return `${names.communities}-000001`;
}

export interface EsCapabilities {
  dataStreams: boolean;
}

/** Data streams live in a module some distributions (and the test cluster) do not ship. */
export async function detectCapabilities(client: Client): Promise<EsCapabilities> {
  try {
    await client.indices.getDataStream(
      { name: 'problem-child-capability-probe*' },
      requestOptions(),
    );
    return { dataStreams: true };
  } catch (err) {
    // Without the module the path is read as an index name (400) or has no handler (404/405).
    const s = statusOf(err);
    if (s === 400 || s === 404 || s === 405) return { dataStreams: false };
    throw err;
  }
}

function isAlreadyExists(err: unknown): boolean {
  const type = (err as { body?: { error?: { type?: string } } })?.body?.error?.type;
  return (
    statusOf(err) === 400 &&
    (type === 'resource_already_exists_exception' || type === 'invalid_alias_name_exception')
  );
}

export interface SetupOptions {
  names?: EsIndexNames;
  logger?: Logger;
  shards?: number;
  replicas?: number;
}

/**
 * Installs templates and creates the indices when missing; on an existing install it adds new
 * mapping fields. Safe to call on every start and from several nodes at once.
 */
export async function ensureIndices(
  client: Client,
  opts: SetupOptions = {},
): Promise<EsCapabilities> {
  const names = opts.names ?? DEFAULT_INDEX_NAMES;
  const settings: estypes.IndicesIndexSettings = {
    number_of_shards: opts.shards ?? 1,
    // The list view pages with from/size; the index is small, so deep pages stay cheap.
    max_result_window: 1_000_000,
    // auto_expand gives a replica where there is a second node and none on a single-node cluster.
    ...(opts.replicas === undefined
      ? { auto_expand_replicas: '0-1' }
      : { number_of_replicas: opts.replicas }),
    // Dot-prefixed names (Kibana's `.kibana-problem-child-*`) are reserved for hidden and system
    // indices: Elasticsearch warns on creating a visible one.
    ...(names.communities.startsWith('.') ? { hidden: true } : {}),
  };
  const retry = { logger: opts.logger, what: 'index setup' };

  await withRetry(
    () =>
      client.indices.putIndexTemplate(
        {
          name: names.communities,
          index_patterns: [`${names.communities}-*`],
          priority: 500,
          _meta: { managed_by: MANAGED_BY, mapping_version: MAPPING_VERSION },
          template: { settings, mappings: COMMUNITY_MAPPINGS },
        },
        requestOptions(),
      ),
    retry,
  );
  await withRetry(
    () =>
      client.indices.putIndexTemplate(
        {
          name: names.state,
          index_patterns: [names.state],
          priority: 500,
          _meta: { managed_by: MANAGED_BY, mapping_version: MAPPING_VERSION },
          template: { settings, mappings: STATE_MAPPINGS },
        },
        requestOptions(),
      ),
    retry,
  );

  // After a lost creation race, or when the index survived a deleted alias: make sure the alias
  // exists, or writes through it would auto-create a stray index.
  const ensureCommunitiesAlias = async (): Promise<void> => {
    if (await client.indices.existsAlias({ name: names.communities }, requestOptions())) return;
    await withRetry(
      () =>
        client.indices.putAlias(
          { index: communitiesFirstIndex(names), name: names.communities, is_write_index: true },
          requestOptions(),
        ),
      retry,
    );
  };

  const aliasExists = await withRetry(
    () => client.indices.existsAlias({ name: names.communities }, requestOptions()),
    retry,
  );
  if (!aliasExists) {
    try {
      await withRetry(
        () =>
          client.indices.create(
            {
              index: communitiesFirstIndex(names),
              aliases: { [names.communities]: { is_write_index: true } },
            },
            requestOptions(),
          ),
        retry,
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Another node won the race.
      await ensureCommunitiesAlias();
    }
  } else {
    await withRetry(
      () =>
        client.indices.putMapping(
          mappingUpdate(names.communities, COMMUNITY_MAPPINGS),
          requestOptions(),
        ),
      retry,
    );
  }

  const stateExists = await withRetry(
    () => client.indices.exists({ index: names.state }, requestOptions()),
    retry,
  );
  if (!stateExists) {
    try {
      await withRetry(() => client.indices.create({ index: names.state }, requestOptions()), retry);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Another node won the race.
      await ensureCommunitiesAlias();
    }
  } else {
    await withRetry(
      () => client.indices.putMapping(mappingUpdate(names.state, STATE_MAPPINGS), requestOptions()),
      retry,
    );
  }

  // Shards must be allocated before the first write, or it waits (and may time out) instead.
  await withRetry(
    () =>
      client.cluster.health(
        { index: [names.communities, names.state], wait_for_status: 'yellow', timeout: '30s' },
        requestOptions(),
      ),
    retry,
  );
  const caps = await detectCapabilities(client).catch(() => ({ dataStreams: false }));
  opts.logger?.info('ProblemChild indices ready', { ...names, dataStreams: caps.dataStreams });
  return caps;
}

/** Adds fields introduced since the index was created (existing field types cannot change). */
function mappingUpdate(
  index: string,
  m: estypes.MappingTypeMapping,
): estypes.IndicesPutMappingRequest {
  return { index, dynamic: m.dynamic, _meta: m._meta, properties: m.properties };
}

/** Removes everything `ensureIndices` created (tests and uninstall); missing parts are ignored. */
export async function deleteIndices(
  client: Client,
  names: EsIndexNames = DEFAULT_INDEX_NAMES,
): Promise<void> {
  await client.indices.delete({
    index: `${names.communities}-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
    // The Kibana names are hidden indices, which wildcards skip by default.
    expand_wildcards: 'all',
  });
  await client.indices.delete({ index: names.state, ignore_unavailable: true });
  for (const name of [names.communities, names.state]) {
    await client.indices.deleteIndexTemplate({ name }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
  }
}
