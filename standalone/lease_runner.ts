/**
 * Runs a partition only while this host holds its lease (server/stores/elasticsearch/lease.ts),
 * so several standalone hosts on one cluster split the partitions instead of all running all of
 * them. Leases are kept between runs (renewed every third of the TTL) and given up on close; a
 * host that dies stops renewing, and after the TTL any other host takes its partitions over.
 * Each host holds at most its fair share (partitions / live hosts, rounded up), releasing the
 * excess when another host appears. A run writes through fenced stores: if the lease is lost
 * mid-run (this host was paused past it), its writes are refused and the run is aborted.
 */
import type { Logger, Partition, RunReport, Stores } from '../server/ports';
import { type EsLeases, type HeldLease, fencedStores } from '../server/stores/elasticsearch/lease';

export interface LeaseRunnerOptions {
  leases: EsLeases;
  stores: Stores;
  logger: Logger;
  run(
    partition: Partition,
    signal: AbortSignal,
    range: { from?: string; to?: string } | undefined,
    stores: Stores,
  ): Promise<RunReport>;
}

export class LeasedPartitionRunner {
  private readonly held = new Map<string, HeldLease>();
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<string>();

  constructor(private readonly opts: LeaseRunnerOptions) {}

  /** Partitions whose lease this host holds now ("index/count"). */
  heldPartitions(): string[] {
    return [...this.held.keys()].sort();
  }

  async start(): Promise<void> {
    await this.opts.leases.heartbeat();
    this.timer = setInterval(() => void this.renewAll(), Math.floor(this.opts.leases.ttlMs / 3));
    this.timer.unref?.();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const l of this.held.values()) {
      await this.opts.leases.release(l).catch(() => undefined);
    }
    this.held.clear();
  }

  private async renewAll(): Promise<void> {
    try {
      await this.opts.leases.heartbeat();
    } catch (e) {
      this.opts.logger.warn('lease heartbeat failed', { error: String(e) });
    }
    for (const [key, l] of [...this.held]) {
      try {
        const renewed = await this.opts.leases.renew(l);
        if (renewed) this.held.set(key, renewed);
        else {
          this.held.delete(key);
          this.opts.logger.warn(`lost the lease of partition ${key}`, { token: l.token });
        }
      } catch (e) {
        this.opts.logger.warn(`could not renew the lease of partition ${key}`, {
          error: String(e),
        });
      }
    }
  }

  private skipped(partition: Partition, why: string): RunReport {
    const at = new Date().toISOString();
    return {
      runId: `skipped-${partition.index}-${at}`,
      partition,
      startedAt: at,
      finishedAt: at,
      durationMs: 0,
      window: null,
      status: 'nothing_to_do',
      eventsRead: 0,
      eventsRejected: 0,
      communities: 0,
      flagged: 0,
      errors: [why],
    };
  }

  async run(
    partition: Partition,
    signal: AbortSignal,
    range?: { from?: string; to?: string },
  ): Promise<RunReport> {
    const key = `${partition.index}/${partition.count}`;
    const { leases, logger } = this.opts;
    const live = await leases.liveHosts();
    const fair = Math.ceil(partition.count / Math.max(1, live.length));
    let lease = this.held.get(key);
    if (lease && this.held.size > fair && !this.running.size) {
      // Another host appeared: give this partition up so it can take it.
      this.held.delete(key);
      await leases.release(lease);
      return this.skipped(
        partition,
        `released partition ${key} to share with ${live.length} hosts`,
      );
    }
    if (!lease && this.held.size >= fair) {
      return this.skipped(partition, `partition ${key} is left to another host`);
    }
    lease = lease ? await leases.renew(lease) : await leases.acquire(partition);
    if (!lease) {
      this.held.delete(key);
      return this.skipped(partition, `partition ${key} is held by another host`);
    }
    if (!this.held.has(key))
      logger.info(`holding the lease of partition ${key}`, { token: lease.token });
    this.held.set(key, lease);

    // A lost lease aborts the run; its writes are fenced in any case.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watch = setInterval(() => {
      if (!this.held.has(key)) controller.abort();
    }, 1_000);
    watch.unref?.();
    this.running.add(key);
    try {
      return await this.opts.run(
        partition,
        controller.signal,
        range,
        fencedStores(this.opts.stores, leases, lease),
      );
    } finally {
      this.running.delete(key);
      clearInterval(watch);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
