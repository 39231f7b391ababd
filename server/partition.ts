/**
 * Which detection partition owns a host. Every store and the job must agree exactly, otherwise a
 * host is processed twice or never: the embedded store stores the hash with each event, the
 * Elasticsearch store and the job call `hostPartition` on host names.
 *
 * The hash is 32-bit FNV-1a over the UTF-8 bytes of the host key (trimmed, lower-cased, as
 * `hostKey` gives it), so "WKS01" and "wks01" land in the same partition. FNV-1a is trivial to
 * reproduce in any language (e.g. a Painless script) and spreads short similar names well.
 */
import { hostKey } from './lib/detection/names';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `s`, as an unsigned integer. */
export function fnv1a32(s: string): number {
  let h = FNV_OFFSET;
  // ASCII host names are the norm: skip the encoder for them (same bytes either way).
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, FNV_PRIME);
    }
  } else {
    for (const b of encoder.encode(s)) {
      h ^= b;
      h = Math.imul(h, FNV_PRIME);
    }
  }
  return h >>> 0;
}

/** The partition hash of a host name (its `hostKey`). */
export function hostHash(host: string | undefined | null): number {
  return fnv1a32(hostKey(host));
}

/** Partition index (0 ≤ i < count) that owns `host`. */
export function hostPartition(host: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`partition count must be a positive integer, got ${count}`);
  }
  return hostHash(host) % count;
}
