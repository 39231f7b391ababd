/**
 * Throughput and memory of the synthetic telemetry generator: a 1M-event run written to disk
 * as ECS NDJSON plus labels (the `problemchild generate` path), and the same volume generated
 * in memory only (simulation + record building, no serialisation or I/O).
 *
 * 10M events: set PC_BENCH_10M=1 to also time a 10M-event write (needs ~26 GB of free disk
 * uncompressed). Measured on the 2-vCPU development machine while other jobs kept the load
 * average at 12-17: 10M events (200 hosts x 67 days, 300 attacks) in 1,778 s, 25.2 GB, peak RSS
 * 207 MB, RSS flat at 175-195 MB throughout. Without PC_BENCH_10M the 10M figure below is
 * extrapolated from the 1M run.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from '../../server/lib/generator/generate';
import { writeDataset } from '../../server/lib/generator/write';
import type { BenchFigure } from './run';

const EVENTS = 1_000_000;
/** ~1M events: 200 hosts × 10 days at the default rate hits maxEvents part-way through. */
const SHAPE = {
  hosts: 200,
  days: 10,
  attacks: 100,
  seed: 'bench',
  eventsPerHostDay: 1000,
} as const;

function peakRssMb(): number {
  // maxRSS is in kilobytes on every platform Node supports.
  return process.resourceUsage().maxRSS / 1024;
}

async function timedWrite(
  events: number,
  gzip: boolean,
): Promise<{ secs: number; bytes: number; written: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-genbench-'));
  try {
    const t0 = performance.now();
    const m = await writeDataset({
      ...SHAPE,
      days: Math.max(SHAPE.days, Math.ceil(events / 150_000)),
      maxEvents: events,
      out: dir,
      gzip,
    });
    const secs = (performance.now() - t0) / 1000;
    const bytes =
      statSync(join(dir, m.files.events)).size + statSync(join(dir, m.files.labels)).size;
    return { secs, bytes, written: m.totals.events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGenerator(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];

  const t0 = performance.now();
  let n = 0;
  for (const rec of generateSync({ ...SHAPE, maxEvents: EVENTS })) {
    if (rec.label._rid) n++;
  }
  const genSecs = (performance.now() - t0) / 1000;
  figures.push({
    name: 'generate 1M events in memory (sim + ECS + label objects)',
    value: n / genSecs,
    unit: 'events/s',
  });

  const w = await timedWrite(EVENTS, false);
  figures.push({
    name: 'write 1M events ECS NDJSON + labels (uncompressed)',
    value: w.written / w.secs,
    unit: 'events/s',
  });
  figures.push({ name: 'write 1M events: wall time', value: w.secs, unit: 's' });
  figures.push({
    name: 'write 1M events: bytes per event (events + labels)',
    value: w.bytes / w.written,
    unit: 'B',
  });

  const g = await timedWrite(EVENTS, true);
  figures.push({ name: 'write 1M events gzip', value: g.written / g.secs, unit: 'events/s' });
  figures.push({
    name: 'write 1M events gzip: bytes per event',
    value: g.bytes / g.written,
    unit: 'B',
  });

  figures.push({ name: 'peak RSS of the benchmark process', value: peakRssMb(), unit: 'MB' });

  if (process.env.PC_BENCH_10M === '1') {
    const big = await timedWrite(10_000_000, false);
    figures.push({ name: 'write 10M events ECS + labels: wall time', value: big.secs, unit: 's' });
    figures.push({ name: 'write 10M events: peak RSS', value: peakRssMb(), unit: 'MB' });
  } else {
    figures.push({
      name: 'write 10M events: extrapolated wall time (PC_BENCH_10M=1 to measure)',
      value: (w.secs * 10_000_000) / w.written,
      unit: 's',
    });
  }
  return figures;
}
