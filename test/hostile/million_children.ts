/**
 * One parent with a million children, through the engine path the detection job runs: raw
 * Sysmon records → streaming normaliser → scorer in batches → prevalence → per-host graph,
 * Louvain and community scoring over a stream. Run as its own process
 * (`node --import tsx test/hostile/million_children.ts N`) so its peak RSS is its own; it
 * prints one JSON line of figures.
 *
 * The scorer is the deterministic test scorer: the model is not what is under test here, and
 * TensorFlow.js would add a minute per million events.
 */
import { pathToFileURL } from 'node:url';
import type { ProcessEvent } from '../../common/types/process_event';
import type { ScoredEvent } from '../../common/types/scoring';
import { findBadCommunitiesInStream } from '../../server/lib/detection/find_bad_communities';
import { InMemoryPrevalence } from '../../server/lib/detection/prevalence';
import { HeuristicTestScorer } from '../../server/lib/detection/testing/heuristic_scorer';
import { Normaliser } from '../../server/lib/normalise/normaliser';

export interface FanOutFigures {
  children: number;
  records: number;
  normalised: number;
  rejected: number;
  /** Events the engine placed in host-window groups. */
  engineEvents: number;
  nodes: number;
  edges: number;
  communities: number;
  flagged: number;
  /** Events of the flagged communities plus those of every other community. */
  eventsInCommunities: number;
  hosts: number;
  ms: number;
  /** CPU time (user + system): wall time alone says little on a shared machine. */
  cpuMs: number;
  peakRssMb: number;
}

const PARENT = '{0a0b0c0d-ffff-4000-8000-000000000000}';
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const DAY = 86_400_000;
const CHILDREN = ['whoami.exe', 'cmd.exe', 'net.exe', 'conhost.exe'];

function sysmonTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Flat Sysmon EID 1 records, made one at a time so the input itself takes no memory. */
function* records(n: number): Generator<Record<string, unknown>> {
  for (let i = 0; i < n; i++) {
    const child = CHILDREN[i % CHILDREN.length] as string;
    yield {
      EventID: 1,
      SourceName: 'Microsoft-Windows-Sysmon',
      Hostname: 'fanout.hostile.example',
      // Spread over the day: one daily window holds them all.
      UtcTime: sysmonTime(T0 + Math.floor((i * (DAY - 1)) / n)),
      ProcessGuid: `{0a0b0c0d-0000-4000-8000-${i.toString(16).padStart(12, '0')}}`,
      ProcessId: String(1000 + (i % 60_000)),
      Image: `C:\\Windows\\System32\\${child}`,
      CommandLine: `${child} /c task ${i % 97}`,
      User: 'CORP\\svc',
      ParentProcessGuid: PARENT,
      ParentProcessId: '4242',
      ParentImage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      ParentCommandLine: 'powershell.exe -nop -w hidden -c loop',
    };
  }
}

export async function runFanOut(n: number): Promise<FanOutFigures> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const normaliser = new Normaliser();
  const scorer = new HeuristicTestScorer();
  const prevalence = new InMemoryPrevalence({ lookbackDays: 30, asOf: T0 + DAY });

  async function* scored(): AsyncGenerator<ScoredEvent> {
    let batch: ProcessEvent[] = [];
    const ref = {
      kind: 'file' as const,
      file: 'fanout.ndjson',
      line: 0,
      format: 'sysmon_flat' as const,
    };
    let line = 0;
    for (const r of records(n)) {
      ref.line = ++line;
      for (const e of normaliser.pushRecord(r, { ...ref })) batch.push(e);
      if (batch.length >= 8_192) {
        for (const e of batch) prevalence.add(e);
        yield* await scorer.score(batch);
        batch = [];
      }
    }
    batch.push(...normaliser.flush());
    for (const e of batch) prevalence.add(e);
    yield* await scorer.score(batch);
  }

  const result = await findBadCommunitiesInStream(scored(), {
    prevalence,
    window: '1d',
  });
  const cpu = process.cpuUsage(cpu0);
  const s = normaliser.summary;
  const count = (cs: readonly { events: readonly unknown[] }[]): number =>
    cs.reduce((k, c) => k + c.events.length, 0);
  return {
    children: n,
    records: s.records,
    normalised: s.normalised,
    rejected: Object.values(s.rejected).reduce((a, b) => a + b, 0),
    engineEvents: result.stats.events,
    nodes: result.stats.nodes,
    edges: result.stats.edges,
    communities: result.stats.communities,
    flagged: result.communities.length,
    eventsInCommunities: count(result.communities) + count(result.unflagged ?? []),
    hosts: result.stats.hosts,
    ms: Math.round(performance.now() - t0),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(await runFanOut(n))}\n`);
}
