/**
 * Elasticsearch store figures on a real single-node cluster: bulk indexing of generated events
 * (setup, reported for context), the event reader's throughput (point in time + search_after +
 * normalisation), the same with host partitioning, and the prevalence aggregations over the
 * whole event set. Starts the test distribution (test/harness/elasticsearch.ts) unless ES_URL
 * names a cluster, and removes everything it created.
 *
 *   BENCH_ES_EVENTS=200000 npm run bench -- es   (default 1,000,000)
 */
import type { Client } from '@elastic/elasticsearch';
import type { TimeWindow } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import { commandLineTemplate } from '../../server/lib/detection/command_line_template';
import { generateSync } from '../../server/lib/generator/generate';
import type { ReadAccounting } from '../../server/ports';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { EsEventSource } from '../../server/stores/elasticsearch/event_source';
import { ensureEventIndex, indexEvents } from '../../server/stores/elasticsearch/event_writer';
import {
  type EsPrevalence,
  EsPrevalenceProvider,
} from '../../server/stores/elasticsearch/prevalence';
import { startElasticsearch, type RunningElasticsearch } from '../harness/elasticsearch';
import type { BenchFigure } from './run';

const EVENTS = Number(process.env.BENCH_ES_EVENTS ?? 1_000_000);
const INDEX = 'pc-bench-events';
/** The generator's bench shape: 200 hosts, ~1M events over ten days. */
const SHAPE = {
  hosts: 200,
  days: 10,
  attacks: 100,
  seed: 'bench',
  eventsPerHostDay: 1000,
} as const;
const ALL: TimeWindow = { start: '2000-01-01T00:00:00.000Z', end: '2100-01-01T00:00:00.000Z' };

function* events(count: number): Generator<ProcessEvent> {
  for (const rec of generateSync({
    ...SHAPE,
    days: Math.max(SHAPE.days, Math.ceil(count / 150_000)),
    maxEvents: count,
  })) {
    yield rec.event;
  }
}

async function readAll(
  src: EsEventSource,
  partition?: { index: number; count: number },
): Promise<{ n: number; ms: number }> {
  const acc: ReadAccounting = { read: 0, normalised: 0, rejected: {}, skipped: {} };
  const t0 = performance.now();
  let n = 0;
  for await (const e of src.readEvents({ window: ALL, partition }, acc)) if (e) n++;
  return { n, ms: performance.now() - t0 };
}

export async function benchEs(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  let running: RunningElasticsearch | undefined;
  const url = process.env.ES_URL ?? (running = await startElasticsearch()).url;
  const client: Client = createEsClient({ node: url, requestTimeoutMs: 300_000 });
  const k = `${Math.round(EVENTS / 1000)}K`;
  try {
    await client.indices.delete({ index: INDEX, ignore_unavailable: true });
    await ensureEventIndex(client, INDEX, { shards: 2 });
    // Indexing is setup, not what the store does in production (agents write the events).
    await client.indices.putSettings({ index: INDEX, settings: { refresh_interval: '-1' } });
    let t0 = performance.now();
    const indexed = await indexEvents(client, INDEX, events(EVENTS), {
      batchSize: 5_000,
      refresh: true,
    });
    const indexSecs = (performance.now() - t0) / 1000;
    if (indexed.failed.length > 0)
      throw new Error(`${indexed.failed.length} events not indexed: ${indexed.failed[0]?.reason}`);
    await client.indices.forcemerge({ index: INDEX, max_num_segments: 1 });
    figures.push({
      name: `bulk-index ${k} generated events (setup, 2 shards)`,
      value: indexed.indexed / indexSecs,
      unit: 'events/s',
    });

    const src = new EsEventSource({ client, indices: () => INDEX });
    const warm = await readAll(src);
    const full = await readAll(src);
    if (full.n !== indexed.indexed || warm.n !== full.n)
      throw new Error(`read ${full.n} of ${indexed.indexed} events`);
    figures.push({
      name: `readEvents ${k} events (PIT + search_after, page 2,000)`,
      value: (full.n / full.ms) * 1000,
      unit: 'events/s',
    });
    figures.push({ name: `readEvents ${k} events: wall time`, value: full.ms / 1000, unit: 's' });

    // Our own slim documents: projection costs the server a parse per document and saves little.
    const whole = await readAll(
      new EsEventSource({ client, indices: () => INDEX, projectSource: false }),
    );
    figures.push({
      name: `readEvents ${k} events, whole _source (no projection)`,
      value: (whole.n / whole.ms) * 1000,
      unit: 'events/s',
    });

    let parted = 0;
    t0 = performance.now();
    for (let index = 0; index < 4; index++) parted += (await readAll(src, { index, count: 4 })).n;
    const partMs = performance.now() - t0;
    if (parted !== full.n) throw new Error(`partitions read ${parted} of ${full.n} events`);
    figures.push({
      name: `readEvents ${k} events as 4 host partitions (incl. host listing)`,
      value: (parted / partMs) * 1000,
      unit: 'events/s',
    });

    // Prevalence as a run with candidates everywhere would ask: every parent and every process
    // (the worst case), then as a typical run asks: the edges of a few dozen candidate communities.
    const parents = new Set<string>();
    const children = new Set<string>();
    const edges: { parentName: string; childName: string; template: string }[] = [];
    let seen = 0;
    for await (const e of src.readEvents({ window: ALL })) {
      const parentName = e.process.parent.name ?? e.process.parent.executable ?? '';
      parents.add(parentName);
      children.add(e.process.name);
      // Every 997th event stands in for a candidate edge: ~1,000 of them at 1M events.
      if (seen++ % 997 === 0 && edges.length < 200) {
        edges.push({
          parentName,
          childName: e.process.name,
          template: commandLineTemplate(e.process.command_line),
        });
      }
    }
    const provider = new EsPrevalenceProvider({ client, indices: () => INDEX });
    t0 = performance.now();
    const svc = (await provider.forWindow(ALL)) as EsPrevalence;
    const envMs = performance.now() - t0;
    await svc.childGivenParent([...parents].map((p) => ({ parentName: p, childName: 'cmd.exe' })));
    await svc.cmdlineGivenProcess([...children].map((c) => ({ processName: c, template: '' })));
    const fullMs = performance.now() - t0;
    figures.push({
      name: `prevalence over ${k} events, every name: total`,
      value: fullMs / 1000,
      unit: 's',
    });
    figures.push({ name: 'prevalence: environment (hosts, span)', value: envMs / 1000, unit: 's' });
    figures.push({
      name: 'prevalence: parent→child table, every parent',
      value: svc.stats.ms.pairs / 1000,
      unit: 's',
    });
    figures.push({
      name: 'prevalence: command-line table, every process',
      value: svc.stats.ms.commandLines / 1000,
      unit: 's',
    });
    figures.push({
      name: 'prevalence: raw (process, command line, host) buckets',
      value: svc.stats.commandLineBuckets,
      unit: 'buckets',
    });
    figures.push({
      name: 'prevalence: raw (parent, child, host) buckets',
      value: svc.stats.pairBuckets,
      unit: 'buckets',
    });
    figures.push({
      name: 'prevalence: search requests, every name',
      value: svc.stats.requests,
      unit: 'requests',
    });

    // A typical run: a fresh window (no cache), ~200 candidate edges.
    const typical = new EsPrevalenceProvider({ client, indices: () => INDEX });
    t0 = performance.now();
    const run = (await typical.forWindow({
      start: ALL.start,
      end: '2099-01-01T00:00:00.000Z',
    })) as EsPrevalence;
    await run.childGivenParent(edges);
    await run.cmdlineGivenProcess(
      edges.map((e) => ({ processName: e.childName, template: e.template })),
    );
    figures.push({
      name: `prevalence over ${k} events, ${edges.length} candidate edges`,
      value: (performance.now() - t0) / 1000,
      unit: 's',
    });
    figures.push({
      name: 'prevalence: raw command-line buckets for those edges',
      value: run.stats.commandLineBuckets,
      unit: 'buckets',
    });

    // Drill-down lookups: 1,000 ids spread over the stream (every n-th event, deterministic).
    const sample: string[] = [];
    const every = Math.max(1, Math.floor(full.n / 1_000));
    let i = 0;
    for await (const e of src.readEvents({ window: ALL })) {
      if (i++ % every === 0) sample.push(e.event.id);
      if (sample.length >= 1_000) break;
    }
    t0 = performance.now();
    const found = await src.eventsById(sample);
    const byIdMs = performance.now() - t0;
    if (found.length !== sample.length)
      throw new Error(`eventsById found ${found.length} of ${sample.length}`);
    figures.push({ name: `eventsById ${sample.length} ids`, value: byIdMs, unit: 'ms' });
    return figures;
  } finally {
    await client.indices.delete({ index: INDEX, ignore_unavailable: true }).catch(() => undefined);
    await client.close();
    await running?.stop();
  }
}
