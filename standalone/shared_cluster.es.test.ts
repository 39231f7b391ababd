/**
 * Several standalone hosts (`serve --es`, each its own process) sharing one Elasticsearch: they
 * split the partitions through leases, a killed host's partitions are taken over once its lease
 * expires, triage through either host's API stays consistent (409 on a stale version, one
 * history), and a settings change made on one host reaches the other within one interval.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_BASE } from '../common/constants';
import { runDetectionJob } from '../server/jobs/detection_job';
import { generate } from '../server/lib/generator/generate';
import { TfjsEdgeScorer } from '../server/lib/model/scorer';
import type { Logger, StoredCommunity } from '../server/ports';
import { createEsClient } from '../server/stores/elasticsearch/client';
import { EsStore } from '../server/stores/elasticsearch/es_store';
import { ensureEventIndex, indexEvents } from '../server/stores/elasticsearch/event_writer';
import { HostProcess } from './test_support/host_process';

const EVENTS = 'pc-shared-events';
const START = '2026-01-05T00:00:00.000Z';
const RANGE = { from: START, to: '2026-01-06T00:00:00.000Z' };
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
let staticDir: string;
let client: Client;
let store: EsStore;
const hosts: HostProcess[] = [];

function startHost(hostId: string, interval: string): HostProcess {
  const h = HostProcess.start({
    data: join(root, hostId),
    staticDir,
    es: inject('esUrl'),
    hostId,
    leaseTtl: '3s',
    partitions: 2,
    interval,
  });
  hosts.push(h);
  return h;
}

/** The live partition leases: "index/count" → holder. */
async function leaseHolders(): Promise<Record<string, string>> {
  const r = await client.search<{ lease: { key: string; holder: string; expires_at: string } }>({
    index: store.names.state,
    size: 100,
    query: {
      bool: { filter: [{ term: { type: 'lease' } }, { prefix: { 'lease.key': 'lease:' } }] },
    },
  });
  const out: Record<string, string> = {};
  for (const h of r.hits.hits) {
    const l = h._source!.lease;
    if (Date.parse(l.expires_at) > Date.now()) out[l.key.slice('lease:'.length)] = l.holder;
  }
  return out;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`${what} did not happen in ${ms} ms ${last ? String(last) : ''}`);
}

const api = async (base: string, method: string, p: string, body?: unknown) => {
  const res = await fetch(`${base}${API_BASE}${p}`, {
    method,
    headers: { 'content-type': 'application/json', 'kbn-xsrf': 'test' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pc-shared-cluster-'));
  staticDir = join(root, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
  client = createEsClient({ node: inject('esUrl') });
  // The hosts use the default index names: start from none.
  store = new EsStore({ client, logger: quiet });
  await store.destroy();
  await store.setup();
  await client.indices.delete({ index: EVENTS, ignore_unavailable: true });
  await ensureEventIndex(client, EVENTS);
  async function* events() {
    for await (const r of generate({
      hosts: 4,
      days: 1,
      attacks: 4,
      seed: 3,
      start: START,
      eventsPerHostDay: 150,
    }))
      yield r.event;
  }
  expect((await indexEvents(client, EVENTS, events(), { refresh: true })).failed).toEqual([]);
  await store.settings.update({ indices: EVENTS, interval: '1h' });
  const settings = await store.settings.get();
  const scorer = await TfjsEdgeScorer.load({
    modelDir: join(process.cwd(), 'models', 'default'),
    mode: settings.score_source,
  });
  const report = await runDetectionJob(
    { stores: store.stores, scorer: async () => scorer, logger: quiet },
    { partition: { index: 0, count: 1 }, range: RANGE },
  );
  expect(report.status, report.errors.join('; ')).toBe('succeeded');
  expect(report.flagged).toBeGreaterThan(0);
});

afterAll(async () => {
  for (const h of hosts) h.kill('SIGKILL');
  await Promise.all(hosts.map((h) => h.exited));
  await store?.destroy();
  await client?.indices.delete({ index: EVENTS, ignore_unavailable: true });
  await client?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('standalone hosts sharing one cluster', () => {
  it('split the partitions and take over a killed host’s after its lease expires', async () => {
    const a = startHost('host-a', '1s');
    const b = startHost('host-b', '1s');
    await Promise.all([a.url(), b.url()]);
    const split = await until('a split of the partitions', async () => {
      const h = await leaseHolders();
      return h['0/2'] && h['1/2'] && h['0/2'] !== h['1/2'] ? h : undefined;
    });
    expect(new Set(Object.values(split))).toEqual(new Set(['host-a', 'host-b']));

    a.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    const after = await until('host-b holding every partition', async () => {
      const h = await leaseHolders();
      return h['0/2'] === 'host-b' && h['1/2'] === 'host-b' ? h : undefined;
    });
    expect(after).toEqual({ '0/2': 'host-b', '1/2': 'host-b' });
    // Not before the dead host's lease (3 s from its last renewal, at most 1 s before the kill)
    // had run out.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_500);
    b.kill('SIGKILL');
    await b.exited;
  });

  it('keeps triage consistent across hosts and propagates settings within one interval', async () => {
    const c = startHost('host-c', 'settings');
    const d = startHost('host-d', 'settings');
    const [urlC, urlD] = await Promise.all([c.url(), d.url()]);

    const list = await api(
      urlC,
      'GET',
      `/communities?from=${encodeURIComponent(RANGE.from)}&to=${encodeURIComponent(RANGE.to)}`,
    );
    expect(list.status).toBe(200);
    const id = (list.body.items as { id: string }[])[0]!.id;
    const seen = (await api(urlD, 'GET', `/communities/${id}`)).body as unknown as StoredCommunity;

    // Both analysts edit the version they read: the first wins, the second gets 409.
    const first = await api(urlC, 'POST', `/communities/${id}/triage`, {
      status: 'acknowledged',
      version: seen.version,
    });
    expect(first.status).toBe(200);
    const second = await api(urlD, 'POST', `/communities/${id}/triage`, {
      note: 'stale edit',
      version: seen.version,
    });
    expect(second.status).toBe(409);
    const fromD = (await api(urlD, 'GET', `/communities/${id}`)).body as unknown as StoredCommunity;
    const fromC = (await api(urlC, 'GET', `/communities/${id}`)).body as unknown as StoredCommunity;
    expect(fromD).toEqual(fromC);
    expect(fromD.triage.status).toBe('acknowledged');
    expect(fromD.triage.history).toHaveLength(1);
    expect(fromD.triage.note).toBe('');

    // The interval is 1h; set to 20s on host C, host D's next run moves within one (new) interval.
    const nextD = async () =>
      Date.parse((await api(urlD, 'GET', '/detection/status')).body.nextRunAt as string);
    expect((await nextD()) - Date.now()).toBeGreaterThan(30 * 60_000);
    const put = await api(urlC, 'PUT', '/settings', { interval: '20s' });
    expect(put.status).toBe(200);
    const changedAt = Date.now();
    await until(
      'host D following the new interval',
      async () => ((await nextD()) - Date.now() <= 20_000 ? true : undefined),
      20_000,
    );
    expect(Date.now() - changedAt).toBeLessThan(20_000);
  });
});
