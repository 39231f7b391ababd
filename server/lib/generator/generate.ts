/**
 * Public entry: a seeded, labelled stream of synthetic process-creation events over a whole
 * simulated fleet. Each host is its own simulator producing time-ordered processes; a k-way
 * merge over the hosts' heads (min-heap on start time, then host index) yields one globally
 * sorted stream. Memory is bounded by hosts × processes in flight, not by the stream length.
 */
import type { EventLabel, ProcessEvent } from '../../../common/types/process_event';
import { installBenignSources } from './benign';
import { buildEnvironment, DAY_MS, type Environment } from './environment';
import { MinHeap } from './heap';
import { HostSim, type ProcNode } from './host_sim';
import { installLifecycle, type TimelinePart } from './lifecycle';
import { toEcs, toLabel, toSysmon, type SysmonFlatRecord } from './records';
import { attackParts, planAttacks, type AttackPlan } from './scenarios';

export type OutputFormat = 'ecs' | 'sysmon';

export interface GenerateOptions {
  /** Number of hosts (workstations, servers, domain controllers are derived). Default 20. */
  hosts?: number;
  /** Days simulated. Default 3. */
  days?: number;
  /** Attack scenario instances injected. Default 10. */
  attacks?: number;
  /** Any string or number; the same seed gives byte-identical output. Default 1. */
  seed?: string | number;
  /** ISO date (UTC) the window starts at. Default 2026-01-05T00:00:00Z (a Monday). */
  start?: string;
  /** Average process creations of a workstation weekday; servers run ~1.5x, DCs ~2x. Default 1000. */
  eventsPerHostDay?: number;
  /** Stop after this many events (benchmarks and tests). */
  maxEvents?: number;
  /** Also build the flat Sysmon record for each event. Default 'ecs'. */
  format?: OutputFormat;
  /** File name recorded in each ECS event's problemchild.sources. */
  sourceFile?: string;
}

export interface ResolvedOptions {
  hosts: number;
  days: number;
  attacks: number;
  seed: string;
  start: string;
  eventsPerHostDay: number;
  maxEvents: number | null;
  format: OutputFormat;
  sourceFile: string;
}

export interface GeneratedRecord {
  event: ProcessEvent;
  label: EventLabel;
  /** Present when format is 'sysmon'. */
  sysmon?: SysmonFlatRecord;
}

export const DEFAULT_START = '2026-01-05T00:00:00Z';

/** Thrown for invalid options; `option` names the offending one. */
export class GeneratorOptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'GeneratorOptionError';
  }
}

function intOption(
  name: string,
  value: number | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  const v = value ?? dflt;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new GeneratorOptionError(
      name,
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return v;
}

export function resolveOptions(opts: GenerateOptions = {}): ResolvedOptions {
  const start = opts.start ?? DEFAULT_START;
  const startMs = Date.parse(start);
  if (Number.isNaN(startMs))
    throw new GeneratorOptionError('start', `start must be an ISO date, got '${start}'`);
  const seed = String(opts.seed ?? 1);
  if (seed.length === 0) throw new GeneratorOptionError('seed', 'seed must not be empty');
  const format = opts.format ?? 'ecs';
  if (format !== 'ecs' && format !== 'sysmon') {
    throw new GeneratorOptionError(
      'format',
      `format must be 'ecs' or 'sysmon', got '${String(format)}'`,
    );
  }
  let maxEvents: number | null = null;
  if (opts.maxEvents !== undefined)
    maxEvents = intOption('maxEvents', opts.maxEvents, 0, 1, Number.MAX_SAFE_INTEGER);
  return {
    hosts: intOption('hosts', opts.hosts, 20, 1, 100_000),
    days: intOption('days', opts.days, 3, 1, 3650),
    attacks: intOption('attacks', opts.attacks, 10, 0, 1_000_000),
    seed,
    start: new Date(startMs).toISOString(),
    eventsPerHostDay: intOption('eventsPerHostDay', opts.eventsPerHostDay, 1000, 1, 1_000_000),
    maxEvents,
    format,
    sourceFile: opts.sourceFile ?? 'synthetic.events.ndjson',
  };
}

export interface GeneratorRun {
  options: ResolvedOptions;
  env: Environment;
  plans: AttackPlan[];
  records: () => Generator<GeneratedRecord>;
}

/** Build the environment and attack plan; records() then streams the events. */
export function createGenerator(opts: GenerateOptions = {}): GeneratorRun {
  const options = resolveOptions(opts);
  const env = buildEnvironment({
    seed: options.seed,
    hosts: options.hosts,
    days: options.days,
    startMs: Date.parse(options.start),
    eventsPerHostDay: options.eventsPerHostDay,
  });
  const plans = planAttacks(env, options.attacks);
  const records = function* (): Generator<GeneratedRecord> {
    const parts = attackParts(env, plans);
    const sims = env.hosts.map((host) => {
      const sim = new HostSim(env, host);
      const byDay = parts.get(host.index);
      installLifecycle(sim, (day: number): TimelinePart[] => byDay?.get(day) ?? []);
      installBenignSources(sim);
      return sim;
    });
    interface Head {
      sim: HostSim;
      node: ProcNode;
    }
    const heap = new MinHeap<Head>(
      (a, b) =>
        a.node.start < b.node.start ||
        (a.node.start === b.node.start && a.sim.host.index < b.sim.host.index),
    );
    for (const sim of sims) {
      const node = sim.peek();
      if (node) heap.push({ sim, node });
    }
    let line = 0;
    const limit = options.maxEvents ?? Number.POSITIVE_INFINITY;
    while (heap.size > 0 && line < limit) {
      const head = heap.pop() as Head;
      const node = head.sim.pop() as ProcNode;
      line++;
      const rec: GeneratedRecord = {
        event: toEcs(node, options.sourceFile, line),
        label: toLabel(node),
      };
      if (options.format === 'sysmon') rec.sysmon = toSysmon(node);
      const next = head.sim.peek();
      if (next) heap.push({ sim: head.sim, node: next });
      yield rec;
    }
  };
  return { options, env, plans, records };
}

/** Synchronous stream: the fast path for writers and benchmarks. */
export function* generateSync(opts: GenerateOptions = {}): Generator<GeneratedRecord> {
  yield* createGenerator(opts).records();
}

/** Async stream of labelled events, globally sorted by @timestamp. */
export async function* generate(opts: GenerateOptions = {}): AsyncGenerator<GeneratedRecord> {
  for (const rec of generateSync(opts)) yield rec;
}

export { DAY_MS };
