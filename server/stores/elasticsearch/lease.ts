/**
 * Partition leases for several hosts sharing one cluster, kept in the state index with optimistic
 * concurrency: one document per partition (`lease:<index>/<count>`), written only with
 * if_seq_no/if_primary_term of the version the writer read, so two hosts racing for a free or
 * expired lease cannot both win. Each host also keeps a presence document (`lease-host:<id>`) so
 * hosts can split the partitions fairly.
 *
 * Fencing: a lease carries a token, raised by one on every change of holder (renewals keep it).
 * Every write of a run is preceded by `check`, which re-reads the lease document (a realtime GET)
 * and refuses the write unless this host still holds the lease with that token and it has not
 * expired by this host's clock. A host paused past its lease (SIGSTOP, a long GC, a VM freeze)
 * wakes up with a token that is no longer the document's, or an expired lease, and its write is
 * refused instead of landing over its successor's. Known limit: the check and the write are two
 * requests, so a pause of more than the remaining margin between exactly those two still slips
 * through; `check` requires a third of the TTL to remain, which bounds that window.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Partition, Stores } from '../../ports';
import { requestOptions } from './retry';

export const DEFAULT_LEASE_TTL_MS = 30_000;

/** The run lost its lease (taken over or expired): its write was refused. */
export class FencedError extends Error {
  readonly status = 409;
  constructor(message: string) {
    super(message);
    this.name = 'FencedError';
  }
}

export interface HeldLease {
  partition: Partition;
  /** The fencing token: the lease's holder generation, raised on every takeover. */
  token: number;
  expiresAt: number;
  seqNo: number;
  primaryTerm: number;
}

interface LeaseDoc {
  type: 'lease';
  lease: { key: string; holder: string; expires_at: string; token: number };
}

export interface EsLeasesOptions {
  client: Client;
  /** The state index. */
  index: string;
  /** This host's id, unique among the hosts sharing the cluster. */
  holder: string;
  ttlMs?: number;
  now?: () => number;
}

const statusOf = (err: unknown): number | undefined =>
  (err as { meta?: { statusCode?: number } }).meta?.statusCode;

export class EsLeases {
  readonly holder: string;
  readonly ttlMs: number;
  private readonly client: Client;
  private readonly index: string;
  private readonly now: () => number;

  constructor(opts: EsLeasesOptions) {
    if (!opts.holder) throw new TypeError('holder: a non-empty host id is required');
    this.client = opts.client;
    this.index = opts.index;
    this.holder = opts.holder;
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!(this.ttlMs >= 1_000)) throw new TypeError('ttlMs: a lease lasts at least 1000 ms');
    this.now = opts.now ?? Date.now;
  }

  private id(p: Partition): string {
    return `lease:${p.index}/${p.count}`;
  }

  private async read(
    id: string,
  ): Promise<{ doc: LeaseDoc; seqNo: number; primaryTerm: number } | undefined> {
    try {
      const r = await this.client.get<LeaseDoc>({ index: this.index, id }, requestOptions());
      return { doc: r._source!, seqNo: r._seq_no!, primaryTerm: r._primary_term! };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private doc(p: Partition, token: number, expiresAt: number): LeaseDoc {
    return {
      type: 'lease',
      lease: {
        key: this.id(p),
        holder: this.holder,
        expires_at: new Date(expiresAt).toISOString(),
        token,
      },
    };
  }

  /** Writes `doc` only if the lease document is still at `cas` (or absent when `cas` is null). */
  private async write(
    p: Partition,
    doc: LeaseDoc,
    cas: { seqNo: number; primaryTerm: number } | null,
  ): Promise<{ seqNo: number; primaryTerm: number } | undefined> {
    try {
      const r = await this.client.index(
        {
          index: this.index,
          id: this.id(p),
          document: doc,
          refresh: true,
          ...(cas
            ? { if_seq_no: cas.seqNo, if_primary_term: cas.primaryTerm }
            : { op_type: 'create' as const }),
        },
        requestOptions(),
      );
      return { seqNo: r._seq_no!, primaryTerm: r._primary_term! };
    } catch (err) {
      // Someone else wrote the lease since we read it: they won.
      if (statusOf(err) === 409) return undefined;
      throw err;
    }
  }

  /** Takes the partition's lease if it is free, expired or already ours; undefined if held. */
  async acquire(p: Partition): Promise<HeldLease | undefined> {
    const cur = await this.read(this.id(p));
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    if (!cur) {
      const w = await this.write(p, this.doc(p, 1, expiresAt), null);
      return w && { partition: p, token: 1, expiresAt, ...w };
    }
    const l = cur.doc.lease;
    const ours = l.holder === this.holder && Date.parse(l.expires_at) > now;
    if (!ours && Date.parse(l.expires_at) > now) return undefined;
    // Our live lease keeps its token; a takeover (or our own expired lease) starts a new one.
    const token = ours ? l.token : l.token + 1;
    const w = await this.write(p, this.doc(p, token, expiresAt), cur);
    return w && { partition: p, token, expiresAt, ...w };
  }

  /** Extends a held lease; undefined when it was lost (taken over after expiring). */
  async renew(l: HeldLease): Promise<HeldLease | undefined> {
    if (l.expiresAt <= this.now()) return undefined;
    const expiresAt = this.now() + this.ttlMs;
    const w = await this.write(l.partition, this.doc(l.partition, l.token, expiresAt), l);
    return w && { ...l, expiresAt, ...w };
  }

  /** Gives a lease up at once (clean shutdown, or a fairer split), so another host need not wait. */
  async release(l: HeldLease): Promise<void> {
    await this.write(l.partition, this.doc(l.partition, l.token, 0), l);
  }

  /**
   * The fencing check before every write of a run: throws FencedError unless the lease document
   * still names this host with this token and at least a third of the TTL remains.
   */
  async check(l: HeldLease): Promise<void> {
    const cur = await this.read(this.id(l.partition));
    const now = this.now();
    const lease = cur?.doc.lease;
    const why = !lease
      ? 'the lease document is gone'
      : lease.holder !== this.holder || lease.token !== l.token
        ? `the lease is now held by ${lease.holder} with token ${lease.token}`
        : Date.parse(lease.expires_at) - now < this.ttlMs / 3
          ? 'the lease has (nearly) expired'
          : undefined;
    if (why) {
      throw new FencedError(
        `write refused for partition ${l.partition.index}/${l.partition.count} with fencing token ${l.token}: ${why}`,
      );
    }
  }

  /** Marks this host alive for one TTL. */
  async heartbeat(): Promise<void> {
    await this.client.index(
      {
        index: this.index,
        id: `lease-host:${this.holder}`,
        document: {
          type: 'lease',
          lease: {
            key: `host:${this.holder}`,
            holder: this.holder,
            expires_at: new Date(this.now() + this.ttlMs).toISOString(),
            token: 0,
          },
        },
        refresh: true,
      },
      requestOptions(),
    );
  }

  /** Hosts with a live presence document (this one included once it has sent a heartbeat). */
  async liveHosts(): Promise<string[]> {
    const r = await this.client.search<LeaseDoc>(
      {
        index: this.index,
        size: 1_000,
        query: {
          bool: {
            filter: [
              { term: { type: 'lease' } },
              { prefix: { 'lease.key': 'host:' } },
              { range: { 'lease.expires_at': { gt: new Date(this.now()).toISOString() } } },
            ],
          },
        },
      },
      requestOptions(),
    );
    return r.hits.hits.map((h) => h._source!.lease.holder).sort();
  }
}

/** Calls `check` before the methods named, passing every other member through unchanged. */
function guard<T extends object>(
  target: T,
  methods: readonly string[],
  check: () => Promise<void>,
): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop === 'string' && methods.includes(prop)) {
        return async (...args: unknown[]) => {
          await check();
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(t);
    },
  });
}

/**
 * The stores a leased run writes through: the communities and the checkpoint (and quarantine
 * records) are only written after the fencing check passes.
 */
export function fencedStores(stores: Stores, leases: EsLeases, lease: HeldLease): Stores {
  const check = () => leases.check(lease);
  return {
    ...stores,
    communities: guard(stores.communities, ['writeCommunities'], check),
    state: guard(stores.state, ['saveCheckpoint', 'saveQuarantine'], check),
  };
}
