/**
 * The standalone API under concurrent load: the host as its own process on an embedded store
 * with 1M events and 10K communities, autocannon on each read route in turn (list, detail, raw
 * events, prevalence) from this process over 127.0.0.1.
 *
 *   BENCH_API_EVENTS=200000 BENCH_API_SECONDS=5 npm run bench -- api
 *   (defaults: 1,000,000 events, 10,000 communities, 10 connections, 15 s per route)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRoute, readRoutes } from '../../standalone/test_support/api_load';
import { HostProcess } from '../../standalone/test_support/host_process';
import { buildLoadStore } from '../../standalone/test_support/load_data';
import type { BenchFigure } from './run';

const EVENTS = Number(process.env.BENCH_API_EVENTS ?? 1_000_000);
const COMMUNITIES = Number(process.env.BENCH_API_COMMUNITIES ?? 10_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);

export async function benchApi(): Promise<BenchFigure[]> {
  const root = mkdtempSync(join(tmpdir(), 'pc-api-bench-'));
  const staticDir = join(root, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
  const k = `${Math.round(EVENTS / 1000)}K events / ${Math.round(COMMUNITIES / 1000)}K communities`;
  const figures: BenchFigure[] = [];
  let host: HostProcess | undefined;
  try {
    const data = await buildLoadStore(join(root, 'data', 'problemchild.duckdb'), {
      events: EVENTS,
      communities: COMMUNITIES,
    });
    figures.push(
      { name: `build ${k}: events`, value: data.eventsMs / 1000, unit: 's' },
      { name: `build ${k}: communities`, value: data.communitiesMs / 1000, unit: 's' },
    );
    host = HostProcess.start({ data: join(root, 'data'), staticDir });
    const base = await host.url();
    await host.waitFor((l) => l === 'ready');
    for (const route of readRoutes(data)) {
      const f = await loadRoute(base, route, { seconds: SECONDS, connections: CONNECTIONS });
      const failed = f.errors + f.timeouts + f.non2xx + f.wrong;
      if (failed > 0)
        throw new Error(`${f.name}: ${failed} failed requests (${f.firstWrong || f.statusCodes})`);
      figures.push(
        {
          name: `${f.name}: throughput (${CONNECTIONS} conn.)`,
          value: f.requestsPerSecond,
          unit: 'req/s',
        },
        { name: `${f.name}: p50`, value: f.p50, unit: 'ms' },
        { name: `${f.name}: p99`, value: f.p99, unit: 'ms' },
      );
    }
  } finally {
    if (host) await host.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return figures;
}
