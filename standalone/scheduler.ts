/**
 * The standalone host's stand-in for Kibana Task Manager, with the same semantics: a fixed
 * interval, never two runs at once, "run now" (runSoon), and a timeout that cancels a run
 * through its AbortSignal. Partitions run one after another in this single process.
 */
import type { Logger, Partition, RunReport } from '../server/ports';
import { outsideRequest } from '../server/stores/duckdb/request_scope';

export interface SchedulerOptions {
  intervalMs: number;
  timeoutMs: number;
  partitions: number;
  run(
    partition: Partition,
    signal: AbortSignal,
    range?: { from?: string; to?: string },
  ): Promise<RunReport>;
  logger: Logger;
  /** Run once right after start (default true). */
  runOnStart?: boolean;
  /**
   * The interval as currently set (the settings), read again while waiting so a change takes
   * effect without a restart; `intervalMs` is used until it answers.
   */
  currentIntervalMs?: () => Promise<number>;
  /** How often the wait re-reads `currentIntervalMs` (default 15 s, at most the interval). */
  pollMs?: number;
}

export const DEFAULT_INTERVAL_POLL_MS = 15_000;

export class DetectionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private nextAt: number | undefined;
  private stopped = true;
  private intervalMs: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.intervalMs = opts.intervalMs;
  }

  start(): void {
    this.stopped = false;
    this.schedule(this.opts.runOnStart === false ? this.intervalMs : 0);
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  nextRunAt(): string | undefined {
    return this.nextAt === undefined ? undefined : new Date(this.nextAt).toISOString();
  }

  /** Starts a run now unless one is in progress (then the caller is told, as Task Manager does). */
  runSoon(range?: { from?: string; to?: string }): { started: boolean; message: string } {
    if (this.stopped) return { started: false, message: 'the scheduler is stopped' };
    if (this.current) return { started: false, message: 'a detection run is already in progress' };
    this.clearTimer();
    this.launch(range);
    return { started: true, message: 'detection run started' };
  }

  /** Waits for the run in progress to finish (or aborts it when `abort` is true). */
  async stop(abort = true): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    if (abort) this.controller?.abort();
    await this.current;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.nextAt = Date.now() + delayMs;
    this.arm();
  }

  /** Waits for the next run, in steps of at most the poll period when the interval may change. */
  private arm(): void {
    const due = this.nextAt ?? Date.now();
    const poll = this.opts.currentIntervalMs
      ? Math.min(this.opts.pollMs ?? DEFAULT_INTERVAL_POLL_MS, this.intervalMs)
      : Infinity;
    const wait = Math.max(0, Math.min(due - Date.now(), poll));
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.opts.currentIntervalMs) {
      try {
        const ms = await this.opts.currentIntervalMs();
        // The next run is one (new) interval after the last one ended.
        if (ms > 0 && ms !== this.intervalMs && this.nextAt !== undefined) {
          this.nextAt += ms - this.intervalMs;
          this.intervalMs = ms;
        }
      } catch (e) {
        this.opts.logger.warn('could not read the detection interval; keeping the last one', {
          error: String(e),
        });
      }
    }
    // Stopped, or "run now" started a run (and maybe scheduled the next) while we read.
    if (this.stopped || this.current || this.timer || this.nextAt === undefined) return;
    if (Date.now() >= this.nextAt) this.launch();
    else this.arm();
  }

  private launch(range?: { from?: string; to?: string }): void {
    this.timer = undefined;
    this.nextAt = undefined;
    const controller = new AbortController();
    this.controller = controller;
    const timeout = setTimeout(() => {
      this.opts.logger.warn(`detection run exceeded ${this.opts.timeoutMs} ms; cancelling it`);
      controller.abort();
    }, this.opts.timeoutMs);
    timeout.unref?.();
    // A run started by "run now" belongs to no request: its reads must not stop with the request.
    this.current = outsideRequest(async () => {
      try {
        for (let index = 0; index < this.opts.partitions; index++) {
          if (controller.signal.aborted) break;
          await this.opts.run({ index, count: this.opts.partitions }, controller.signal, range);
        }
      } catch (e) {
        this.opts.logger.error('detection run failed', { error: String(e) });
      } finally {
        clearTimeout(timeout);
        this.current = undefined;
        this.controller = undefined;
        this.schedule(this.intervalMs);
      }
    });
  }
}
