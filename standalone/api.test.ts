/**
 * Every API route of the standalone host over real HTTP, on a real embedded store seeded with a
 * generated environment and a real detection run: valid calls, invalid input (400 naming the
 * field), missing kbn-xsrf, optimistic-concurrency conflicts, and the API key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type RunningStandalone } from './main';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const API = '/internal/problem_child';
const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-static-'));
fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');

async function call(
  base: string,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'kbn-xsrf': 'true' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('standalone HTTP API', () => {
  let host: RunningStandalone;
  let base: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-api-'));

  beforeAll(async () => {
    host = await startStandalone({
      port: 0,
      dataDir,
      staticDir,
      demo: { hosts: 4, days: 1, attacks: 3, seed: 3, eventsPerHostDay: 300 },
      schedule: false,
      logger: quiet,
    });
    base = host.url;
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeded and detected on first start', () => {
    expect(host.demo?.events).toBeGreaterThan(500);
    expect(host.demo?.report.status).toBe('succeeded');
    expect(host.demo?.report.flagged).toBeGreaterThan(0);
  });

  it('lists communities with paging, sorting and filters', async () => {
    const all = await call(base, 'GET', `${API}/communities?per_page=100`);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(host.demo!.report.flagged);
    const scores = all.body.items.map((c: { maxAnomaly: number }) => c.maxAnomaly);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const page2 = await call(
      base,
      'GET',
      `${API}/communities?per_page=2&page=2&sort=host&direction=asc`,
    );
    expect(page2.body.items.length).toBeLessThanOrEqual(2);
    const oneHost = all.body.items[0].host as string;
    const filtered = await call(
      base,
      'GET',
      `${API}/communities?host=${encodeURIComponent(oneHost)}`,
    );
    expect(filtered.body.items.every((c: { host: string }) => c.host === oneHost)).toBe(true);
    const high = await call(base, 'GET', `${API}/communities?min_score=0.99`);
    expect(high.body.items.every((c: { score: number }) => c.score >= 0.99)).toBe(true);
  });

  it('rejects invalid list input with 400 naming the field', async () => {
    const r = await call(base, 'GET', `${API}/communities?per_page=0&sort=nonsense`);
    expect(r.status).toBe(400);
    const fields = r.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['query.per_page', 'query.sort']));
    const unknown = await call(base, 'GET', `${API}/communities?bogus=1`);
    expect(unknown.status).toBe(400);
  });

  it('returns one community with events and edges, its raw events, and 404 for unknown ids', async () => {
    const list = await call(base, 'GET', `${API}/communities?per_page=1`);
    const id = list.body.items[0].id as string;
    const one = await call(base, 'GET', `${API}/communities/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.edges.length).toBeGreaterThan(0);
    expect(one.body.events.length).toBe(list.body.items[0].eventCount);
    const raw = await call(base, 'GET', `${API}/communities/${id}/events`);
    expect(raw.body.events.map((e: { event: { id: string } }) => e.event.id).sort()).toEqual(
      one.body.events.map((e: { event: { event: { id: string } } }) => e.event.event.id).sort(),
    );
    expect((await call(base, 'GET', `${API}/communities/does-not-exist`)).status).toBe(404);
    expect(
      (await call(base, 'GET', `${API}/communities/${encodeURIComponent('bad id!')}`)).status,
    ).toBe(400);
  });

  it('triages with history, rejects stale versions with 409, and needs kbn-xsrf', async () => {
    const list = await call(base, 'GET', `${API}/communities?per_page=1`);
    const { id, version } = list.body.items[0];
    const first = await call(base, 'POST', `${API}/communities/${id}/triage`, {
      status: 'acknowledged',
      assignee: 'alice',
      note: 'looking into it',
      version,
    });
    expect(first.status).toBe(200);
    expect(first.body.community.triage).toMatchObject({
      status: 'acknowledged',
      assignee: 'alice',
    });
    const stale = await call(base, 'POST', `${API}/communities/${id}/triage`, {
      note: 'other',
      version,
    });
    expect(stale.status).toBe(409);
    const again = await call(base, 'GET', `${API}/communities/${id}`);
    expect(again.body.triage.note).toBe('looking into it');
    expect(again.body.triage.history.length).toBeGreaterThanOrEqual(1);
    const listed = await call(base, 'GET', `${API}/communities?status=acknowledged`);
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(id);

    const noXsrf = await fetch(`${base}${API}/communities/${id}/triage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'closed' }),
    });
    expect(noXsrf.status).toBe(400);
    // Kibana's browser fetch sends kbn-version instead, which Kibana's XSRF check also accepts.
    const kibanaStyle = await fetch(`${base}${API}/communities/${id}/triage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'kbn-version': '9.3.2' },
      body: JSON.stringify({ note: 'kibana-style' }),
    });
    expect(kibanaStyle.status).toBe(200);
    expect((await call(base, 'POST', `${API}/communities/${id}/triage`, {})).status).toBe(400);
    expect(
      (await call(base, 'POST', `${API}/communities/${id}/triage`, { status: 'done' })).status,
    ).toBe(400);
  });

  it('bulk-triages, suppresses a benign pattern and undoes it', async () => {
    const list = await call(base, 'GET', `${API}/communities?per_page=3&page=1`);
    const ids = list.body.items.map((c: { id: string }) => c.id).slice(1, 3);
    const bulk = await call(base, 'POST', `${API}/communities/_bulk_triage`, {
      ids: [...ids, 'missing-one'],
      status: 'closed',
      verdict: 'benign',
      suppress: true,
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.updated.sort()).toEqual([...ids].sort());
    expect(bulk.body.failed).toEqual([
      { id: 'missing-one', status: 404, message: expect.any(String) },
    ]);
    const rules = await call(base, 'GET', `${API}/suppressions`);
    expect(rules.body.total).toBeGreaterThan(0);
    const ruleId = rules.body.rules[0].id as string;
    expect((await call(base, 'DELETE', `${API}/suppressions/${ruleId}`)).status).toBe(200);
    expect((await call(base, 'DELETE', `${API}/suppressions/${ruleId}`)).status).toBe(404);
    expect((await call(base, 'POST', `${API}/communities/_bulk_triage`, { ids: [] })).status).toBe(
      400,
    );
  });

  it('reports prevalence in plain words', async () => {
    const r = await call(base, 'GET', `${API}/prevalence?parent=services.exe&child=svchost.exe`);
    expect(r.status).toBe(200);
    expect(r.body.pair.parentName).toBe('services.exe');
    expect(typeof r.body.pairText).toBe('string');
    expect((await call(base, 'GET', `${API}/prevalence?parent=cmd.exe`)).status).toBe(400);
  });

  it('reads and updates settings with validation', async () => {
    const s = await call(base, 'GET', `${API}/settings`);
    expect(s.status).toBe(200);
    const u = await call(base, 'PUT', `${API}/settings`, { threshold: 0.8, interval: '5m' });
    expect(u.body).toMatchObject({ threshold: 0.8, interval: '5m' });
    const bad = await call(base, 'PUT', `${API}/settings`, { threshold: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.threshold');
    await call(base, 'PUT', `${API}/settings`, {
      threshold: s.body.threshold,
      interval: s.body.interval,
    });
  });

  it('reports detection status and refuses run-now while the scheduler is stopped', async () => {
    const st = await call(base, 'GET', `${API}/detection/status`);
    expect(st.status).toBe(200);
    expect(st.body.lastRun.status).toBe('succeeded');
    const run = await call(base, 'POST', `${API}/detection/_run`);
    expect(run.status).toBe(409);
    expect((await call(base, 'POST', `${API}/detection/_run`, { from: 'yesterday' })).status).toBe(
      400,
    );
  });

  it('reports detection as always enabled on its own connection, with nothing to enable', async () => {
    const st = await call(base, 'GET', `${API}/detection/status`);
    expect(st.body.setup).toMatchObject({ state: 'ready' });
    expect(st.body.access).toMatchObject({
      host: 'standalone',
      state: 'enabled',
      enabled: true,
      indices: ['embedded store'],
    });
    for (const action of ['_enable', '_disable']) {
      const res = await call(base, 'POST', `${API}/detection/${action}`, {});
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/not applicable in the standalone host/);
    }
  });

  it('answers malformed JSON with 400 and unknown API paths with a JSON 404', async () => {
    const r = await fetch(`${base}${API}/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'kbn-xsrf': 'true' },
      body: '{"threshold": ',
    });
    expect(r.status).toBe(400);
    const nf = await call(base, 'GET', `${API}/nothing-here`);
    expect(nf.status).toBe(404);
    expect(nf.body.message).toMatch(/no route/);
  });

  it('sends security headers', async () => {
    const r = await fetch(`${base}/`);
    expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(r.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('standalone API key', () => {
  it('refuses to listen beyond loopback without a key', async () => {
    await expect(
      startStandalone({ host: '0.0.0.0', port: 0, staticDir, demo: false, logger: quiet }),
    ).rejects.toThrow(/api-key/);
  });

  it('requires the key on every route when one is configured', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-key-'));
    const host = await startStandalone({
      port: 0,
      dataDir,
      staticDir,
      demo: false,
      schedule: false,
      apiKey: 's3cret-key',
      logger: quiet,
    });
    try {
      const none = await call(host.url, 'GET', `${API}/communities`);
      expect(none.status).toBe(401);
      expect(JSON.stringify(none.body)).not.toContain('s3cret');
      expect(
        (await call(host.url, 'GET', `${API}/communities`, undefined, { 'x-api-key': 'wrong' }))
          .status,
      ).toBe(401);
      expect(
        (
          await call(host.url, 'GET', `${API}/communities`, undefined, {
            'x-api-key': 's3cret-key',
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await call(host.url, 'GET', `${API}/settings`, undefined, {
            authorization: 'ApiKey s3cret-key',
          })
        ).status,
      ).toBe(200);
    } finally {
      await host.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
