/**
 * The prevalence service: how common a parent→child step and a command-line shape are across the
 * whole environment (all hosts) over a lookback window. It is the environment-specific half of the
 * score: the model knows what is suspicious in general, prevalence knows what is routine here.
 *
 * The interface is small, batched and async so that the embedded-store (DuckDB) and Elasticsearch
 * implementations can answer a whole detection run with one query per method.
 */
import type {
  CmdlineKey,
  CmdlinePrevalence,
  PairKey,
  PairPrevalence,
  PrevalenceEnvironment,
} from '../../../common/types/community';
import type { ProcessEvent } from '../../../common/types/process_event';
import { SecondSightingCache } from '../normalise/bounded_map';
import { commandLineTemplate } from './command_line_template';
import { hostKey, processName } from './names';

export interface PrevalenceService {
  /** P(child | parent) with counts; one answer per input, in input order. */
  childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]>;
  /** P(template | process) with counts; one answer per input, in input order. */
  cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]>;
  /** Host count and time span the numbers cover (host spread is judged against it). */
  environment(): Promise<PrevalenceEnvironment>;
}

/** One key's counts as every prevalence store keeps them. */
export interface KeyCounts {
  count: number;
  hosts: number;
  first?: string;
  last?: string;
}

/** P(child | parent) with its counts; the same shape whichever store counted. */
export function pairPrevalence(
  parentName: string,
  childName: string,
  s: KeyCounts | undefined,
  parentTotal: number,
): PairPrevalence {
  const pairCount = s?.count ?? 0;
  return {
    parentName,
    childName,
    pairCount,
    parentTotal,
    distinctHosts: s?.hosts ?? 0,
    firstSeen: s?.first,
    lastSeen: s?.last,
    probability: parentTotal > 0 ? pairCount / parentTotal : 0,
  };
}

/** P(template | process) with its counts. */
export function cmdlinePrevalence(
  processName: string,
  template: string,
  s: KeyCounts | undefined,
  processTotal: number,
): CmdlinePrevalence {
  const templateCount = s?.count ?? 0;
  return {
    processName,
    template,
    templateCount,
    processTotal,
    distinctHosts: s?.hosts ?? 0,
    firstSeen: s?.first,
    lastSeen: s?.last,
    probability: processTotal > 0 ? templateCount / processTotal : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Distinct-host counting with bounded memory per key
// ---------------------------------------------------------------------------------------------

const EXACT_HOSTS = 32;
const SKETCH_BITS = 4096;

function mix32(x: number): number {
  // A hash of the interned host id, so sketch bits are spread even for consecutive ids.
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Exact for the first few dozen hosts, then a 512-byte linear-counting bitmap (about 2% error up
 * to ~10,000 hosts): memory per key stays bounded however many hosts an environment has.
 */
export class HostCounter {
  private exact: number[] | undefined = [];
  private bits: Uint32Array | undefined;

  add(hostId: number): void {
    if (this.exact) {
      if (this.exact.includes(hostId)) return;
      this.exact.push(hostId);
      if (this.exact.length <= EXACT_HOSTS) return;
      this.bits = new Uint32Array(SKETCH_BITS / 32);
      for (const h of this.exact) this.setBit(h);
      this.exact = undefined;
      return;
    }
    this.setBit(hostId);
  }

  private setBit(hostId: number): void {
    const b = mix32(hostId) % SKETCH_BITS;
    const bits = this.bits as Uint32Array;
    bits[b >>> 5] = (bits[b >>> 5] ?? 0) | (1 << (b & 31));
  }

  count(): number {
    if (this.exact) return this.exact.length;
    const bits = this.bits as Uint32Array;
    let ones = 0;
    for (const w of bits) {
      let v = w;
      while (v) {
        v &= v - 1;
        ones++;
      }
    }
    const zeros = SKETCH_BITS - ones;
    if (zeros === 0) return SKETCH_BITS * Math.log(SKETCH_BITS); // saturated: a floor, not an estimate
    return Math.max(EXACT_HOSTS + 1, Math.round(-SKETCH_BITS * Math.log(zeros / SKETCH_BITS)));
  }
}

interface KeyStats {
  count: number;
  hosts: HostCounter;
  first: number;
  last: number;
}

function newStats(t: number): KeyStats {
  return { count: 0, hosts: new HostCounter(), first: t, last: t };
}

function bump(s: KeyStats, hostId: number, t: number): void {
  s.count++;
  s.hosts.add(hostId);
  if (!Number.isFinite(t)) return;
  // Negated comparisons also replace a NaN left by an earlier event without a usable time.
  if (!(t >= s.first)) s.first = t;
  if (!(t <= s.last)) s.last = t;
}

const SEP = '\u0000';
const DAY_MS = 86_400_000;

function iso(t: number): string | undefined {
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

export interface InMemoryPrevalenceOptions {
  lookbackDays?: number;
  /**
   * End of the lookback window. Events after it or older than `asOf − lookback` are ignored.
   * Without it every event counts and the window is whatever the input covers (a file run builds
   * prevalence from the same input, so it passes the input's latest timestamp).
   */
  asOf?: string | number;
  /**
   * Cap on distinct keys. Keys first seen after the cap are not stored and read as "never seen",
   * which can only make an edge look rarer, never hide it.
   */
  maxKeys?: number;
}

/** Prevalence counted in memory from a stream of normalised events (file runs, tests). */
export class InMemoryPrevalence implements PrevalenceService {
  private readonly pairs = new Map<string, KeyStats>();
  private readonly parents = new Map<string, number>();
  private readonly templates = new Map<string, KeyStats>();
  private readonly processes = new Map<string, number>();
  private readonly hostIds = new Map<string, number>();
  private readonly lookbackMs: number;
  private readonly lookbackDays: number;
  private readonly from: number;
  private readonly to: number;
  private readonly maxKeys: number;
  private events = 0;
  private minT = Infinity;
  private maxT = -Infinity;
  /** Events outside the lookback window, and keys not stored because of `maxKeys`. */
  readonly ignored = { outsideWindow: 0, droppedKeys: 0 };

  constructor(opts: InMemoryPrevalenceOptions = {}) {
    this.lookbackDays = opts.lookbackDays ?? 30;
    this.lookbackMs = this.lookbackDays * DAY_MS;
    const asOf =
      opts.asOf === undefined
        ? NaN
        : typeof opts.asOf === 'number'
          ? opts.asOf
          : Date.parse(opts.asOf);
    this.to = Number.isFinite(asOf) ? asOf : Infinity;
    this.from = Number.isFinite(asOf) ? asOf - this.lookbackMs : -Infinity;
    this.maxKeys = opts.maxKeys ?? 5_000_000;
  }

  static async fromEvents(
    events: Iterable<ProcessEvent> | AsyncIterable<ProcessEvent>,
    opts: InMemoryPrevalenceOptions = {},
  ): Promise<InMemoryPrevalence> {
    const p = new InMemoryPrevalence(opts);
    await p.addAll(events);
    return p;
  }

  async addAll(events: Iterable<ProcessEvent> | AsyncIterable<ProcessEvent>): Promise<void> {
    for await (const e of events) this.add(e);
  }

  add(e: ProcessEvent): void {
    const k = prevalenceKeys(e);
    this.addKeys(k.t, k.host, k.parent, k.child, k.template);
  }

  /** One event given by its prevalence keys (see prevalenceKeys); `t` is epoch ms or NaN. */
  addKeys(t: number, host: string, parent: string, child: string, template: string): void {
    if (Number.isFinite(t) && (t < this.from || t > this.to)) {
      this.ignored.outsideWindow++;
      return;
    }
    const tt = Number.isFinite(t) ? t : NaN;
    let hostId = this.hostIds.get(host);
    if (hostId === undefined) this.hostIds.set(host, (hostId = this.hostIds.size));

    this.events++;
    if (Number.isFinite(tt)) {
      if (tt < this.minT) this.minT = tt;
      if (tt > this.maxT) this.maxT = tt;
    }
    this.parents.set(parent, (this.parents.get(parent) ?? 0) + 1);
    this.processes.set(child, (this.processes.get(child) ?? 0) + 1);
    this.bumpKey(this.pairs, parent + SEP + child, hostId, tt);
    this.bumpKey(this.templates, child + SEP + template, hostId, tt);
  }

  private bumpKey(map: Map<string, KeyStats>, key: string, hostId: number, t: number): void {
    let s = map.get(key);
    if (!s) {
      if (this.pairs.size + this.templates.size >= this.maxKeys) {
        this.ignored.droppedKeys++;
        return;
      }
      map.set(key, (s = newStats(t)));
    }
    bump(s, hostId, t);
  }

  async childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]> {
    return pairs.map(({ parentName, childName }) => {
      const parent = processName(parentName);
      const child = processName(childName);
      const s = this.pairs.get(parent + SEP + child);
      const parentTotal = this.parents.get(parent) ?? 0;
      return pairPrevalence(
        parent,
        child,
        s && { count: s.count, hosts: s.hosts.count(), first: iso(s.first), last: iso(s.last) },
        parentTotal,
      );
    });
  }

  async cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]> {
    return items.map(({ processName: name, template }) => {
      const proc = processName(name);
      const s = this.templates.get(proc + SEP + template);
      const processTotal = this.processes.get(proc) ?? 0;
      return cmdlinePrevalence(
        proc,
        template,
        s && { count: s.count, hosts: s.hosts.count(), first: iso(s.first), last: iso(s.last) },
        processTotal,
      );
    });
  }

  async environment(): Promise<PrevalenceEnvironment> {
    return {
      hosts: this.hostIds.size,
      events: this.events,
      from: iso(this.minT),
      to: iso(this.maxT),
      lookbackDays: this.lookbackDays,
    };
  }
}

/** What prevalence counts of one event: its time (epoch ms, NaN when unusable) and keys. */
export function prevalenceKeys(e: ProcessEvent): {
  t: number;
  host: string;
  parent: string;
  child: string;
  template: string;
} {
  return {
    t: Date.parse(e['@timestamp']),
    host: hostKey(e.host.name),
    parent: processName(e.process.parent.name ?? e.process.parent.executable),
    child: processName(e.process.name ?? e.process.executable),
    template: commandLineTemplate(e.process.command_line),
  };
}

/** Prevalence keys of a host's events: time, and parent, child and template as word ids. */
export interface HostKeys {
  times: Float64Array;
  /** Three per event: parent name, child name, command-line template (indices into words). */
  ids: Int32Array;
  words: string[];
}

// Templating is the costly part of the keys and most command lines recur (services, schedulers).
const templates = new SecondSightingCache<string>(65_536);

/** The keys prevalenceKeys gives, for events that all belong to one host, kept compactly. */
export function hostKeys(events: readonly ProcessEvent[]): HostKeys {
  const times = new Float64Array(events.length);
  const ids = new Int32Array(3 * events.length);
  const words: string[] = [];
  const dict = new Map<string, number>();
  const id = (w: string): number => {
    let i = dict.get(w);
    if (i === undefined) {
      dict.set(w, (i = words.length));
      words.push(w);
    }
    return i;
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as ProcessEvent;
    const cmd = e.process.command_line ?? '';
    let template = templates.get(cmd);
    if (template === undefined) {
      template = commandLineTemplate(cmd);
      templates.offer(cmd, template);
    }
    times[i] = Date.parse(e['@timestamp']);
    ids[3 * i] = id(processName(e.process.parent.name ?? e.process.parent.executable));
    ids[3 * i + 1] = id(processName(e.process.name ?? e.process.executable));
    ids[3 * i + 2] = id(template);
  }
  return { times, ids, words };
}

/**
 * Prevalence keys of a stream of events, kept compactly (a time and four dictionary ids per
 * event) until the lookback window is known. A file run learns where its window ends (the newest
 * plausible event) only after reading everything, and must not hold the events themselves.
 */
export class PrevalenceLog {
  private times = new Float64Array(1024);
  private ids = new Int32Array(4 * 1024);
  private n = 0;
  private readonly dict = new Map<string, number>();
  private readonly words: string[] = [];

  get size(): number {
    return this.n;
  }

  /** One event (a host's keys for a batch of one). */
  add(e: ProcessEvent): void {
    this.addHost(hostKey(e.host.name), hostKeys([e]));
  }

  private id(word: string): number {
    let i = this.dict.get(word);
    if (i === undefined) {
      this.dict.set(word, (i = this.words.length));
      this.words.push(word);
    }
    return i;
  }

  /** A host's events given by their keys (hostKeys). */
  addHost(host: string, keys: HostKeys): void {
    const hostId = this.id(host);
    const local = keys.words.map((w) => this.id(w));
    for (let i = 0; i < keys.times.length; i++) {
      this.reserve();
      const at = this.n++;
      this.times[at] = keys.times[i] as number;
      this.ids[4 * at] = hostId;
      this.ids[4 * at + 1] = local[keys.ids[3 * i] as number] as number;
      this.ids[4 * at + 2] = local[keys.ids[3 * i + 1] as number] as number;
      this.ids[4 * at + 3] = local[keys.ids[3 * i + 2] as number] as number;
    }
  }

  private reserve(): void {
    if (this.n < this.times.length) return;
    const times = new Float64Array(this.n * 2);
    times.set(this.times);
    this.times = times;
    const ids = new Int32Array(this.n * 8);
    ids.set(this.ids);
    this.ids = ids;
  }

  /** The logged keys: times, four word ids per event (host, parent, child, template), words. */
  entries(): { times: Float64Array; ids: Int32Array; words: readonly string[] } {
    return {
      times: this.times.subarray(0, this.n),
      ids: this.ids.subarray(0, 4 * this.n),
      words: this.words,
    };
  }

  /** Event times in input order (NaN where unusable). */
  timesMs(): Float64Array {
    return this.times.subarray(0, this.n);
  }

  /** Counts every logged event into a prevalence with the given window, in input order. */
  toPrevalence(opts: InMemoryPrevalenceOptions = {}): InMemoryPrevalence {
    const p = new InMemoryPrevalence(opts);
    const w = this.words;
    for (let i = 0; i < this.n; i++) {
      p.addKeys(
        this.times[i] as number,
        w[this.ids[4 * i] as number] as string,
        w[this.ids[4 * i + 1] as number] as string,
        w[this.ids[4 * i + 2] as number] as string,
        w[this.ids[4 * i + 3] as number] as string,
      );
    }
    return p;
  }
}

/** Prevalence that knows nothing: every edge reads as never seen, so only the model score counts. */
export class NoPrevalence implements PrevalenceService {
  async childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]> {
    return pairs.map((p) => ({
      parentName: processName(p.parentName),
      childName: processName(p.childName),
      pairCount: 0,
      parentTotal: 0,
      distinctHosts: 0,
      probability: 0,
    }));
  }
  async cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]> {
    return items.map((c) => ({
      processName: processName(c.processName),
      template: c.template,
      templateCount: 0,
      processTotal: 0,
      distinctHosts: 0,
      probability: 0,
    }));
  }
  async environment(): Promise<PrevalenceEnvironment> {
    return { hosts: 0, events: 0, lookbackDays: 0 };
  }
}

// ---------------------------------------------------------------------------------------------
// Plain words
// ---------------------------------------------------------------------------------------------

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function percent(p: number): string {
  if (p <= 0) return '0%';
  if (p < 0.001) return '<0.1%';
  if (p < 0.1) return `${(p * 100).toFixed(1)}%`;
  return `${Math.round(p * 100)}%`;
}

/**
 * The period the numbers really cover: the lookback, or less when the data is younger (a file of
 * two hours must not be described as "30 days").
 */
export function describePeriod(
  env: Pick<PrevalenceEnvironment, 'lookbackDays' | 'from' | 'to'>,
): string {
  const lookbackMs = env.lookbackDays * DAY_MS;
  const from = env.from ? Date.parse(env.from) : NaN;
  const to = env.to ? Date.parse(env.to) : NaN;
  let span = Number.isFinite(from) && Number.isFinite(to) ? to - from : lookbackMs;
  if (lookbackMs > 0 && span > lookbackMs) span = lookbackMs;
  if (span >= 2 * DAY_MS) return `${Math.round(span / DAY_MS)} days`;
  if (span >= 2 * 3_600_000) return `${Math.round(span / 3_600_000)} hours`;
  if (span >= 2 * 60_000) return `${Math.round(span / 60_000)} minutes`;
  return 'the data seen so far';
}

/** "cmd.exe → whoami.exe seen 2 times on 1 host in 30 days (2.0% of the 100 processes cmd.exe started)". */
export function describePairPrevalence(p: PairPrevalence, env: PrevalenceEnvironment): string {
  const period = describePeriod(env);
  const head = `${p.parentName} → ${p.childName}`;
  if (p.pairCount === 0) return `${head} never seen in ${period}`;
  return (
    `${head} seen ${plural(p.pairCount, 'time')} on ${plural(p.distinctHosts, 'host')} in ${period}` +
    ` (${percent(p.probability)} of the ${plural(p.parentTotal, 'process', 'processes')} ${p.parentName} started)`
  );
}

/** "whoami.exe ran as `whoami /all` 3 times on 2 hosts in 30 days (60% of its 5 runs)". */
export function describeCmdlinePrevalence(
  c: CmdlinePrevalence,
  env: PrevalenceEnvironment,
): string {
  const period = describePeriod(env);
  const shape = c.template.length > 80 ? `${c.template.slice(0, 77)}...` : c.template;
  const head = `${c.processName} ran as \`${shape}\``;
  if (c.templateCount === 0) return `${head} never seen in ${period}`;
  return (
    `${head} ${plural(c.templateCount, 'time')} on ${plural(c.distinctHosts, 'host')} in ${period}` +
    ` (${percent(c.probability)} of its ${plural(c.processTotal, 'run')})`
  );
}
