/**
 * The webhook outbox on DuckDB: deliveries and the webhook configuration in two tables of the
 * store's file, so a queued notification survives a crash of the host (at-least-once delivery).
 *
 * The tables are created idempotently on first use rather than by a schema migration: the outbox
 * is an optional port, and a database file written before it existed simply gains them.
 * Timestamps are ISO-8601 strings (toISOString, fixed width), which order like the instants.
 */
import type {
  DeliveryStatus,
  NewDelivery,
  NotificationDelivery,
  NotificationOutbox,
  WebhookConfig,
} from '../../ports';
import type { Database, Row } from './database';

const CREATE = [
  `CREATE TABLE IF NOT EXISTS notification_deliveries (
    id VARCHAR PRIMARY KEY,
    community_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    severity VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    created_at VARCHAR NOT NULL,
    next_attempt_at VARCHAR NOT NULL,
    last_attempt_at VARCHAR,
    delivered_at VARCHAR,
    last_error VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS notification_config (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
];

function toDelivery(r: Row): NotificationDelivery {
  const opt = (k: string) => (r[k] === null || r[k] === undefined ? undefined : String(r[k]));
  return {
    id: String(r.id),
    communityId: String(r.community_id),
    url: String(r.url),
    kind: r.kind as NotificationDelivery['kind'],
    score: Number(r.score),
    severity: String(r.severity),
    body: String(r.body),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    createdAt: String(r.created_at),
    nextAttemptAt: String(r.next_attempt_at),
    ...(opt('last_attempt_at') ? { lastAttemptAt: opt('last_attempt_at') } : {}),
    ...(opt('delivered_at') ? { deliveredAt: opt('delivered_at') } : {}),
    ...(opt('last_error') ? { lastError: opt('last_error') } : {}),
  };
}

export class DuckNotificationOutbox implements NotificationOutbox {
  private ready: Promise<void> | undefined;

  constructor(private readonly db: Database) {}

  private ensure(): Promise<void> {
    this.ready ??= this.db
      .transaction(async (tx) => {
        for (const s of CREATE) await tx.run(s);
      })
      .catch((e: unknown) => {
        this.ready = undefined;
        throw e;
      });
    return this.ready;
  }

  async getConfig(): Promise<WebhookConfig> {
    await this.ensure();
    const rows = await this.db.all('SELECT key, value FROM notification_config');
    const m = new Map(rows.map((r) => [String(r.key), JSON.parse(String(r.value)) as unknown]));
    const urls = m.get('urls');
    const secret = m.get('secret');
    return {
      urls: Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string') : [],
      secret: typeof secret === 'string' && secret ? secret : null,
    };
  }

  async setConfig(patch: { urls?: string[]; secret?: string | null }): Promise<WebhookConfig> {
    await this.ensure();
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (entries.length) {
      await this.db.transaction(async (tx) => {
        for (const [k, v] of entries) {
          await tx.run('INSERT OR REPLACE INTO notification_config VALUES ($1, $2)', [
            k,
            JSON.stringify(v),
          ]);
        }
      });
    }
    return this.getConfig();
  }

  async lastNotified(
    communityIds: readonly string[],
  ): Promise<Map<string, { score: number; severity: string }>> {
    await this.ensure();
    const out = new Map<string, { score: number; severity: string }>();
    if (!communityIds.length) return out;
    const rows = await this.db.all(
      `SELECT community_id, arg_max(score, score) AS score, arg_max(severity, score) AS severity
         FROM notification_deliveries
        WHERE kind <> 'test' AND list_contains($1, community_id)
        GROUP BY community_id`,
      [communityIds],
    );
    for (const r of rows) {
      out.set(String(r.community_id), { score: Number(r.score), severity: String(r.severity) });
    }
    return out;
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<number> {
    await this.ensure();
    if (!deliveries.length) return 0;
    return this.db.transaction(async (tx) => {
      let added = 0;
      for (const d of deliveries) {
        added += await tx.run(
          `INSERT INTO notification_deliveries
             (id, community_id, url, kind, score, severity, body, status, attempts, created_at, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)
           ON CONFLICT (id) DO NOTHING`,
          [d.id, d.communityId, d.url, d.kind, d.score, d.severity, d.body, d.createdAt],
        );
      }
      return added;
    });
  }

  async due(now: string, limit: number): Promise<NotificationDelivery[]> {
    await this.ensure();
    const rows = await this.db.all(
      `SELECT * FROM notification_deliveries
        WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at, created_at, id LIMIT $2`,
      [now, Math.max(1, Math.trunc(limit))],
    );
    return rows.map(toDelivery);
  }

  async recordAttempt(
    id: string,
    o: Parameters<NotificationOutbox['recordAttempt']>[1],
  ): Promise<void> {
    await this.ensure();
    // Only the attempt that follows the stored one is recorded: an attempt started from an
    // outdated read of the outbox (a duplicate send, harmless at-least-once) cannot overwrite
    // a later outcome such as "failed" with an earlier "pending".
    await this.db.run(
      `UPDATE notification_deliveries
          SET status = $2, attempts = $3, next_attempt_at = $4,
              last_attempt_at = coalesce($5, last_attempt_at),
              delivered_at = coalesce($6, delivered_at),
              last_error = $7
        WHERE id = $1 AND attempts = $3 - 1`,
      [
        id,
        o.status,
        o.attempts,
        o.nextAttemptAt,
        o.lastAttemptAt ?? null,
        o.deliveredAt ?? null,
        o.lastError ?? null,
      ],
    );
  }

  async retry(id: string, now: string): Promise<boolean> {
    await this.ensure();
    const n = await this.db.run(
      `UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2
        WHERE id = $1 AND status = 'failed'`,
      [id, now],
    );
    return n > 0;
  }

  async list(opts: { limit: number; status?: DeliveryStatus }): Promise<NotificationDelivery[]> {
    await this.ensure();
    const limit = Math.max(1, Math.trunc(opts.limit));
    const rows = opts.status
      ? await this.db.all(
          `SELECT * FROM notification_deliveries WHERE status = $1
            ORDER BY created_at DESC, id LIMIT $2`,
          [opts.status, limit],
        )
      : await this.db.all(
          `SELECT * FROM notification_deliveries ORDER BY created_at DESC, id LIMIT $1`,
          [limit],
        );
    return rows.map(toDelivery);
  }
}
