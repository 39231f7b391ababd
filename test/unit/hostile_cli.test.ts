/**
 * `problemchild detect` on the hostile corpus: the real command (its own process, the shipped
 * model) must finish, in bounded time and memory, and account for every input line, naming
 * where the rejected ones are. Plain, gzip and truncated gzip input, and a gzip bomb whose one
 * line is longer than the reader accepts.
 *
 * The fan-out parent here has 10,000 children: the shipped model scores ~15,000 events/s, so a
 * million would take minutes. A million children of one parent go through the engine path in
 * hostile_million_children.test.ts instead.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DetectReport, runDetectCli } from '../../server/lib/detection/detect_cli';
import {
  type CorpusFiles,
  type HostileRecord,
  hostileCorpus,
  tally,
  type Tally,
  writeCorpusFiles,
} from '../hostile/hostile_corpus';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILDREN = 10_000;
/** Far above a normal run (~10 s here); only a hang or a blow-up gets near it. */
const TIME_LIMIT_MS = 120_000;
const RSS_LIMIT_MB = 1_536;

let tmp: string;
let corpus: HostileRecord[];
let want: Tally;
let files: CorpusFiles;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-hostile-cli-'));
  corpus = hostileCorpus({ children: CHILDREN });
  want = tally(corpus);
  files = writeCorpusFiles(tmp, corpus);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

function accounted(s: DetectReport['summary']): number {
  return s.normalised + s.twinsMerged + sum(s.skipped) + sum(s.rejected);
}

/** Every source line of the report's events, with how often it is a first or a merged source. */
function sourceLines(report: DetectReport, file: string): Map<number, string[]> {
  const seen = new Map<number, string[]>();
  for (const c of report.communities)
    for (const e of c.events)
      e.sources.forEach((s, k) => {
        if (s.file !== file) return;
        const l = seen.get(s.line) ?? [];
        l.push(k === 0 ? 'event' : 'merged');
        seen.set(s.line, l);
      });
  return seen;
}

interface CliRun {
  code: number | null;
  stderr: string;
  ms: number;
  peakRssMb: number;
}

/** The installed command in a child process, with its peak RSS reported at exit. */
function runCli(args: string[]): Promise<CliRun> {
  const probe = path.join(tmp, 'peak_rss.cjs');
  fs.writeFileSync(
    probe,
    "process.on('exit', () => process.stderr.write(`\\nPEAK_RSS_KB=${process.resourceUsage().maxRSS}\\n`));\n",
  );
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', probe, path.join(REPO, 'bin/problemchild.mjs'), ...args],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const kb = /PEAK_RSS_KB=(\d+)/.exec(stderr);
      resolve({
        code,
        stderr,
        ms: performance.now() - t0,
        peakRssMb: kb ? Number(kb[1]) / 1024 : NaN,
      });
    });
  });
}

describe('problemchild detect on hostile input', () => {
  let plain: DetectReport;

  it(
    `accounts for every line of plain NDJSON and a gzip bomb, in bounded time and memory`,
    async () => {
      const out = path.join(tmp, 'plain.json');
      const run = await runCli([
        'detect',
        files.plain,
        files.bomb,
        '--format',
        'json',
        '--out',
        out,
        '--all',
      ]);
      console.log(
        `[hostile] detect on ${want.records.toLocaleString('en-US')} hostile records + 96 MiB bomb: ` +
          `${(run.ms / 1000).toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.ms).toBeLessThan(TIME_LIMIT_MS);
      expect(run.peakRssMb).toBeLessThan(RSS_LIMIT_MB);
      plain = JSON.parse(fs.readFileSync(out, 'utf8')) as DetectReport;
      const s = plain.summary;

      // The bomb is one record, refused for its length rather than read into memory.
      expect(s.records).toBe(want.records + 1);
      expect(s.rejected).toEqual({ ...want.rejected, line_too_long: 1 });
      expect(s.normalised).toBe(want.events);
      expect(s.twinsMerged).toBe(want.merged);
      expect(sum(s.skipped)).toBe(want.skipped);
      expect(accounted(s)).toBe(s.records);
      expect(run.stderr).toContain(`${files.bomb}: none of its 1 records`);

      // Line by line: each event-making line appears once, as a first or a merged source; no
      // other line does.
      const seen = sourceLines(plain, files.plain);
      corpus.forEach((r, i) => {
        const kinds = seen.get(i + 1) ?? [];
        const expected =
          r.expect.kind === 'event' || r.expect.kind === 'merged' ? [r.expect.kind] : [];
        expect(kinds, `line ${i + 1}: ${r.label}`).toEqual(expected);
      });
      const events = plain.communities.reduce((n, c) => n + c.events.length, 0);
      expect(events).toBe(s.normalised);

      // Rejections name the file and line, and the reason names what was missing.
      expect(s.rejections.length).toBeGreaterThanOrEqual(100);
      for (const r of s.rejections) {
        if (r.file === files.bomb) {
          expect(r).toMatchObject({ line: 1, reason: expect.stringMatching(/^line_too_long: /) });
          continue;
        }
        expect(r.file).toBe(files.plain);
        const rec = corpus[r.line - 1];
        expect(rec?.expect, `line ${r.line}`).toMatchObject({ kind: 'rejected' });
        const reason = (rec?.expect as { reason: string }).reason;
        expect(r.reason.startsWith(`${reason}: `), `${r.reason} for ${rec?.label}`).toBe(true);
        if (reason === 'missing_host') expect(r.reason).toMatch(/host|Hostname|Computer/);
        if (reason === 'missing_image') expect(r.reason).toMatch(/Image|executable|NewProcessName/);
        if (reason === 'missing_time') expect(r.reason).toMatch(/Time|timestamp/);
      }
    },
    TIME_LIMIT_MS + 10_000,
  );

  it('keeps the timestamps hostile records really carry', () => {
    const byLabel = new Map<string, string>();
    for (const c of plain.communities)
      for (const e of c.events) {
        const src = e.sources[0];
        if (src?.file === files.plain) byLabel.set(corpus[src.line - 1]?.label ?? '', e.timestamp);
      }
    expect(byLabel.get('UtcTime year 0099')).toBe('0099-06-01T00:00:00.000Z');
    expect(byLabel.get('UtcTime year 9999')).toBe('9999-12-31T23:59:59.999Z');
    expect(byLabel.get('ECS @timestamp last representable ms')).toBe('+275760-09-12T23:59:59.999Z');
    expect(byLabel.get('ECS @timestamp negative')).toBe('1969-12-31T23:59:59.999Z');
    // Its clock correction would leave the Date range: the raw time is kept.
    expect(
      byLabel.get('4688 at the latest representable time on a host with a learnt clock offset'),
    ).toBe('+275760-09-12T23:59:59.999Z');
  });

  it(
    'reads the gzip file exactly as the plain one',
    async () => {
      const out = path.join(tmp, 'gz.json');
      const err: string[] = [];
      const code = await runDetectCli([files.gz, '--format', 'json', '--out', out, '--all'], {
        stdout: () => undefined,
        stderr: (t) => err.push(t),
      });
      expect(code, err.join('')).toBe(0);
      const gz = JSON.parse(fs.readFileSync(out, 'utf8')) as DetectReport;
      const { files: _f, rejections: _r, ...s } = gz.summary;
      const { files: _pf, rejections: _pr, ...p } = plain.summary;
      expect(s).toEqual({ ...p, records: p.records - 1, rejected: want.rejected });
      expect([...sourceLines(gz, files.gz).keys()].sort((a, b) => a - b)).toEqual(
        [...sourceLines(plain, files.plain).keys()].sort((a, b) => a - b),
      );
    },
    TIME_LIMIT_MS,
  );

  it(
    'counts a truncated gzip stream as damage and keeps what was readable',
    async () => {
      const out = path.join(tmp, 'truncated.json');
      const err: string[] = [];
      const t0 = performance.now();
      const code = await runDetectCli(
        [files.truncatedGz, '--format', 'json', '--out', out, '--all'],
        { stdout: () => undefined, stderr: (t) => err.push(t) },
      );
      expect(code, err.join('')).toBe(0);
      expect(performance.now() - t0).toBeLessThan(TIME_LIMIT_MS);
      const r = JSON.parse(fs.readFileSync(out, 'utf8')) as DetectReport;
      const s = r.summary;
      expect(s.rejected.corrupt_input).toBe(1);
      expect(accounted(s)).toBe(s.records);
      expect(s.records).toBeLessThan(want.records);
      expect(s.normalised).toBeGreaterThan(0);
      // What came out is what those lines give in the whole file.
      const full = sourceLines(plain, files.plain);
      for (const [line, kinds] of sourceLines(r, files.truncatedGz))
        expect(full.get(line), `line ${line}`).toEqual(kinds);
    },
    TIME_LIMIT_MS,
  );
});
