/**
 * Grouping scored events into per-host time windows, the unit a process graph is built for.
 *
 * Windows are tumbling and aligned to the epoch, so the same event always falls into the same
 * window whatever else is in the input (and community ids stay stable across re-runs). A chain
 * that crosses a window boundary is split there; its later half still hangs off a parent node
 * built from the `process.parent` fields, so it keeps its context.
 */
import type { TimeWindow } from '../../../common/types/community';
import type { ScoredEvent } from '../../../common/types/scoring';
import { hostKey } from './names';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * "15m", "1h", "1d", a number of milliseconds, or "all"/0 for one window per host over the
 * whole input.
 */
export function parseWindow(w: string | number | undefined): number {
  if (w === undefined) return 0;
  if (typeof w === 'number') {
    if (!Number.isFinite(w) || w < 0)
      throw new Error(`window must be a non-negative number of ms, got ${w}`);
    return w;
  }
  const s = w.trim().toLowerCase();
  if (s === 'all' || s === '0' || s === '') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(s);
  if (!m) throw new Error(`window "${w}" is not a duration like 15m, 1h, 1d or "all"`);
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  if (!(ms > 0)) throw new Error(`window "${w}" must be longer than zero`);
  return ms;
}

export interface HostWindowGroup {
  host: string;
  window: TimeWindow;
  /** 0 normally; 1, 2, … when the group was split because it hit the per-group cap. */
  part: number;
  events: ScoredEvent[];
}

export interface GroupingOptions {
  /** Window length in ms (0 = whole input per host). */
  windowMs: number;
  /** Memory bound per host-window: a group that reaches it is emitted and a new part started. */
  maxEventsPerGroup?: number;
}

export const DEFAULT_MAX_EVENTS_PER_GROUP = 2_000_000;

function eventTime(e: ScoredEvent): number {
  const t = Date.parse(e.event['@timestamp']);
  return Number.isFinite(t) ? t : 0;
}

function windowStart(t: number, windowMs: number): number {
  return windowMs > 0 ? Math.floor(t / windowMs) * windowMs : 0;
}

interface OpenGroup {
  host: string;
  start: number;
  part: number;
  events: ScoredEvent[];
  minT: number;
  maxT: number;
}

function close(g: OpenGroup, windowMs: number): HostWindowGroup {
  const window: TimeWindow =
    windowMs > 0
      ? { start: new Date(g.start).toISOString(), end: new Date(g.start + windowMs).toISOString() }
      : { start: new Date(g.minT).toISOString(), end: new Date(g.maxT + 1).toISOString() };
  return { host: g.host, window, part: g.part, events: g.events };
}

function compareGroups(a: HostWindowGroup, b: HostWindowGroup): number {
  if (a.window.start !== b.window.start) return a.window.start < b.window.start ? -1 : 1;
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  return a.part - b.part;
}

/** In-memory grouping of an array (or any iterable); groups come out sorted by window, host, part. */
export function groupByHostWindow(
  events: Iterable<ScoredEvent>,
  opts: GroupingOptions,
): HostWindowGroup[] {
  const cap = opts.maxEventsPerGroup ?? DEFAULT_MAX_EVENTS_PER_GROUP;
  const open = new Map<string, OpenGroup>();
  const out: HostWindowGroup[] = [];
  for (const e of events) {
    const host = hostKey(e.event.host.name);
    const t = eventTime(e);
    const start = windowStart(t, opts.windowMs);
    const key = `${host}\u0000${start}`;
    let g = open.get(key);
    if (!g) open.set(key, (g = { host, start, part: 0, events: [], minT: t, maxT: t }));
    if (g.events.length >= cap) {
      out.push(close(g, opts.windowMs));
      const next: OpenGroup = { host, start, part: g.part + 1, events: [], minT: t, maxT: t };
      open.set(key, next);
      g = next;
    }
    g.events.push(e);
    if (t < g.minT) g.minT = t;
    if (t > g.maxT) g.maxT = t;
  }
  for (const g of open.values()) out.push(close(g, opts.windowMs));
  return out.sort(compareGroups);
}

export interface StreamGroupingOptions extends GroupingOptions {
  /**
   * How far behind the newest event a window may still receive events (sources are roughly but
   * not exactly time-ordered). A window is emitted once the newest event is past its end plus
   * this; events that arrive later still are put in a new part of that window.
   */
  allowedLatenessMs?: number;
}

/**
 * Streaming grouping with bounded memory: a host-window is held only until the stream's newest
 * timestamp passes its end (plus lateness), and never beyond `maxEventsPerGroup` events. With
 * windowMs = 0 every host stays open to the end, so memory is bounded only by the per-group cap.
 */
export async function* streamHostWindows(
  source: AsyncIterable<ScoredEvent> | Iterable<ScoredEvent>,
  opts: StreamGroupingOptions,
): AsyncGenerator<HostWindowGroup> {
  const cap = opts.maxEventsPerGroup ?? DEFAULT_MAX_EVENTS_PER_GROUP;
  const lateness = opts.allowedLatenessMs ?? 5 * 60_000;
  const open = new Map<string, OpenGroup>();
  const nextPart = new Map<string, number>();
  let watermark = -Infinity;
  // Earliest time at which some open window becomes ready: scanning the open windows only when
  // the watermark passes it keeps the per-event cost constant with thousands of hosts.
  let nextDue = Infinity;

  const emit = (key: string, g: OpenGroup): HostWindowGroup => {
    open.delete(key);
    nextPart.set(key, g.part + 1);
    return close(g, opts.windowMs);
  };

  for await (const e of source) {
    const host = hostKey(e.event.host.name);
    const t = eventTime(e);
    const start = windowStart(t, opts.windowMs);
    const key = `${host}\u0000${start}`;
    let g = open.get(key);
    if (!g) {
      g = { host, start, part: nextPart.get(key) ?? 0, events: [], minT: t, maxT: t };
      open.set(key, g);
      if (opts.windowMs > 0) nextDue = Math.min(nextDue, start + opts.windowMs + lateness);
    }
    g.events.push(e);
    if (t < g.minT) g.minT = t;
    if (t > g.maxT) g.maxT = t;
    if (g.events.length >= cap) yield emit(key, g);

    if (t > watermark) watermark = t;
    if (opts.windowMs > 0 && watermark >= nextDue) {
      const ready: Array<[string, OpenGroup]> = [];
      nextDue = Infinity;
      for (const [k, og] of open) {
        const due = og.start + opts.windowMs + lateness;
        if (due <= watermark) ready.push([k, og]);
        else nextDue = Math.min(nextDue, due);
      }
      ready.sort((a, b) => a[1].start - b[1].start || (a[1].host < b[1].host ? -1 : 1));
      for (const [k, og] of ready) yield emit(k, og);
    }
  }
  const rest = [...open.entries()].map(([k, g]) => emit(k, g)).sort(compareGroups);
  for (const g of rest) yield g;
}
