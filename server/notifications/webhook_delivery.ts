/**
 * Drains the webhook outbox: POSTs each due delivery with its id, a timestamp and an HMAC
 * signature (signing.ts), marks it delivered on a 2xx answer, and otherwise schedules the next
 * attempt with exponential backoff and full jitter, bounded by `maxDelayMs`; after `maxAttempts`
 * it is marked failed (kept, visible in the delivery log, retried by hand).
 *
 * At-least-once: a delivery is marked only after the receiver answered, so one in flight when the
 * process dies is still pending in the durable outbox and is sent again after restart. Receivers
 * deduplicate by the delivery id.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, NotificationDelivery, NotificationOutbox } from '../ports';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './signing';
import { type WebhookPayload } from './webhook_sink';

export interface DeliveryTiming {
  /** Per request, connect to last byte (default 10 s). */
  timeoutMs?: number;
  /** Attempts before a delivery is marked failed (default 10). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 5 s). */
  baseDelayMs?: number;
  /** Cap of one retry delay (default 15 min). */
  maxDelayMs?: number;
  /** How often the outbox is polled when nothing kicked the worker (default 5 s). */
  pollMs?: number;
}

export interface DeliveryWorkerOptions extends DeliveryTiming {
  outbox: NotificationOutbox;
  logger: Logger;
  /** Deliveries sent at once (default 4). */
  concurrency?: number;
  now?: () => Date;
  random?: () => number;
}

export interface AttemptResult {
  id: string;
  url: string;
  status: NotificationDelivery['status'];
  httpStatus?: number;
  error?: string;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 10,
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  pollMs: 5_000,
  concurrency: 4,
};

/** Delay before attempt n+1 after n failed ones: full jitter over a doubling, capped window. */
export function backoffDelay(
  attempts: number,
  t: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const window = Math.min(t.maxDelayMs, t.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  // Half fixed, half random: never a zero delay, and many failing deliveries spread out.
  return Math.round(window / 2 + (random() * window) / 2);
}

export class WebhookDeliveryWorker {
  private readonly o: Required<Omit<DeliveryWorkerOptions, 'now' | 'random'>> & {
    now: () => Date;
    random: () => number;
  };
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private again = false;
  private readonly stopping = new AbortController();

  constructor(opts: DeliveryWorkerOptions) {
    this.o = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
      now: opts.now ?? (() => new Date()),
      random: opts.random ?? Math.random,
    } as typeof this.o;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  /** Look at the outbox now (after an enqueue) instead of at the next poll. */
  kick(): void {
    if (!this.running) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.loop = this.drain()
      .catch((e: unknown) =>
        this.o.logger.warn('webhook delivery pass failed', { error: String(e) }),
      )
      .finally(() => {
        this.loop = undefined;
        if (!this.running) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.timer = setTimeout(() => this.kick(), this.o.pollMs);
          this.timer.unref?.();
        }
      });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
    await this.loop;
  }

  /** Sends every delivery due now, batch by batch, until none is left. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.stopping.signal.aborted) return;
      const due = (await this.o.outbox.due(this.o.now().toISOString(), 50)).filter(
        (d) => !this.inFlight.has(d.id),
      );
      if (!due.length) return;
      const queue = [...due];
      const lanes = Array.from({ length: Math.min(this.o.concurrency, queue.length) }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) await this.attempt(d);
      });
      await Promise.all(lanes);
    }
  }

  /** One attempt of one delivery, recorded in the outbox. */
  async attempt(d: NotificationDelivery): Promise<AttemptResult> {
    if (this.inFlight.has(d.id)) return { id: d.id, url: d.url, status: 'pending' };
    this.inFlight.add(d.id);
    try {
      const { secret } = await this.o.outbox.getConfig();
      const started = this.o.now();
      const timestamp = String(Math.floor(started.getTime() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'ProblemChild-Webhook/1',
        [DELIVERY_HEADER]: d.id,
        [TIMESTAMP_HEADER]: timestamp,
      };
      if (secret) headers[SIGNATURE_HEADER] = signWebhook(secret, timestamp, d.body);
      let error: string | undefined;
      let httpStatus: number | undefined;
      try {
        const res = await fetch(d.url, {
          method: 'POST',
          headers,
          body: d.body,
          // A redirect could point anywhere: it is a failure to fix in the settings, not followed.
          redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.stopping.signal]),
        });
        httpStatus = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        error =
          (e as Error).name === 'TimeoutError'
            ? `no answer within ${this.o.timeoutMs} ms`
            : (cause?.code ?? cause?.message ?? (e as Error).message ?? String(e));
      }
      if (this.stopping.signal.aborted && error) {
        // Shutting down: leave it pending for the next start, uncounted.
        return { id: d.id, url: d.url, status: 'pending', error };
      }
      const attempts = d.attempts + 1;
      const at = this.o.now();
      if (!error) {
        await this.o.outbox.recordAttempt(d.id, {
          status: 'delivered',
          attempts,
          nextAttemptAt: at.toISOString(),
          lastAttemptAt: started.toISOString(),
          deliveredAt: at.toISOString(),
        });
        this.o.logger.info('webhook delivered', { id: d.id, url: d.url, attempts });
        return { id: d.id, url: d.url, status: 'delivered', httpStatus };
      }
      const failed = attempts >= this.o.maxAttempts;
      await this.o.outbox.recordAttempt(d.id, {
        status: failed ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: new Date(
          at.getTime() + (failed ? 0 : backoffDelay(attempts, this.o, this.o.random)),
        ).toISOString(),
        lastAttemptAt: started.toISOString(),
        lastError: error,
      });
      (failed ? this.o.logger.warn : this.o.logger.info)(
        failed ? 'webhook delivery failed for good' : 'webhook delivery will be retried',
        { id: d.id, url: d.url, attempts, error },
      );
      return { id: d.id, url: d.url, status: failed ? 'failed' : 'pending', httpStatus, error };
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  /**
   * The settings page's test button: one `test` delivery per configured URL, attempted at once
   * and answered with the outcome; failures are retried like any other delivery.
   */
  async testSend(appUrl: string): Promise<AttemptResult[]> {
    const { urls } = await this.o.outbox.getConfig();
    const now = this.o.now().toISOString();
    const deliveries = urls.map((url) => {
      const id = `test-${randomUUID()}`;
      const payload: WebhookPayload = {
        id,
        event: 'test',
        sentBy: 'problemchild',
        detectedAt: now,
        community: {
          id: 'test',
          score: 0.95,
          severity: 'danger',
          host: 'test-host',
          users: ['test-user'],
          chain: 'winword.exe → powershell.exe',
          techniques: [{ id: 'T1059.001', name: 'PowerShell' }],
          firstSeen: now,
          lastSeen: now,
          link: appUrl,
        },
      };
      return {
        id,
        communityId: 'test',
        url,
        kind: 'test' as const,
        score: 0.95,
        severity: 'danger',
        body: JSON.stringify(payload),
        createdAt: now,
      };
    });
    await this.o.outbox.enqueue(deliveries);
    return Promise.all(
      deliveries.map((d) =>
        this.attempt({ ...d, status: 'pending', attempts: 0, nextAttemptAt: d.createdAt }),
      ),
    );
  }
}
