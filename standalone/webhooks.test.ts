/**
 * Webhook notifications end to end against a real HTTP receiver on 127.0.0.1: first down
 * (connection refused), then too slow (past the request timeout), then answering 500 for a
 * while, then healthy — every notification arrives at least once, every request carries a valid
 * HMAC signature, and after deduplication by delivery id none is missing. Then the same across a
 * SIGKILL of the standalone host while a delivery is in flight: restarted, it sends them all.
 * Also: new/escalated decisions against the outbox, the write-only secret, URL validation, the
 * test button, the delivery log and manual retry of a delivery that failed for good.
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE } from '../common/constants';
import type { FlaggedChange } from '../server/ports';
import { openEmbeddedStore } from '../server/stores/duckdb/embedded_store';
import { fixtureCommunity } from '../server/stores/testing/fixtures';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '../server/notifications/signing';
import { backoffDelay, WebhookDeliveryWorker } from '../server/notifications/webhook_delivery';
import { createWebhookSink, type WebhookPayload } from '../server/notifications/webhook_sink';
import { startStandalone } from './main';
import { HostProcess } from './test_support/host_process';

const SECRET = 'a-test-secret-of-32-characters!!';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Received {
  id: string;
  timestamp: string;
  signed: boolean;
  payload: WebhookPayload;
  answered: number | 'none';
}

type Behaviour = (n: number) => 'ok' | '500' | 'slow' | 'hang';

/** A webhook receiver: records every request, answers as `behave` says for the n-th request. */
class Receiver {
  readonly received: Received[] = [];
  behave: Behaviour = () => 'ok';
  onRequest?: (r: Received) => void;
  private readonly server: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers[TIMESTAMP_HEADER] ?? '');
        const r: Received = {
          id: String(req.headers[DELIVERY_HEADER] ?? ''),
          timestamp,
          signed: verifyWebhook(SECRET, timestamp, body, req.headers[SIGNATURE_HEADER] as string),
          payload: JSON.parse(body) as WebhookPayload,
          answered: 'none',
        };
        this.received.push(r);
        this.onRequest?.(r);
        const mode = this.behave(this.received.length);
        if (mode === 'hang') return;
        const answer = (status: number) => {
          r.answered = status;
          res.writeHead(status).end(status === 200 ? 'ok' : 'no');
        };
        if (mode === 'slow') setTimeout(() => answer(200), 600);
        else answer(mode === '500' ? 500 : 200);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port = 0): Promise<number> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Ids the receiver acknowledged with a 2xx, and the set of all ids seen. */
  ids(): { seen: Set<string>; acked: Set<string> } {
    return {
      seen: new Set(this.received.map((r) => r.id)),
      acked: new Set(this.received.filter((r) => r.answered === 200).map((r) => r.id)),
    };
  }
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const changes = (n: number, tag: string, score = 0.8): FlaggedChange[] =>
  Array.from({ length: n }, (_, i) => ({
    community: fixtureCommunity({ tag: `${tag}${i}`, host: `ws${i}.example.local`, score }),
  }));

let root: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pc-webhooks-'));
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(root, { recursive: true, force: true });
}, 30_000);

describe('webhook notifications', () => {
  it('down, slow, then 500: every notification arrives signed; after dedup by id none is missing', async () => {
    const store = await openEmbeddedStore(join(root, 'faults.duckdb'));
    cleanups.push(() => store.close());
    const outbox = store.notifications;
    const port = await freePort();
    await outbox.setConfig({ urls: [`http://127.0.0.1:${port}/hook`], secret: SECRET });

    const worker = new WebhookDeliveryWorker({
      outbox,
      logger: quiet,
      timeoutMs: 300,
      baseDelayMs: 40,
      maxDelayMs: 300,
      pollMs: 40,
      maxAttempts: 100,
    });
    const sink = createWebhookSink({
      outbox,
      appUrl: () => 'http://127.0.0.1:5601',
      onEnqueued: () => worker.kick(),
    });
    const batch = changes(12, 'f');
    await sink.publish(batch, { runId: 'r1', detectedAt: new Date().toISOString() });
    worker.start();
    cleanups.push(() => worker.stop());

    // Down: nothing listens, every attempt is refused and rescheduled.
    await until('refused attempts', async () =>
      (await outbox.list({ limit: 50 })).every((d) => d.attempts >= 1 && d.lastError),
    );
    const refused = await outbox.list({ limit: 50 });
    expect(refused.every((d) => d.status === 'pending')).toBe(true);
    expect(refused[0]!.lastError).toMatch(/ECONNREFUSED/);

    // Up, but the first requests are answered too late and the next ones with 500.
    const receiver = new Receiver();
    receiver.behave = (n) => (n <= 4 ? 'slow' : n <= 14 ? '500' : 'ok');
    await receiver.listen(port);
    cleanups.push(() => receiver.close());

    await until('all delivered', async () =>
      (await outbox.list({ limit: 50 })).every((d) => d.status === 'delivered'),
    );
    const { seen, acked } = receiver.ids();
    const expected = new Set(refused.map((d) => d.id));
    expect(expected.size).toBe(12);
    expect(seen).toEqual(expected);
    expect(acked).toEqual(expected);
    // Every request, retries included, was signed with the secret over timestamp and body.
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    // Retries happened: slow and 500 answers were not taken as delivered.
    expect(receiver.received.length).toBeGreaterThan(12);
    expect(receiver.received.some((r) => r.answered === 500)).toBe(true);
    // The same id always carries the same notification.
    const byId = new Map<string, string>();
    for (const r of receiver.received) {
      const prior = byId.get(r.id);
      if (prior) expect(r.payload.community.id).toBe(prior);
      byId.set(r.id, r.payload.community.id);
    }
    expect(new Set(byId.values())).toEqual(new Set(batch.map((c) => c.community.id)));
    const p = receiver.received[0]!.payload;
    expect(p.event).toBe('community.new');
    expect(p.community).toMatchObject({ severity: 'risk', users: ['EXAMPLE\\alice'] });
    expect(p.community.link).toMatch(/^http:\/\/127\.0\.0\.1:5601\/#community=/);
    for (const d of await outbox.list({ limit: 50 })) expect(d.attempts).toBeGreaterThan(1);
  }, 40_000);

  it('notifies new and escalated communities once, decided against the outbox', async () => {
    const store = await openEmbeddedStore(join(root, 'escalation.duckdb'));
    cleanups.push(() => store.close());
    const outbox = store.notifications;
    await outbox.setConfig({ urls: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'] });
    const sink = createWebhookSink({ outbox, appUrl: () => 'http://x' });
    const meta = { runId: 'r', detectedAt: new Date().toISOString() };
    // A retried run: the community store already says "previous", the outbox has nothing yet.
    const [c] = changes(1, 'e', 0.8);
    await sink.publish([{ ...c!, previous: { score: 0.8, maxAnomaly: 0.8 } }], meta);
    expect(await outbox.list({ limit: 10 })).toHaveLength(2);
    // The same finding again (re-run, lower score in the same band): nothing new.
    await sink.publish([c!], meta);
    const lower = { community: { ...c!.community, score: 0.76 } };
    await sink.publish([lower], meta);
    expect(await outbox.list({ limit: 10 })).toHaveLength(2);
    // Escalated into "danger": one more per URL, with what was notified before.
    const higher = { community: { ...c!.community, score: 0.95 } };
    await sink.publish([higher], meta);
    const all = await outbox.list({ limit: 10 });
    expect(all).toHaveLength(4);
    const esc = all.filter((d) => d.kind === 'escalated');
    expect(esc).toHaveLength(2);
    expect(JSON.parse(esc[0]!.body)).toMatchObject({
      event: 'community.escalated',
      previous: { severity: 'risk' },
      community: { severity: 'danger', score: 0.95 },
    });
    // Nothing configured: nothing queued.
    await outbox.setConfig({ urls: [] });
    await sink.publish(changes(1, 'z'), meta);
    expect(await outbox.list({ limit: 10 })).toHaveLength(4);
  });

  it('bounded backoff with jitter', () => {
    const t = { baseDelayMs: 1_000, maxDelayMs: 8_000 };
    expect(backoffDelay(1, t, () => 0)).toBe(500);
    expect(backoffDelay(1, t, () => 1)).toBe(1_000);
    expect(backoffDelay(3, t, () => 1)).toBe(4_000);
    expect(backoffDelay(30, t, () => 1)).toBe(8_000);
    expect(backoffDelay(30, t, () => 0)).toBe(4_000);
  });

  it('settings keep the secret write-only; test button, delivery log, failed and retried', async () => {
    const receiver = new Receiver();
    const port = await receiver.listen();
    cleanups.push(() => receiver.close());
    const staticDir = join(root, 'static');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
    const host = await startStandalone({
      port: 0,
      dataDir: join(root, 'api'),
      staticDir,
      demo: false,
      schedule: false,
      logger: quiet,
      webhooks: { timeoutMs: 300, baseDelayMs: 20, maxDelayMs: 40, pollMs: 30, maxAttempts: 2 },
    });
    cleanups.push(() => host.close());
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${host.url}${API_BASE}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method !== 'GET' ? { 'kbn-xsrf': 'true' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    expect((await call('GET', '/notifications/settings')).body).toEqual({
      available: true,
      urls: [],
      secretSet: false,
    });
    const bad = await call('PUT', '/notifications/settings', {
      urls: ['ftp://127.0.0.1/x', 'not a url'],
      secret: 'short',
    });
    expect(bad.status).toBe(400);
    const fields = (bad.body.errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.urls.0', 'body.urls.1', 'body.secret']));
    expect(JSON.stringify(bad.body)).toMatch(/http or https/);
    expect((await call('POST', '/notifications/_test', {})).status).toBe(400);

    const url = `http://127.0.0.1:${port}/hook`;
    const saved = await call('PUT', '/notifications/settings', { urls: [url], secret: SECRET });
    expect(saved.body).toEqual({ available: true, urls: [url], secretSet: true });
    const got = await call('GET', '/notifications/settings');
    expect(JSON.stringify(got.body)).not.toContain(SECRET);
    // Changing the URLs alone keeps the secret.
    await call('PUT', '/notifications/settings', { urls: [url] });
    expect((await call('GET', '/notifications/settings')).body.secretSet).toBe(true);

    const test = await call('POST', '/notifications/_test', {});
    expect(test.status).toBe(200);
    expect(test.body.results).toEqual([expect.objectContaining({ url, status: 'delivered' })]);
    expect(receiver.received.at(-1)).toMatchObject({ signed: true, payload: { event: 'test' } });

    // A receiver that keeps failing: marked failed after maxAttempts, visible, retried by hand.
    receiver.behave = () => '500';
    await host.stores.notifications!.enqueue([
      {
        id: 'manual-1',
        communityId: 'c1',
        url,
        kind: 'new',
        score: 0.9,
        severity: 'danger',
        body: JSON.stringify({ event: 'community.new' }),
        createdAt: new Date().toISOString(),
      },
    ]);
    host.webhooks!.kick();
    await until('failed', async () => {
      const log = await call('GET', '/notifications/deliveries?status=failed');
      return (log.body.deliveries as unknown[]).length === 1;
    });
    const log = await call('GET', '/notifications/deliveries');
    const failed = (log.body.deliveries as Record<string, unknown>[]).find(
      (d) => d.id === 'manual-1',
    );
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastError: 'HTTP 500' });
    expect(failed).not.toHaveProperty('body');
    receiver.behave = () => 'ok';
    expect((await call('POST', '/notifications/deliveries/manual-1/_retry', {})).status).toBe(200);
    await until('retried', async () => {
      const [d] = await host.stores.notifications!.list({ limit: 1, status: 'delivered' });
      return (
        (await host.stores.notifications!.list({ limit: 10, status: 'failed' })).length === 0 && !!d
      );
    });
    expect((await call('POST', '/notifications/deliveries/nope/_retry', {})).status).toBe(404);
    expect((await call('GET', '/notifications/deliveries?limit=0')).status).toBe(400);
  }, 30_000);

  it('across a SIGKILL of the host mid-delivery: all notifications arrive after restart', async () => {
    const dataDir = join(root, 'crash');
    mkdirSync(dataDir, { recursive: true });
    const staticDir = join(root, 'static');
    const receiver = new Receiver();
    const port = await receiver.listen();
    cleanups.push(() => receiver.close());

    // Queue the findings of a run in the host's data folder, as its sink would.
    const store = await openEmbeddedStore(join(dataDir, 'problemchild.duckdb'));
    await store.notifications.setConfig({
      urls: [`http://127.0.0.1:${port}/hook`],
      secret: SECRET,
    });
    const batch = changes(6, 'k');
    await createWebhookSink({ outbox: store.notifications, appUrl: () => 'http://h' }).publish(
      batch,
      { runId: 'r', detectedAt: new Date().toISOString() },
    );
    const expected = new Set((await store.notifications.list({ limit: 50 })).map((d) => d.id));
    await store.close();

    process.env.PC_WEBHOOK_TIMING = JSON.stringify({
      timeoutMs: 5_000,
      baseDelayMs: 50,
      maxDelayMs: 200,
      pollMs: 100,
      concurrency: 1,
    });
    // Two are acknowledged, the third is held open and the host killed while it waits.
    receiver.behave = (n) => (n === 3 ? 'hang' : 'ok');
    const first = HostProcess.start({ data: dataDir, staticDir });
    cleanups.push(() => {
      first.kill('SIGKILL');
      return first.exited;
    });
    receiver.onRequest = () => {
      if (receiver.received.length === 3) first.kill('SIGKILL');
    };
    const killed = await first.exited;
    expect(killed.signal, first.tail()).toBe('SIGKILL');
    receiver.onRequest = undefined;
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]!.answered).toBe('none');

    const second = HostProcess.start({ data: dataDir, staticDir });
    cleanups.push(() => {
      second.kill('SIGKILL');
      return second.exited;
    });
    await until('all acknowledged after restart', () => receiver.ids().acked.size === 6, 60_000);
    const { seen, acked } = receiver.ids();
    expect(seen).toEqual(expected);
    expect(acked).toEqual(expected);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    // The one in flight at the kill was sent again under the same id.
    const held = receiver.received[2]!.id;
    expect(receiver.received.filter((r) => r.id === held).length).toBeGreaterThanOrEqual(2);
    await second.waitFor((l) => l.includes('webhook delivered') && l.includes(held));
    expect((await second.stop()).code).toBe(0);
    delete process.env.PC_WEBHOOK_TIMING;

    const after = await openEmbeddedStore(join(dataDir, 'problemchild.duckdb'));
    const stored = await after.notifications.list({ limit: 50 });
    await after.close();
    expect(stored.every((d) => d.status === 'delivered')).toBe(true);
  }, 60_000);
});
