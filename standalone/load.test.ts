/**
 * The standalone API under concurrent load, with a production-sized embedded store: a million
 * events and ten thousand communities. The host runs as its own process (as `problemchild serve`
 * does) and autocannon drives each read route for a few seconds from this process over
 * 127.0.0.1: the community list (paging, every sort, filters), community detail and its raw
 * events (random ids), and prevalence (aggregations over the events table).
 *
 * Asserted: every request answered, none failed, timed out or came back non-2xx, and every
 * answer was about what was asked. Latency and throughput are printed, not asserted: they
 * depend on whatever else the machine is running.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SORT_FIELDS } from '../common/schemas';
import { HostProcess } from './test_support/host_process';
import { buildLoadStore, type LoadData } from './test_support/load_data';

const EVENTS = 1_000_000;
const COMMUNITIES = 10_000;
const SECONDS_PER_ROUTE = 4;
const CONNECTIONS = 10;
const API = '/internal/problem_child';

let root: string;
let host: HostProcess | undefined;
let base: string;
let data: LoadData;
let prepSeconds: number;
const figures: string[] = [];

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
      `${'route'.padEnd(34)} ${'requests'.padStart(9)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
      ...figures,
      '',
    ].join('\n'),
  );
}, 60_000);

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

interface Target {
  /** The next request's path, and what its answer must contain. */
  next(): { path: string; expect: string };
}

/**
 * Runs autocannon against one route and checks every answer: transport errors, timeouts and
 * non-2xx responses are counted by autocannon, answers about something else by `wrong`.
 */
async function hammer(name: string, target: Target): Promise<void> {
  let wrong = 0;
  let firstWrong = '';
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS_PER_ROUTE,
    // Seconds; a request slower than this is a timeout, and a timeout fails the test.
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (req, context) => {
          const { path, expect: mustContain } = target.next();
          (context as { expect?: string }).expect = mustContain;
          return { ...req, path: `${API}${path}` };
        },
        onResponse: (status, body, context) => {
          const mustContain = (context as { expect?: string }).expect ?? '';
          if (status === 200 && !body.includes(mustContain)) {
            wrong++;
            firstWrong ||= `expected ${mustContain} in ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  figures.push(
    `${name.padEnd(34)} ${String(result.requests.total).padStart(9)} ${result.requests.average.toFixed(0).padStart(8)} ` +
      `${String(result.latency.p50).padStart(8)} ${String(result.latency.p99).padStart(8)} ${String(result.latency.max).padStart(8)}`,
  );
  expect(
    { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, wrong },
    firstWrong || JSON.stringify(result.statusCodeStats),
  ).toEqual({ errors: 0, timeouts: 0, non2xx: 0, wrong: 0 });
  expect(result['2xx']).toBeGreaterThan(0);
  expect(result['2xx']).toBe(result.requests.total);
}

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${API}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('standalone API under load (1M events, 10K communities)', () => {
  it('serves the loaded store', async () => {
    const list = await getJson('/communities?per_page=1');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(COMMUNITIES);
    const prevalence = await getJson(
      `/prevalence?parent=${encodeURIComponent(data.pairs[0]!.parent)}&child=${encodeURIComponent(data.pairs[0]!.child)}`,
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
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(events.body.events).toEqual(ids.map((e) => data.event(Number(e.slice('load-'.length)))));
  });

  it('list: paging, every sort and direction, host / score / status / text filters', async () => {
    const filters: (() => string)[] = [
      () => '',
      () => `&host=${encodeURIComponent(pick(data.hosts))}`,
      () => `&min_score=${pick(['0.6', '0.8', '0.95'])}`,
      () => `&status=open`,
      () => `&q=${pick(['domain', 'whoami', 'iwr'])}`,
    ];
    await hammer('GET /communities (list)', {
      next: () => {
        const perPage = pick([20, 50, 100]);
        const filter = pick(filters)();
        // Deep pages only where the filter leaves enough rows to reach them.
        const pages =
          filter.includes('host=') || filter.includes('q=') ? 2 : 1 + COMMUNITIES / perPage / 2;
        const page = 1 + Math.floor(Math.random() * pages);
        return {
          path: `/communities?page=${page}&per_page=${perPage}&sort=${pick(SORT_FIELDS)}&direction=${pick(['asc', 'desc'])}${filter}`,
          expect: `"page":${page},"perPage":${perPage},`,
        };
      },
    });
  }, 60_000);

  it('detail: random community ids', async () => {
    await hammer('GET /communities/{id} (detail)', {
      next: () => {
        const id = pick(data.communityIds);
        return { path: `/communities/${id}`, expect: `"id":"${id}"` };
      },
    });
  }, 60_000);

  it('raw events of random communities (events table by id)', async () => {
    await hammer('GET /communities/{id}/events', {
      next: () => {
        const c = Math.floor(Math.random() * COMMUNITIES);
        return {
          path: `/communities/${data.communityIds[c]}/events`,
          expect: `{"total":${data.communitySize(c)},"events":[{`,
        };
      },
    });
  }, 60_000);

  it('prevalence: aggregations over the events table', async () => {
    await hammer('GET /prevalence', {
      next: () => {
        const p = pick(data.pairs);
        const q = `parent=${encodeURIComponent(p.parent)}&child=${encodeURIComponent(p.child)}`;
        return {
          path: `/prevalence?${q}&command_line=${encodeURIComponent(p.commandLine)}`,
          expect: `"events":${EVENTS}`,
        };
      },
    });
  }, 60_000);

  it('shuts down cleanly (SIGTERM) while requests whose clients hung up are still being worked on', async () => {
    const controller = new AbortController();
    const abandoned = Array.from({ length: 30 }, (_, i) => {
      const p = data.pairs[i % data.pairs.length]!;
      return fetch(
        `${base}${API}/prevalence?parent=${encodeURIComponent(p.parent)}&child=${encodeURIComponent(p.child)}`,
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
