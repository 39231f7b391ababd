/**
 * Detection engine figures on 500K synthetic scored edges (generated in memory up front, not
 * timed): process-graph build, lineage-weighted Louvain, prevalence counting and the whole
 * findBadCommunities run, over 100 hosts × 5,000 events, plus the same volume on one host.
 *
 *   BENCH_DETECTION_EVENTS=100000 npm run bench -- detection   (default 500,000)
 */
import type { ScoredEvent } from '../../common/types/scoring';
import { detectCommunities } from '../../server/lib/detection/communities';
import { findBadCommunities } from '../../server/lib/detection/find_bad_communities';
import { InMemoryPrevalence } from '../../server/lib/detection/prevalence';
import { buildProcessGraph } from '../../server/lib/detection/process_graph';
import { seededRng } from '../../server/lib/prng';
import { groupByHostWindow } from '../../server/lib/detection/windowing';

const EVENTS = Number(process.env.BENCH_DETECTION_EVENTS ?? 500_000);
const HOSTS = 100;
const START = Date.parse('2024-03-04T00:00:00.000Z');
const DAY = 86_400_000;

const HUBS = ['services.exe', 'explorer.exe', 'svchost.exe', 'wmiprvse.exe'];
const CHILDREN = [
  'svchost.exe',
  'chrome.exe',
  'cmd.exe',
  'conhost.exe',
  'powershell.exe',
  'taskhostw.exe',
  'dllhost.exe',
  'outlook.exe',
  'msedge.exe',
  'rundll32.exe',
];

/**
 * Per host: a few long-lived hubs, then processes whose parent is a hub (35%) or a recent
 * process (process trees), scored low except ~1% anomalous subtrees — the shape of the
 * stack-facts Louvain measurements.
 */
export function benchEvents(total: number, hosts: number, seed = 1): ScoredEvent[] {
  const rand = seededRng(seed);
  const out: ScoredEvent[] = [];
  const perHost = Math.ceil(total / hosts);
  for (let h = 0; h < hosts && out.length < total; h++) {
    const host = `bench-${String(h).padStart(4, '0')}`;
    const procs: Array<{ id: string; name: string; hot: boolean }> = HUBS.map((name, i) => ({
      id: `${host}-hub${i}`,
      name,
      hot: false,
    }));
    for (let i = 0; i < perHost && out.length < total; i++) {
      const useHub = rand() < 0.35;
      const parent = useHub
        ? (procs[Math.floor(rand() * HUBS.length)] as (typeof procs)[number])
        : (procs[
            procs.length - 1 - Math.floor(rand() * Math.min(50, procs.length))
          ] as (typeof procs)[number]);
      const name = CHILDREN[Math.floor(rand() * CHILDREN.length)] as string;
      const hot = parent.hot ? rand() < 0.9 : rand() < 0.002;
      const id = `${host}-${i}`;
      procs.push({ id, name, hot });
      out.push({
        event: {
          '@timestamp': new Date(START + Math.floor((i / perHost) * DAY)).toISOString(),
          host: { name: host },
          event: { category: ['process'], type: ['start'], action: 'start', id: `e-${id}` },
          process: {
            entity_id: id,
            name,
            // Routine command lines share a template; anomalous ones are one-offs, as in an attack.
            command_line: hot
              ? `${name} /c stage${Math.floor(rand() * 1e6)}x.exe`
              : `${name} /arg ${Math.floor(rand() * 20)}`,
            parent: { entity_id: parent.id, name: parent.name },
          },
          user: { name: `u${h % 7}` },
          problemchild: { sources: [] },
        },
        score: hot ? 0.6 + 0.4 * rand() : 0.15 * rand() ** 3,
        scoreSource: 'model',
        topFeatures: [],
      });
    }
  }
  return out;
}

function peakRssMb(): number {
  // maxRSS is in kilobytes on every platform Node supports.
  return process.resourceUsage().maxRSS / 1024;
}

export async function benchDetection(): Promise<{ name: string; value: number; unit: string }[]> {
  const figures: { name: string; value: number; unit: string }[] = [];
  const events = benchEvents(EVENTS, HOSTS);
  const n = events.length;
  const k = `${Math.round(n / 1000)}K`;
  const inputRssMb = process.memoryUsage().rss / 2 ** 20;
  figures.push({
    name: `RSS with the ${k} scored events in memory (input)`,
    value: inputRssMb,
    unit: 'MB',
  });

  // The whole job first, so its peak RSS is not inflated by the separate timings below.
  let t0 = performance.now();
  const prevalence = await InMemoryPrevalence.fromEvents(events.map((e) => e.event));
  const prevMs = performance.now() - t0;
  t0 = performance.now();
  const res = await findBadCommunities(events, { prevalence, seed: 42, window: '1d' });
  const findMs = performance.now() - t0;
  figures.push(
    {
      name: `in-memory prevalence build, ${k} events`,
      value: n / (prevMs / 1000),
      unit: 'events/s',
    },
    {
      name: `findBadCommunities end to end, ${k} events, ${HOSTS} hosts`,
      value: n / (findMs / 1000),
      unit: 'events/s',
    },
    { name: `findBadCommunities wall time, ${k} events`, value: findMs / 1000, unit: 's' },
    {
      name: 'communities / flagged',
      value: res.stats.communities,
      unit: `communities (${res.stats.flagged} flagged)`,
    },
    {
      name: 'peak RSS, whole process (input + prevalence + detection)',
      value: peakRssMb(),
      unit: 'MB',
    },
  );

  // Graph build and Louvain alone, one host-day graph at a time (as the job holds them).
  let buildMs = 0;
  let louvainMs = 0;
  for (const g of groupByHostWindow(events, { windowMs: DAY })) {
    t0 = performance.now();
    const pg = buildProcessGraph(g.events, g.host);
    buildMs += performance.now() - t0;
    t0 = performance.now();
    detectCommunities(pg, 42);
    louvainMs += performance.now() - t0;
  }
  figures.push(
    {
      name: `graph build, ${k} edges on ${HOSTS} hosts`,
      value: n / (buildMs / 1000),
      unit: 'events/s',
    },
    {
      name: `lineage-weighted Louvain, ${k} edges on ${HOSTS} hosts`,
      value: n / (louvainMs / 1000),
      unit: 'events/s',
    },
    {
      name: `graph build + Louvain, ${k} edges on ${HOSTS} hosts`,
      value: n / ((buildMs + louvainMs) / 1000),
      unit: 'events/s',
    },
  );

  // The same volume as one host's graph: the worst case for one Louvain run.
  const single = events.map((e) => ({ ...e, event: { ...e.event, host: { name: 'one-host' } } }));
  t0 = performance.now();
  const big = buildProcessGraph(single, 'one-host');
  const bigBuild = performance.now() - t0;
  t0 = performance.now();
  detectCommunities(big, 42);
  const bigLouvain = performance.now() - t0;
  figures.push(
    {
      name: `graph build + Louvain, ${k} edges on 1 host`,
      value: n / ((bigBuild + bigLouvain) / 1000),
      unit: 'events/s',
    },
    {
      name: 'peak RSS after the 1-host graph (two copies of the input)',
      value: peakRssMb(),
      unit: 'MB',
    },
  );
  return figures;
}
