/**
 * End-to-end detection job time (read → score → graphs → communities → prevalence → write) on
 * the embedded store and on a real Elasticsearch, over the same generated events.
 *
 *   BENCH_JOB_EVENTS=200000 npm run bench -- job   (default 1,000,000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessEvent } from '../../common/types/process_event';
import { runDetectionJob } from '../../server/jobs/detection_job';
import { generateSync } from '../../server/lib/generator/generate';
import { TfjsEdgeScorer } from '../../server/lib/model/scorer';
import type { Stores } from '../../server/ports';
import { openEmbeddedStore } from '../../server/stores/duckdb/embedded_store';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { EsStore } from '../../server/stores/elasticsearch/es_store';
import { ensureEventIndex, indexEvents } from '../../server/stores/elasticsearch/event_writer';
import { startElasticsearch } from '../harness/elasticsearch';
import type { BenchFigure } from './run';

const EVENTS = Number(process.env.BENCH_JOB_EVENTS ?? 1_000_000);
const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function batches(size: number): {
  events: Generator<ProcessEvent[]>;
  range: { from?: string; to?: string };
} {
  const range: { from?: string; to?: string } = {};
  function* gen(): Generator<ProcessEvent[]> {
    let batch: ProcessEvent[] = [];
    for (const r of generateSync({
      hosts: 200,
      days: Math.max(2, Math.ceil(EVENTS / 150_000)),
      attacks: 50,
      seed: 'job-bench',
      eventsPerHostDay: 1000,
      maxEvents: EVENTS,
    })) {
      range.from ??= r.event['@timestamp'];
      range.to = new Date(Date.parse(r.event['@timestamp']) + 1).toISOString();
      batch.push(r.event);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
  return { events: gen(), range };
}

async function timeJob(
  stores: Stores,
  range: { from?: string; to?: string },
  label: string,
): Promise<BenchFigure[]> {
  const scorer = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const t0 = performance.now();
  const report = await runDetectionJob(
    { stores, scorer: async () => scorer, logger: quiet },
    { partition: { index: 0, count: 1 }, range },
  );
  const ms = performance.now() - t0;
  clearInterval(timer);
  if (report.status !== 'succeeded')
    throw new Error(`${label} job ${report.status}: ${report.errors.join('; ')}`);
  return [
    {
      name: `${label}: job end to end (${report.eventsRead.toLocaleString('en-US')} events)`,
      value: ms / 1000,
      unit: 's',
    },
    { name: `${label}: job throughput`, value: report.eventsRead / (ms / 1000), unit: 'events/s' },
    { name: `${label}: flagged communities`, value: report.flagged, unit: '' },
    { name: `${label}: peak RSS during the job`, value: peak / 2 ** 20, unit: 'MiB' },
  ];
}

export async function benchJob(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-job-bench-'));
  const duck = await openEmbeddedStore(path.join(dir, 'bench.duckdb'));
  try {
    const { events, range } = batches(50_000);
    const t0 = performance.now();
    for (const b of events) await duck.insertEvents(b);
    figures.push({
      name: 'embedded: store generated events',
      value: EVENTS / ((performance.now() - t0) / 1000),
      unit: 'events/s',
    });
    figures.push(...(await timeJob(duck.stores, range, 'embedded')));
  } finally {
    await duck.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const es = process.env.ES_URL ? undefined : await startElasticsearch();
  const client = createEsClient({ node: process.env.ES_URL ?? es!.url, requestTimeoutMs: 120_000 });
  const index = 'pc-job-bench-events';
  const store = new EsStore({
    client,
    names: { communities: 'pc-job-bench-communities', state: 'pc-job-bench-state' },
    settingsDefaults: { indices: index },
  });
  try {
    await store.setup();
    await ensureEventIndex(client, index);
    const { events, range } = batches(10_000);
    const t0 = performance.now();
    for (const b of events) {
      const r = await indexEvents(client, index, b, { refresh: false });
      if (r.failed.length) throw new Error(`indexing failed: ${r.failed[0]!.reason}`);
    }
    await client.indices.refresh({ index });
    figures.push({
      name: 'elasticsearch: index generated events',
      value: EVENTS / ((performance.now() - t0) / 1000),
      unit: 'events/s',
    });
    figures.push(...(await timeJob(store.stores, range, 'elasticsearch')));
  } finally {
    await store.destroy().catch(() => undefined);
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => undefined);
    await client.close();
    await es?.stop();
  }
  return figures;
}
