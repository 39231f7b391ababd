/**
 * Publishes flagged communities as ECS alert documents (server/alerts/ecs_alert.ts) into one
 * plain Elasticsearch index that Elastic Security's default index patterns cover, one document
 * per community with `_id` = the community id:
 *
 *  - idempotent: a re-run writes the same `_id`, and a document is only re-written when its
 *    fingerprint changed (severity, processes, users, techniques), so re-running detection neither
 *    duplicates an alert nor bumps an unchanged one back into Security's rule window;
 *  - the index is created on first use with ECS-typed core mappings (no template, no data stream:
 *    see docs/alerts.md for why the name stays outside `logs-*-*`);
 *  - errors throw, which fails the run before its checkpoint moves, so the next run publishes
 *    again (the FindingSink contract in server/ports.ts).
 *
 * Under Kibana it writes with the detection API key (its role descriptor grants `read`,
 * `create_index` and `index` on this index only: server/kibana/detection_access.ts); standalone
 * with `--es`, with the host's own client. The embedded DuckDB store has no Elastic Security and
 * no such sink.
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { communityUrl } from '../../common/community_link';
import type { FindingSink, FlaggedChange, Logger } from '../ports';
import { requestOptions, statusOf, withRetry } from '../stores/elasticsearch/retry';
import { ALERT_FIELDS, ALERT_INDEX, type AlertFieldType, toEcsAlert } from './ecs_alert';

/** The privileges the writer needs on the alert index (and the detection key is granted). */
export const ALERT_INDEX_PRIVILEGES = ['read', 'create_index', 'index'] as const;

const MAPPING_VERSION = 1;
/** mget / bulk batch size: a run flags tens to hundreds of communities. */
const BATCH = 250;
/** Command lines are kept whole in _source but indexed only up to this length. */
const LONG_KEYWORD = 8191;
const LONG_FIELDS = new Set([
  'process.command_line',
  'process.parent.command_line',
  'problemchild.community.chain',
  'event.reason',
]);
const TEXT_SUBFIELD = new Set([
  'process.command_line',
  'process.parent.command_line',
  'process.name',
  'process.parent.name',
  'problemchild.community.chain',
]);

function fieldMapping(name: string, type: AlertFieldType): estypes.MappingProperty {
  if (type !== 'keyword') return { type };
  return {
    type: 'keyword',
    ignore_above: LONG_FIELDS.has(name) ? LONG_KEYWORD : 1024,
    ...(TEXT_SUBFIELD.has(name) ? { fields: { text: { type: 'text' } } } : {}),
  };
}

/**
 * The alert index mapping, built from ALERT_FIELDS. `dynamic: false`: a field the builder does
 * not list stays in _source unindexed instead of needing a mapping update the writer may lack
 * the privilege for (`index` does not include auto_put_mapping; IndexPrivilege.java).
 */
export function alertIndexMappings(): estypes.MappingTypeMapping {
  const root: Record<string, estypes.MappingProperty> = {};
  for (const [name, type] of Object.entries(ALERT_FIELDS)) {
    const parts = name.split('.');
    let props = root;
    for (const part of parts.slice(0, -1)) {
      const obj = (props[part] ??= { properties: {} }) as estypes.MappingObjectProperty;
      props = obj.properties ??= {};
    }
    props[parts.at(-1)!] = fieldMapping(name, type);
  }
  return {
    dynamic: false,
    _meta: { managed_by: 'problem_child', mapping_version: MAPPING_VERSION },
    properties: root,
  };
}

export interface EcsAlertSinkOptions {
  /** Under Kibana the detection API key's client; standalone the host's own. */
  client: Client;
  index?: string;
  /** The app's address for the link back (`event.url`); none when it returns undefined. */
  appUrl?: () => string | undefined;
  /** Refresh after writing: false in production (the rule looks back over minutes). */
  refresh?: boolean | 'wait_for';
  logger?: Logger;
  now?: () => Date;
}

const isAlreadyExists = (e: unknown) =>
  statusOf(e) === 400 &&
  (e as { body?: { error?: { type?: string } } })?.body?.error?.type ===
    'resource_already_exists_exception';

/** Turns a refusal into words that say which privilege is missing and how to get it. */
function explain(index: string, e: unknown): Error {
  const status = statusOf(e);
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (status === 401 || status === 403) {
    return new Error(
      `Elasticsearch refused writing alerts to ${index} (${status}): the writer needs ${ALERT_INDEX_PRIVILEGES.join(', ')} on it; under Kibana enable detection again so the detection key carries them (docs/alerts.md). ${msg}`,
    );
  }
  return e instanceof Error ? e : new Error(msg);
}

interface Existing {
  fingerprint?: string;
  created?: string;
}

export class EcsAlertSink implements FindingSink {
  readonly name = 'Elastic Security alerts';
  readonly index: string;
  private ready: Promise<void> | undefined;

  constructor(private readonly opts: EcsAlertSinkOptions) {
    this.index = opts.index ?? ALERT_INDEX;
  }

  /** Creates the index with its mapping once; an existing index is left as it is. */
  ensureIndex(signal?: AbortSignal): Promise<void> {
    this.ready ??= withRetry(
      async () => {
        try {
          await this.opts.client.indices.create(
            {
              index: this.index,
              settings: { number_of_shards: 1, auto_expand_replicas: '0-1' },
              mappings: alertIndexMappings(),
            },
            requestOptions(signal),
          );
          this.opts.logger?.info(`created the Elastic Security alert index ${this.index}`);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      },
      { signal, logger: this.opts.logger, what: `creating ${this.index}` },
    ).catch((e: unknown) => {
      this.ready = undefined;
      throw explain(this.index, e);
    });
    return this.ready;
  }

  async publish(
    changes: readonly FlaggedChange[],
    _meta: { runId: string; detectedAt: string },
    signal?: AbortSignal,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.ensureIndex(signal);
    const communities = [...new Map(changes.map((c) => [c.community.id, c.community])).values()];
    communities.sort((a, b) => a.id.localeCompare(b.id));
    const appUrl = this.opts.appUrl?.();
    let written = 0;
    for (let i = 0; i < communities.length; i += BATCH) {
      const batch = communities.slice(i, i + BATCH);
      const existing = await this.existing(
        batch.map((c) => c.id),
        signal,
      );
      const publishedAt = (this.opts.now?.() ?? new Date()).toISOString();
      const operations: unknown[] = [];
      for (const c of batch) {
        const doc = toEcsAlert(
          c,
          { publishedAt, createdAt: existing.get(c.id)?.created },
          appUrl ? communityUrl(appUrl, c.id) : undefined,
        );
        const fingerprint = (doc.problemchild as { fingerprint: string }).fingerprint;
        if (existing.get(c.id)?.fingerprint === fingerprint) continue;
        operations.push({ index: { _index: this.index, _id: c.id } }, doc);
      }
      if (operations.length === 0) continue;
      const res = await withRetry(
        () =>
          this.opts.client.bulk(
            { operations, refresh: this.opts.refresh ?? false },
            requestOptions(signal),
          ),
        { signal, logger: this.opts.logger, what: `writing alerts to ${this.index}` },
      ).catch((e: unknown) => {
        throw explain(this.index, e);
      });
      const failed = res.items
        .map((item) => item.index)
        .filter((r): r is estypes.BulkResponseItem => !!r?.error);
      if (failed.length) {
        const first = failed[0]!;
        const err = Object.assign(
          new Error(
            `${failed.length} of ${operations.length / 2} alerts could not be written to ${this.index} (first: ${first._id}: ${first.error?.type}: ${first.error?.reason})`,
          ),
          { statusCode: first.status },
        );
        throw explain(this.index, err);
      }
      written += operations.length / 2;
    }
    this.opts.logger?.debug(
      `published ${written} of ${communities.length} flagged communities to ${this.index}`,
    );
  }

  /** Fingerprint and first publication of the stored alerts, by community id. */
  private async existing(ids: string[], signal?: AbortSignal): Promise<Map<string, Existing>> {
    const res = await withRetry(
      () =>
        this.opts.client.mget<{
          problemchild?: { fingerprint?: string };
          event?: { created?: string };
        }>(
          {
            index: this.index,
            ids,
            _source_includes: ['problemchild.fingerprint', 'event.created'],
          },
          requestOptions(signal),
        ),
      { signal, logger: this.opts.logger, what: `reading alerts from ${this.index}` },
    ).catch((e: unknown) => {
      throw explain(this.index, e);
    });
    const out = new Map<string, Existing>();
    for (const d of res.docs) {
      if ('found' in d && d.found && d._source) {
        out.set(d._id, {
          fingerprint: d._source.problemchild?.fingerprint,
          created: d._source.event?.created,
        });
      }
    }
    return out;
  }
}
