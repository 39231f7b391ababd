/**
 * The standalone host's stand-in for Kibana Task Manager, with the same semantics: a fixed
 * interval, never two runs at once, "run now" (runSoon), and a timeout that cancels a run
 * through its AbortSignal. Partitions run one after another in this single process.
 */
import type { Logger, Partition, RunReport } from '../server/ports';

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
}

export class DetectionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private nextAt: number | undefined;
  private stopped = true;

  constructor(private readonly opts: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.opts.runOnStart === false ? this.opts.intervalMs : 0);
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
    this.timer = setTimeout(() => this.launch(), delayMs);
    this.timer.unref?.();
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
    this.current = (async () => {
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
        this.schedule(this.opts.intervalMs);
      }
    })();
  }
}
