/**
 * Prevalence of a file run, answerable for any lookback: every logged event's time is kept per
 * key and host, sorted, so "how often in the D days up to t" is two binary searches.
 *
 * A detection job judges each window against the lookback ending at that window's end: what
 * happened later cannot make a step look routine, and what happened long before has aged out. A
 * file run covering weeks or years (a collection of captures, an export of a fleet's history)
 * must judge its windows the same way, so that its results are those the job would have given
 * had it been running at the time. One snapshot ending at the newest event would instead let a
 * replay next week discount today's attack, and judge a capture from two years ago against
 * nothing at all.
 *
 * Counts are exact, distinct hosts included. Events without a usable time count in every view
 * (they have no time to be left out by), as InMemoryPrevalence counts them.
 */
import type {
  CmdlineKey,
  CmdlinePrevalence,
  PairKey,
  PairPrevalence,
  PrevalenceEnvironment,
  TimeWindow,
} from '../../../common/types/community';
import { processName } from './names';
import {
  cmdlinePrevalence,
  type KeyCounts,
  pairPrevalence,
  type PrevalenceLog,
  type PrevalenceService,
} from './prevalence';

const DAY_MS = 86_400_000;

/** First index whose value is ≥ x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One key's sightings: per host, sorted times and the number without a usable time. */
interface Series {
  times: Float64Array[];
  timeless: number[];
}

interface SeriesBuilder {
  slot: Map<number, number>;
  times: number[][];
  timeless: number[];
}

function addTo(map: Map<number, SeriesBuilder>, key: number, host: number, t: number): void {
  let b = map.get(key);
  if (!b) map.set(key, (b = { slot: new Map(), times: [], timeless: [] }));
  let s = b.slot.get(host);
  if (s === undefined) {
    b.slot.set(host, (s = b.times.length));
    b.times.push([]);
    b.timeless.push(0);
  }
  if (Number.isFinite(t)) (b.times[s] as number[]).push(t);
  else b.timeless[s] = (b.timeless[s] as number) + 1;
}

function freeze(map: Map<number, SeriesBuilder>): Map<number, Series> {
  const out = new Map<number, Series>();
  for (const [k, b] of map)
    out.set(k, { times: b.times.map((t) => Float64Array.from(t).sort()), timeless: b.timeless });
  return out;
}

function iso(t: number): string | undefined {
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** A key's counts in [from, to]; undefined when it was not seen there. */
function countsIn(s: Series | undefined, from: number, to: number): KeyCounts | undefined {
  if (!s) return undefined;
  let count = 0;
  let hosts = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let h = 0; h < s.times.length; h++) {
    const times = s.times[h] as Float64Array;
    const lo = lowerBound(times, from);
    const hi = upperBound(times, to);
    const n = hi - lo + (s.timeless[h] as number);
    if (n === 0) continue;
    count += n;
    hosts++;
    if (hi > lo) {
      if ((times[lo] as number) < first) first = times[lo] as number;
      if ((times[hi - 1] as number) > last) last = times[hi - 1] as number;
    }
  }
  if (count === 0) return undefined;
  return { count, hosts, first: iso(first), last: iso(last) };
}

export interface PrevalenceIndexOptions {
  /** D: each view covers the D days up to its end (default 30). */
  lookbackDays?: number;
  /**
   * Newest plausible time: no view ends later (events dated after it, a clock gone wrong, are
   * never counted, as in a snapshot ending at it). Default: no limit.
   */
  asOf?: number;
}

/**
 * Keys are numbers made of the log's word ids (parent·W + child for a pair, child·W + template for
 * a command-line shape, W the number of words): no key string is built per event.
 */
export class PrevalenceIndex {
  private readonly wordIds: Map<string, number>;
  private readonly width: number;
  private readonly pairs: Map<number, Series>;
  private readonly templates: Map<number, Series>;
  /** Parent and process totals need only counts: their keys' series over all hosts. */
  private readonly parents: Map<number, Series>;
  private readonly processes: Map<number, Series>;
  /** Every event, by host: which hosts were active in a view, and how many events it holds. */
  private readonly hosts: Series;
  private readonly views = new Map<number, PrevalenceService>();
  readonly lookbackDays: number;
  private readonly lookbackMs: number;
  private readonly asOf: number;

  private constructor(log: PrevalenceLog, opts: PrevalenceIndexOptions) {
    this.lookbackDays = opts.lookbackDays ?? 30;
    this.lookbackMs = this.lookbackDays * DAY_MS;
    this.asOf = opts.asOf ?? Infinity;
    const { times, ids, words } = log.entries();
    this.wordIds = new Map(words.map((w, i) => [w, i]));
    const w = (this.width = words.length);
    const pairs = new Map<number, SeriesBuilder>();
    const templates = new Map<number, SeriesBuilder>();
    const parents = new Map<number, SeriesBuilder>();
    const processes = new Map<number, SeriesBuilder>();
    const hosts = new Map<number, SeriesBuilder>();
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      const host = ids[4 * i] as number;
      const parent = ids[4 * i + 1] as number;
      const child = ids[4 * i + 2] as number;
      const template = ids[4 * i + 3] as number;
      addTo(pairs, parent * w + child, host, t);
      addTo(templates, child * w + template, host, t);
      // Totals do not need hosts: one series each.
      addTo(parents, parent, 0, t);
      addTo(processes, child, 0, t);
      addTo(hosts, 0, host, t);
    }
    this.pairs = freeze(pairs);
    this.templates = freeze(templates);
    this.parents = freeze(parents);
    this.processes = freeze(processes);
    this.hosts = freeze(hosts).get(0) ?? { times: [], timeless: [] };
  }

  /**
   * What was counted, for a run's summary: all events by time span and hosts, how many had no
   * usable time (counted in every lookback), and how many were dated after the newest plausible
   * time (never counted).
   */
  summary(): {
    lookbackDays: number;
    events: number;
    hosts: number;
    from?: string;
    to?: string;
    undated: number;
    datedInTheFuture: number;
  } {
    const all = countsIn(this.hosts, -Infinity, Infinity);
    const future = countsIn(this.hosts, this.asOf + 1, Infinity);
    const undated = this.hosts.timeless.reduce((a, b) => a + b, 0);
    return {
      lookbackDays: this.lookbackDays,
      events: all?.count ?? 0,
      hosts: all?.hosts ?? 0,
      from: all?.first,
      to: all?.last,
      undated,
      datedInTheFuture: (future?.count ?? 0) - undated,
    };
  }

  static fromLog(log: PrevalenceLog, opts: PrevalenceIndexOptions = {}): PrevalenceIndex {
    return new PrevalenceIndex(log, opts);
  }

  /** The lookback ending at `end` (epoch ms, inclusive), or at the newest plausible time if sooner. */
  at(end: number): PrevalenceService {
    const to = Math.min(end, this.asOf);
    let view = this.views.get(to);
    // Without a newest plausible time, a view ending at infinity is the whole input.
    if (!view)
      this.views.set(
        to,
        (view = this.view(Number.isFinite(to) ? to - this.lookbackMs : -Infinity, to)),
      );
    return view;
  }

  /**
   * The lookback a host-window is judged against: the one ending where the window ends. A window
   * starting at the epoch holds the events without a usable time (windowing puts them there);
   * having no time of their own, they are judged against the lookback ending at the newest event.
   */
  forWindow(window: TimeWindow): PrevalenceService {
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    if (!(start > 0) || !Number.isFinite(end)) return this.at(Infinity);
    return this.at(end - 1);
  }

  private view(from: number, to: number): PrevalenceService {
    const { wordIds, width, lookbackDays, hosts } = this;
    // A view serves every host-window that ends with it: each key is counted once per view.
    const memo = (m: Map<number, Series>): ((key: number) => KeyCounts | undefined) => {
      const cache = new Map<number, KeyCounts | undefined>();
      return (key) => {
        if (key < 0) return undefined;
        if (cache.has(key)) return cache.get(key);
        const c = countsIn(m.get(key), from, to);
        cache.set(key, c);
        return c;
      };
    };
    // A name or shape the log never saw has no id: its key is -1, never counted.
    const id = (word: string): number => wordIds.get(word) ?? -1;
    const key = (a: string, b: string): number => {
      const i = id(a);
      const j = id(b);
      return i < 0 || j < 0 ? -1 : i * width + j;
    };
    const pairCounts = memo(this.pairs);
    const templateCounts = memo(this.templates);
    const parentCounts = memo(this.parents);
    const processCounts = memo(this.processes);
    let env: PrevalenceEnvironment | undefined;
    return {
      async childGivenParent(pairs: readonly PairKey[]): Promise<PairPrevalence[]> {
        return pairs.map(({ parentName, childName }) => {
          const parent = processName(parentName);
          const child = processName(childName);
          return pairPrevalence(
            parent,
            child,
            pairCounts(key(parent, child)),
            parentCounts(id(parent))?.count ?? 0,
          );
        });
      },
      async cmdlineGivenProcess(items: readonly CmdlineKey[]): Promise<CmdlinePrevalence[]> {
        return items.map(({ processName: name, template }) => {
          const proc = processName(name);
          return cmdlinePrevalence(
            proc,
            template,
            templateCounts(key(proc, template)),
            processCounts(id(proc))?.count ?? 0,
          );
        });
      },
      async environment(): Promise<PrevalenceEnvironment> {
        if (!env) {
          const c = countsIn(hosts, from, to);
          env = {
            hosts: c?.hosts ?? 0,
            events: c?.count ?? 0,
            from: c?.first,
            to: c?.last,
            lookbackDays,
          };
        }
        return env;
      },
    };
  }
}
