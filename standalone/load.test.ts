/**
 * The standalone API under concurrent load, with a production-sized embedded store: a million
 * events and ten thousand communities. The host runs as its own process (as `problemchild serve`
 * does) and autocannon drives each read route for a few seconds from this process over
 * 127.0.0.1: the community list (paging, every sort, filters), community detail and its raw
 * events (random ids), and prevalence (aggregations over the events table).
 *
 * Asserted: every request answered, none failed, timed out or came back non-2xx, every answer
 * was about what was asked, and the host still shuts down cleanly with work in flight. Latency
 * and throughput are printed, not asserted: they depend on whatever else the machine runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE } from '../common/constants';
import {
  FIGURES_HEADER,
  figuresRow,
  loadRoute,
  readRoutes,
  type RouteLoad,
} from './test_support/api_load';
import type { IntegrityReport } from '../server/stores/duckdb/embedded_store';
import { HostProcess } from './test_support/host_process';
import { buildLoadStore, type LoadData } from './test_support/load_data';

const EVENTS = 1_000_000;
const COMMUNITIES = 10_000;
const SECONDS_PER_ROUTE = 4;
const CONNECTIONS = 10;

let root: string;
let host: HostProcess | undefined;
let base: string;
let data: LoadData;
let prepSeconds: number;
const rows: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pc-load-'));
  const staticDir = join(root, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
  const t0 = performance.now();
  data = await buildLoadStore(join(root, 'data', 'problemchild.duckdb'), {
    events: EVENTS,
    communities: COMMUNITIES,
  });
  prepSeconds = (performance.now() - t0) / 1000;
  host = HostProcess.start({ data: join(root, 'data'), staticDir });
  base = await host.url();
  await host.waitFor((l) => l === 'ready');
}, 240_000);

afterAll(async () => {
  host?.kill('SIGKILL');
  await host?.exited;
  rmSync(root, { recursive: true, force: true });
  if (!data) return;
  process.stdout.write(
    [
      '',
      `standalone API under load: ${EVENTS.toLocaleString('en-US')} events, ${COMMUNITIES.toLocaleString('en-US')} communities, ` +
        `${CONNECTIONS} connections × ${SECONDS_PER_ROUTE} s per route`,
      `data preparation ${prepSeconds.toFixed(1)} s (events ${(data.eventsMs / 1000).toFixed(1)} s, communities ${(data.communitiesMs / 1000).toFixed(1)} s)`,
      FIGURES_HEADER,
      ...rows,
      '',
    ].join('\n'),
  );
}, 60_000);

async function hammer(route: RouteLoad): Promise<void> {
  const f = await loadRoute(base, route, {
    seconds: SECONDS_PER_ROUTE,
    connections: CONNECTIONS,
  });
  rows.push(figuresRow(f));
  expect(
    { errors: f.errors, timeouts: f.timeouts, non2xx: f.non2xx, wrong: f.wrong },
    f.firstWrong || f.statusCodes,
  ).toEqual({ errors: 0, timeouts: 0, non2xx: 0, wrong: 0 });
  expect(f.requests).toBeGreaterThan(0);
}

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${API_BASE}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const route = (name: string): RouteLoad => readRoutes(data).find((r) => r.name.includes(name))!;

describe('standalone API under load (1M events, 10K communities)', () => {
  it('serves the loaded store', async () => {
    const [integrity] = host!.json<IntegrityReport>('integrity');
    expect(integrity).toMatchObject({ ok: true, events: EVENTS, communities: COMMUNITIES });
    const list = await getJson('/communities?per_page=1');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(COMMUNITIES);
    const pair = data.pairs[0]!;
    const prevalence = await getJson(
      `/prevalence?parent=${encodeURIComponent(pair.parent)}&child=${encodeURIComponent(pair.child)}`,
    );
    expect(prevalence.status).toBe(200);
    expect((prevalence.body.environment as { events: number }).events).toBe(EVENTS);
    // A community's raw events are the very rows the builder stored for it.
    const id = data.communityIds[4_321]!;
    const detail = await getJson(`/communities/${id}`);
    const events = await getJson(`/communities/${id}/events`);
    const ids = (detail.body.events as { event: { event: { id: string } } }[]).map(
      (e) => e.event.event.id,
    );
    expect(ids).toHaveLength(data.communitySize(4_321));
    expect(events.body.events).toEqual(ids.map((e) => data.event(Number(e.slice('load-'.length)))));
  });

  it('list: paging, every sort and direction, host / score / status / text filters', async () => {
    await hammer(route('(list)'));
  }, 60_000);

  it('detail: random community ids', async () => {
    await hammer(route('(detail)'));
  }, 60_000);

  it('raw events of random communities (events table by id)', async () => {
    await hammer(route('/events'));
  }, 60_000);

  it('prevalence: aggregations over the events table', async () => {
    await hammer(route('/prevalence'));
  }, 60_000);

  it('shuts down cleanly (SIGTERM) while requests whose clients hung up are still being worked on', async () => {
    const controller = new AbortController();
    const abandoned = Array.from({ length: 30 }, (_, i) => {
      const p = data.pairs[i % data.pairs.length]!;
      return fetch(
        `${base}${API_BASE}/prevalence?parent=${encodeURIComponent(p.parent)}&child=${encodeURIComponent(p.child)}`,
        { signal: controller.signal },
      ).catch(() => undefined);
    });
    // Long enough for the host to have taken them on, far shorter than answering them all.
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    await Promise.all(abandoned);
    expect(await host!.stop()).toEqual({ code: 0, signal: null });
    expect(host!.lines).toContain('closed');
  }, 60_000);
});
