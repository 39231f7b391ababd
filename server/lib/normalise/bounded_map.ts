import { fnv1a } from '../prng';

/**
 * A map that forgets entries not touched for a while, with a hard size bound. The normaliser
 * keeps per-host and per-PID state over arbitrarily long streams; this keeps it bounded.
 *
 * Two generations: writes go to the young map; when it reaches half the capacity it becomes
 * the old one and the previous old map is dropped whole. A read that finds an entry in the
 * old generation promotes it. Everything is O(1) — unlike deleting the oldest key of a single
 * Map, which makes V8 skip an ever-growing run of deleted slots on every eviction.
 */
export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(capacity: number) {
    if (!(capacity >= 2)) {
      throw new RangeError('BoundedMap capacity must be >= 2');
    }
    this.half = Math.floor(capacity / 2);
  }

  /** Entries currently held (at most the capacity). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) {
      return v;
    }
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.put(key, o);
    }
    return o;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.put(key, value);
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  *values(): IterableIterator<V> {
    yield* this.old.values();
    yield* this.young.values();
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private put(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/**
 * A hash of the length and at most 64 characters spread over the key (keys are long: joined event
 * fields, whole command lines). A collision only admits or delays an entry, never changes a
 * value, so sampling trades a little admission accuracy for not reading every key twice.
 */
function sightingHash(key: string): number {
  const n = key.length;
  if (n <= 64) return fnv1a(key);
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  const step = n / 64;
  for (let i = 0; i < 64; i++) {
    h ^= key.charCodeAt(Math.floor(i * step));
    h = Math.imul(h, 0x01000193);
  }
  // The tail is where command lines of one tool differ most (file names, arguments).
  for (let i = Math.max(0, n - 16); i < n; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A BoundedMap with string keys that admits a key only on its second sighting. For caches in
 * front of work on streams with many one-off keys (temp names, random ids): admitting those
 * would churn the cache and push its survivors into the old generation for nothing. Sightings
 * are remembered as hashes in a direct-mapped table, so a collision only delays an admission.
 */
export class SecondSightingCache<V> {
  private readonly map: BoundedMap<string, V>;
  private readonly seen = new Uint32Array(1 << 16);

  constructor(capacity: number) {
    this.map = new BoundedMap<string, V>(capacity);
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /**
   * Records a sighting of `key` and says whether it was sighted before (by offer or here). A key
   * seen for the first time cannot be cached yet, so callers skip the lookup, which must hash the
   * whole key; then they store what they compute with admit().
   */
  sighted(key: string): boolean {
    const h = sightingHash(key);
    const slot = h & (this.seen.length - 1);
    if (this.seen[slot] === h) return true;
    this.seen[slot] = h;
    return false;
  }

  /** Caches a value whose key was sighted before. */
  admit(key: string, value: V): void {
    this.map.set(key, value);
  }

  /** Caches `value` if `key` was offered before; otherwise only remembers the key. */
  offer(key: string, value: V): void {
    const h = sightingHash(key);
    const slot = h & (this.seen.length - 1);
    if (this.seen[slot] === h) this.map.set(key, value);
    else this.seen[slot] = h;
  }

  clear(): void {
    this.map.clear();
    this.seen.fill(0);
  }
}
