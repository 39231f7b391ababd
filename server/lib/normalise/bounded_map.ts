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
