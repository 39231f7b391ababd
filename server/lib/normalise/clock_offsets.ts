/**
 * Per-source clock offsets, learnt from Sysmon/Security twin pairs. Sysmon's UtcTime is the
 * reference; a Security 4688 clock (TimeCreated skewed by hours in some exports, NXLog's local
 * EventTime in others) is off by a roughly constant amount per dataset, host and field. The
 * estimate is the median of the most recent samples: robust to the odd wrong pairing, and it
 * follows a clock jump once half the window has seen the new offset.
 */
export class OffsetGroup {
  private readonly samples: number[] = [];
  private next = 0;
  private cached: number | undefined;
  private dirty = false;
  /** Samples ever added (the window keeps only the latest). */
  count = 0;
  /** Latest raw time seen in this clock, to age pending records in their own clock. */
  maxRaw = -Infinity;

  constructor(
    readonly scope: string,
    readonly host: string,
    readonly clock: string,
    private readonly window: number,
  ) {}

  add(offsetMs: number): void {
    if (this.samples.length < this.window) {
      this.samples.push(offsetMs);
    } else {
      this.samples[this.next] = offsetMs;
      this.next = (this.next + 1) % this.window;
    }
    this.count++;
    this.dirty = true;
  }

  /** Median of the windowed samples, or undefined before the first sample. */
  estimate(): number | undefined {
    if (!this.dirty) {
      return this.cached;
    }
    this.dirty = false;
    const n = this.samples.length;
    if (n === 0) {
      this.cached = undefined;
      return undefined;
    }
    const sorted = this.samples.slice().sort((a, b) => a - b);
    const mid = n >> 1;
    this.cached =
      n % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    return this.cached;
  }
}
