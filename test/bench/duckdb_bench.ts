/**
 * Embedded store (DuckDB) figures: NDJSON import through the normaliser, prevalence
 * aggregation, event streaming and the community list query. Input is generated up front (not
 * timed) by the store's deterministic volume generator; everything runs in a temp directory.
 *
 *   BENCH_DUCKDB_EVENTS=200000 npm run bench -- duckdb   (default 1,000,000)
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCommunitiesQuery } from '../../common/schemas';
import type { AnomalousCommunity } from '../../common/types/community';
import { openEmbeddedStore } from '../../server/stores/duckdb/embedded_store';
import { fixtureCommunity } from '../../server/stores/testing/fixtures';
import { volumeEvents, volumeLines } from '../../server/stores/testing/volume';
import type { BenchFigure } from './run';

const EVENTS = Number(process.env.BENCH_DUCKDB_EVENTS ?? 1_000_000);
const COMMUNITIES = 10_000;
const HOSTS = 500;
const SPAN_MS = 7 * 86_400_000;
const START = Date.parse('2024-03-01T00:00:00.000Z');

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const ws = createWriteStream(file);
  for (const l of lines)
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
  await new Promise<void>((resolve, reject) =>
    ws.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timeIt(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

export async function benchDuckdb(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-duckdb-'));
  const k = `${Math.round(EVENTS / 1000)}K`;
  try {
    const file = join(dir, 'events.ndjson');
    await writeLines(
      file,
      volumeLines({ count: EVENTS, hosts: HOSTS, startMs: START, spanMs: SPAN_MS }),
    );
    const dbPath = join(dir, 'bench.duckdb');
    const store = await openEmbeddedStore(dbPath);
    try {
      // 1. Import: read + normalise + derive + insert, committed in batches.
      let t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const report = await store.importEvents(file, { batchSize: 20_000 });
      const importS = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      figures.push({
        name: `import ${k} ECS NDJSON events (normalise + store)`,
        value: report.inserted / importS,
        unit: 'events/s',
      });
      figures.push({ name: `import ${k} events wall time`, value: importS, unit: 's' });
      // CPU time (all threads) does not depend on what else the machine is running.
      figures.push({
        name: `import CPU time per 1M events (user + system, all threads)`,
        value: ((cpu.user + cpu.system) / 1e6) * (1_000_000 / Math.max(1, report.inserted)),
        unit: 'cpu-s',
      });
      t0 = performance.now();
      const again = await store.importEvents(file, { batchSize: 20_000 });
      figures.push({
        name: `re-import ${k} events (all duplicates)`,
        value: again.duplicates / ((performance.now() - t0) / 1000),
        unit: 'events/s',
      });
      figures.push({
        name: `process RSS after importing ${k} events`,
        value: process.memoryUsage().rss / 2 ** 20,
        unit: 'MiB',
      });
      await store.checkpoint();
      figures.push({
        name: `database file after ${k} events`,
        value: statSync(dbPath).size / 2 ** 20,
        unit: 'MiB',
      });

      // 2. Prevalence: the aggregations a detection run needs, over the whole lookback.
      const window = {
        start: new Date(START).toISOString(),
        end: new Date(START + SPAN_MS).toISOString(),
      };
      const sample = [
        ...volumeEvents({ count: 5_000, hosts: HOSTS, startMs: START, spanMs: SPAN_MS }),
      ];
      const pairs = sample.map((e) => ({
        parentName: e.process.parent.executable ?? '',
        childName: e.process.name,
      }));
      const cmds = sample.map((e) => ({
        processName: e.process.name,
        template: e.process.command_line ?? '',
      }));
      const prevalenceMs = await timeIt(async () => {
        const svc = await store.prevalence.forWindow(window);
        await svc.childGivenParent(pairs);
        await svc.cmdlineGivenProcess(cmds);
      }, 5);
      figures.push({
        name: `prevalence forWindow + pair & template GROUP BY over ${k} events`,
        value: prevalenceMs,
        unit: 'ms',
      });
      const singleMs = await timeIt(async () => {
        const svc = await store.prevalence.forWindow(window);
        await svc.childGivenParent([{ parentName: 'cmd.exe', childName: 'whoami.exe' }]);
      }, 5);
      figures.push({
        name: `prevalence of one pair over ${k} events (route)`,
        value: singleMs,
        unit: 'ms',
      });

      // 3. Streaming a detection window and a whole partition.
      const oneHour = {
        start: new Date(START + 86_400_000).toISOString(),
        end: new Date(START + 86_400_000 + 3_600_000).toISOString(),
      };
      let n = 0;
      const hourMs = await timeIt(async () => {
        n = 0;
        for await (const _e of store.events.readEvents({ window: oneHour })) n++;
      }, 3);
      figures.push({ name: `readEvents 1 h window (${n} events)`, value: hourMs, unit: 'ms' });
      t0 = performance.now();
      n = 0;
      for await (const _e of store.events.readEvents({ window, partition: { index: 0, count: 2 } }))
        n++;
      figures.push({
        name: `readEvents partition 1/2 of ${k}`,
        value: n / ((performance.now() - t0) / 1000),
        unit: 'events/s',
      });

      // 4. The list view over 10K communities.
      const cs: AnomalousCommunity[] = [];
      for (let i = 0; i < COMMUNITIES; i++) {
        const host = `wks${String(i % HOSTS).padStart(4, '0')}.corp.example.com`;
        const start = new Date(START + (i % 500) * 900_000).toISOString();
        const end = new Date(START + (i % 500) * 900_000 + 2_700_000).toISOString();
        cs.push(
          fixtureCommunity({
            host,
            window: { start, end },
            tag: `b${i}`,
            score: 0.5 + ((i * 7919) % 500) / 1000,
            rank: (i % 50) + 1,
          }),
        );
      }
      t0 = performance.now();
      for (let i = 0; i < cs.length; i += 1_000) {
        await store.communities.writeCommunities(cs.slice(i, i + 1_000), {
          runId: `bench-${i}`,
          detectedAt: new Date().toISOString(),
          replaced: [],
        });
      }
      figures.push({
        name: `writeCommunities ${COMMUNITIES} (batches of 1,000)`,
        value: COMMUNITIES / ((performance.now() - t0) / 1000),
        unit: 'communities/s',
      });
      const cases: Array<[string, Record<string, unknown>]> = [
        ['default (max_score desc, page 1)', {}],
        ['page 40, sort first_seen asc', { sort: 'first_seen', direction: 'asc', page: 40 }],
        ['host filter', { host: 'wks0042.corp.example.com' }],
        ['status + min_score', { status: 'open', min_score: 0.8 }],
        ['free text q over command lines', { q: 'domain admins' }],
      ];
      for (const [label, q] of cases) {
        const parsed = listCommunitiesQuery.parse(q);
        const ms = await timeIt(() => store.communities.list(parsed), 15);
        figures.push({
          name: `list ${COMMUNITIES} communities: ${label}`,
          value: ms,
          unit: 'ms (median)',
        });
      }
      const one = cs[123] as AnomalousCommunity;
      figures.push({
        name: 'triage (optimistic update + history)',
        value: await timeIt(
          () => store.communities.triage(one.id, { note: `n${Math.random()}` }, 'bench'),
          15,
        ),
        unit: 'ms (median)',
      });
    } finally {
      await store.close();
    }
    // 5. The store alone, without the normaliser: already-normalised events in, same batching.
    const storeOnly = await openEmbeddedStore(join(dir, 'store_only.duckdb'));
    try {
      const n = Math.min(EVENTS, 200_000);
      const events = [
        ...volumeEvents({
          count: n,
          hosts: HOSTS,
          startMs: START,
          spanMs: SPAN_MS,
          idPrefix: 'so',
        }),
      ];
      const t0 = performance.now();
      await storeOnly.insertEvents(events, { batchSize: 20_000 });
      figures.push({
        name: `insertEvents ${Math.round(n / 1000)}K pre-normalised events (store only)`,
        value: n / ((performance.now() - t0) / 1000),
        unit: 'events/s',
      });
    } finally {
      await storeOnly.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
