/**
 * The webhook outbox on Elasticsearch (standalone host with --es): deliveries and the webhook
 * configuration as typed documents of the state index (`type: notification` /
 * `notification_config`), ids derived from the delivery id so enqueueing twice creates nothing.
 * Writes refresh like the other state documents, so the worker's next `due` sees them.
 */
import type { estypes } from '@elastic/elasticsearch';
import type {
  DeliveryStatus,
  NewDelivery,
  NotificationDelivery,
  NotificationOutbox,
  WebhookConfig,
} from '../../ports';
import { requestOptions, statusOf, withRetry } from './retry';
import type { StateCtx } from './state_store';

const CONFIG_ID = 'notification-config';
const docId = (id: string) => `notification:${id}`;

interface DeliveryDoc {
  type: 'notification';
  notification: {
    id: string;
    community_id: string;
    url: string;
    kind: string;
    score: number;
    severity: string;
    status: DeliveryStatus;
    attempts: number;
    created_at: string;
    next_attempt_at: string;
    last_attempt_at?: string | null;
    delivered_at?: string | null;
    last_error?: string | null;
    /** The exact bytes sent (not indexed). */
    payload: { body: string };
  };
}

interface ConfigDoc {
  type: 'notification_config';
  notification_config: { urls?: unknown; secret?: unknown };
}

function toDelivery(n: DeliveryDoc['notification']): NotificationDelivery {
  return {
    id: n.id,
    communityId: n.community_id,
    url: n.url,
    kind: n.kind as NotificationDelivery['kind'],
    score: n.score,
    severity: n.severity,
    body: n.payload.body,
    status: n.status,
    attempts: n.attempts,
    createdAt: n.created_at,
    nextAttemptAt: n.next_attempt_at,
    ...(n.last_attempt_at ? { lastAttemptAt: n.last_attempt_at } : {}),
    ...(n.delivered_at ? { deliveredAt: n.delivered_at } : {}),
    ...(n.last_error ? { lastError: n.last_error } : {}),
  };
}

export class EsNotificationOutbox implements NotificationOutbox {
  constructor(private readonly ctx: StateCtx) {}

  private opts(what: string) {
    return { ...this.ctx.retry, logger: this.ctx.logger, what };
  }

  private async search(
    query: estypes.QueryDslQueryContainer,
    sort: estypes.Sort,
    size: number,
  ): Promise<DeliveryDoc['notification'][]> {
    const res = await withRetry(
      () =>
        this.ctx.client.search<DeliveryDoc>(
          {
            index: this.ctx.index,
            size,
            query: { bool: { filter: [{ term: { type: 'notification' } }, query] } },
            sort,
            track_total_hits: false,
          },
          requestOptions(),
        ),
      this.opts('read notification deliveries'),
    );
    return res.hits.hits.flatMap((h) => (h._source ? [h._source.notification] : []));
  }

  async getConfig(): Promise<WebhookConfig> {
    let doc: ConfigDoc | undefined;
    try {
      const res = await withRetry(
        () =>
          this.ctx.client.get<ConfigDoc>(
            { index: this.ctx.index, id: CONFIG_ID },
            requestOptions(),
          ),
        this.opts('read webhook settings'),
      );
      doc = res.found ? res._source : undefined;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const { urls, secret } = doc?.notification_config ?? {};
    return {
      urls: Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string') : [],
      secret: typeof secret === 'string' && secret ? secret : null,
    };
  }

  async setConfig(patch: { urls?: string[]; secret?: string | null }): Promise<WebhookConfig> {
    const changed = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changed).length) {
      const doc = { type: 'notification_config', notification_config: changed };
      await withRetry(
        () =>
          this.ctx.client.update(
            {
              index: this.ctx.index,
              id: CONFIG_ID,
              doc,
              upsert: doc,
              retry_on_conflict: 5,
              refresh: this.ctx.refresh,
            },
            requestOptions(),
          ),
        this.opts('update webhook settings'),
      );
    }
    return this.getConfig();
  }

  async lastNotified(
    communityIds: readonly string[],
  ): Promise<Map<string, { score: number; severity: string }>> {
    const out = new Map<string, { score: number; severity: string }>();
    for (let i = 0; i < communityIds.length; i += 500) {
      const hits = await this.search(
        {
          bool: {
            filter: [{ terms: { 'notification.community_id': communityIds.slice(i, i + 500) } }],
            must_not: [{ term: { 'notification.kind': 'test' } }],
          },
        },
        [{ 'notification.created_at': 'asc' }],
        10_000,
      );
      for (const n of hits) {
        const prior = out.get(n.community_id);
        if (!prior || n.score > prior.score) {
          out.set(n.community_id, { score: n.score, severity: n.severity });
        }
      }
    }
    return out;
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<number> {
    if (!deliveries.length) return 0;
    const operations = deliveries.flatMap((d) => {
      const doc: DeliveryDoc = {
        type: 'notification',
        notification: {
          id: d.id,
          community_id: d.communityId,
          url: d.url,
          kind: d.kind,
          score: d.score,
          severity: d.severity,
          status: 'pending',
          attempts: 0,
          created_at: d.createdAt,
          next_attempt_at: d.createdAt,
          payload: { body: d.body },
        },
      };
      return [{ create: { _index: this.ctx.index, _id: docId(d.id) } }, doc];
    });
    const res = await withRetry(
      () => this.ctx.client.bulk({ operations, refresh: this.ctx.refresh }, requestOptions()),
      this.opts('enqueue notifications'),
    );
    let added = 0;
    for (const item of res.items) {
      const r = item.create;
      if (!r) continue;
      if (r.status === 201) added++;
      // 409: already queued by an earlier publish of the same finding.
      else if (r.status !== 409) {
        throw new Error(`could not queue notification ${r._id}: ${JSON.stringify(r.error)}`);
      }
    }
    return added;
  }

  async due(now: string, limit: number): Promise<NotificationDelivery[]> {
    const hits = await this.search(
      {
        bool: {
          filter: [
            { term: { 'notification.status': 'pending' } },
            { range: { 'notification.next_attempt_at': { lte: now } } },
          ],
        },
      },
      [
        { 'notification.next_attempt_at': 'asc' },
        { 'notification.created_at': 'asc' },
        { 'notification.id': 'asc' },
      ],
      Math.max(1, Math.trunc(limit)),
    );
    return hits.map(toDelivery);
  }

  async recordAttempt(
    id: string,
    o: Parameters<NotificationOutbox['recordAttempt']>[1],
  ): Promise<void> {
    const notification: Partial<DeliveryDoc['notification']> = {
      status: o.status,
      attempts: o.attempts,
      next_attempt_at: o.nextAttemptAt,
      last_error: o.lastError ?? null,
      ...(o.lastAttemptAt ? { last_attempt_at: o.lastAttemptAt } : {}),
      ...(o.deliveredAt ? { delivered_at: o.deliveredAt } : {}),
    };
    await withRetry(
      () =>
        this.ctx.client.update(
          {
            index: this.ctx.index,
            id: docId(id),
            doc: { notification },
            retry_on_conflict: 5,
            refresh: this.ctx.refresh,
          },
          requestOptions(),
        ),
      this.opts('record a notification attempt'),
    );
  }

  async retry(id: string, now: string): Promise<boolean> {
    // Read, then update only if unchanged since (no scripts: minimal clusters lack painless).
    let current;
    try {
      current = await withRetry(
        () =>
          this.ctx.client.get<DeliveryDoc>(
            { index: this.ctx.index, id: docId(id) },
            requestOptions(),
          ),
        this.opts('read a notification'),
      );
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
    if (!current.found || current._source?.notification.status !== 'failed') return false;
    try {
      await this.ctx.client.update(
        {
          index: this.ctx.index,
          id: docId(id),
          doc: { notification: { status: 'pending', attempts: 0, next_attempt_at: now } },
          if_seq_no: current._seq_no,
          if_primary_term: current._primary_term,
          refresh: this.ctx.refresh,
        },
        requestOptions(),
      );
    } catch (e) {
      // Changed meanwhile (the worker or another retry): it is no longer this failed delivery.
      if (statusOf(e) === 409) return false;
      throw e;
    }
    return true;
  }

  async list(opts: { limit: number; status?: DeliveryStatus }): Promise<NotificationDelivery[]> {
    const hits = await this.search(
      opts.status ? { term: { 'notification.status': opts.status } } : { match_all: {} },
      [{ 'notification.created_at': 'desc' }, { 'notification.id': 'asc' }],
      Math.max(1, Math.trunc(opts.limit)),
    );
    return hits.map(toDelivery);
  }
}
