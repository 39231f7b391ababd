/**
 * Shares equal strings between events held in memory together (a whole `detect` run).
 *
 * Process telemetry repeats itself: the same executables, parents, users, hosts, hashes and
 * command lines appear thousands of times, and a parent's entity id and start time reappear in
 * every child. Parsed from JSON, each occurrence is a separate string, and a run over a million
 * events then spends most of its heap, and most of its garbage-collection time, on copies. Swapping
 * each string for the first equal one seen keeps a single copy; only strings that survive (those
 * kept in events) pay for the lookup, and fresh copies die young.
 *
 * Bounded (two generations, see BoundedMap: cheaper under churn than a strict LRU list), so one-off strings cannot grow the table without limit; long
 * strings are skipped because they rarely repeat and would dominate the table's memory.
 */
import { BoundedMap } from './bounded_map';

const MAX_INTERNED_LENGTH = 1024;

export class StringInterner {
  private readonly table: BoundedMap<string, string>;

  constructor(maxEntries = 200_000) {
    this.table = new BoundedMap<string, string>(maxEntries);
  }

  /** The shared copy of `s` (or `s` itself, when first seen or too long). */
  string(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const shared = this.table.get(s);
    if (shared !== undefined) return shared;
    this.table.set(s, s);
    return s;
  }

  /** Replaces, in place, every string inside a plain JSON-like value; returns the value. */
  deep<T>(value: T): T {
    return this.walk(value, 0) as T;
  }

  private walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.string(v);
    // Normalised events are a few levels deep; the cap only guards against a cyclic value.
    if (v === null || typeof v !== 'object' || depth > 16) return v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = this.walk(v[i], depth + 1);
      return v;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = this.walk(o[k], depth + 1);
    return o;
  }
}
