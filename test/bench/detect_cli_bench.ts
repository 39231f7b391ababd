/**
 * The whole `problemchild detect` run on generated environments of 10K, 100K and 1M events, as a
 * user runs it (a child process of bin/problemchild.mjs, default threads): wall time, time per
 * stage from its run summary, and the process's peak resident memory (worker threads included).
 * Generated inputs are kept under $TMPDIR/problemchild-bench and reused by later runs.
 *
 *   npm run bench -- cli                              (10K, 100K, 1M)
 *   BENCH_CLI_SIZES=10000,100000 npm run bench -- cli
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchFigure } from './run';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'bin/problemchild.mjs');
const SIZES = (process.env.BENCH_CLI_SIZES ?? '10000,100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);

/** Up to 1,000 events per host-day over 12 days, one host per 10,000 events (1M: 100 hosts). */
async function dataset(events: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'problemchild-bench', `gen-${events}`);
  const file = path.join(dir, 'synthetic.events.ndjson');
  if (existsSync(path.join(dir, 'manifest.json'))) return file;
  const hosts = Math.max(2, Math.round(events / 10_000));
  await fs.rm(dir, { recursive: true, force: true });
  await run(
    process.execPath,
    [
      CLI,
      'generate',
      '--out',
      dir,
      '--hosts',
      String(hosts),
      '--days',
      '12',
      '--attacks',
      String(Math.max(4, Math.round(hosts * 0.4))),
      '--seed',
      '11',
      '--max-events',
      String(events),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return file;
}

interface RunSummary {
  timingsMs: Record<string, number>;
  memory: { peakRssMB: number; spilledMB: number };
  stats: { events: number; flagged: number; timingsMs: Record<string, number> };
}

export async function benchDetectCli(): Promise<BenchFigure[]> {
  const out: BenchFigure[] = [];
  for (const size of SIZES) {
    const input = await dataset(size);
    const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-bench-detect-'));
    try {
      const t0 = performance.now();
      await run(process.execPath, [CLI, 'detect', input, '--out', outDir], {
        maxBuffer: 64 * 1024 * 1024,
      });
      const wall = (performance.now() - t0) / 1000;
      const s = JSON.parse(
        await fs.readFile(path.join(outDir, 'run_summary.json'), 'utf8'),
      ) as RunSummary;
      const label = `${size.toLocaleString('en-US')} events`;
      const t = s.timingsMs;
      const d = s.stats.timingsMs;
      out.push(
        { name: `${label}: whole CLI run, wall`, value: wall, unit: 's' },
        { name: `${label}: peak RSS`, value: s.memory.peakRssMB, unit: 'MB' },
        { name: `${label}: normalise + file by host`, value: (t.normalise ?? 0) / 1000, unit: 's' },
        { name: `${label}: analyse hosts (wall)`, value: (t.analyse ?? 0) / 1000, unit: 's' },
        {
          name: `${label}:   model scoring (summed over threads)`,
          value: (t.score ?? 0) / 1000,
          unit: 's',
        },
        { name: `${label}:   process graphs (summed)`, value: (d.graph ?? 0) / 1000, unit: 's' },
        { name: `${label}:   Louvain (summed)`, value: (d.louvain ?? 0) / 1000, unit: 's' },
        { name: `${label}: prevalence counting`, value: (t.prevalence ?? 0) / 1000, unit: 's' },
        {
          name: `${label}: candidates + community scoring`,
          value: (d.score ?? 0) / 1000,
          unit: 's',
        },
        { name: `${label}: flagged communities`, value: s.stats.flagged, unit: '' },
      );
    } finally {
      await fs.rm(outDir, { recursive: true, force: true });
    }
  }
  return out;
}
