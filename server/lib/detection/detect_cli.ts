/**
 * `problemchild detect`: the product's main job on files. Normalises the inputs, scores every
 * process creation with the model, builds prevalence from the same input, finds anomalous
 * communities and writes them as NDJSON plus a readable summary.
 *
 * One file run is one environment snapshot: every input is read before any host is analysed, so
 * prevalence covers all of them. The events wait as text, on disk past a memory budget
 * (detectFiles), so a run's memory does not grow with its input.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { visibleName } from '../../../common/display_text';
import type { AnomalousCommunity, SuppressionRule } from '../../../common/types/community';
import type { NormaliseSummary, ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer, ScoredEvent } from '../../../common/types/scoring';
import { StringInterner } from '../normalise/intern';
import { normaliseFile } from '../normalise/normaliser';
import { DEFAULT_THRESHOLD } from './community_score';
import {
  CommunityFinder,
  DEFAULT_SEED,
  DEFAULT_WINDOW,
  findBadCommunities,
  type FindBadCommunitiesResult,
  type PrepareOptions,
  type PrevalenceSource,
} from './find_bad_communities';
import { analyseHost, type HostAnalysis } from './host_analysis';
import { HostSpill } from './host_spill';
import { normaliseInThread } from './normalise_thread';
import {
  analyseHostsInWorkers,
  DEFAULT_HOST_BUDGET,
  type HostAnalysisFailure,
  type ParallelSpec,
} from './parallel_hosts';
import { addFailedHosts } from './failed_hosts';
import { hostKey } from './names';
import { PrevalenceLog } from './prevalence';
import { PrevalenceIndex } from './prevalence_index';
import { parseWindow } from './windowing';
import { writeJsonReport } from './report_writer';

/** Runs smaller than this are analysed in the main thread: starting workers costs more. */
export const MIN_PARALLEL_EVENTS = 50_000;

export const DETECT_USAGE = `Usage: problemchild detect [options] FILE|DIR...

Find anomalous process communities in Windows process-creation events (Elastic Defend / ECS,
Winlogbeat-Sysmon, flat Sysmon or Security 4688 NDJSON, optionally gzipped). A folder stands for
every *.ndjson / *.jsonl[.gz] file under it except *.labels.*. All inputs together are one
environment: prevalence is counted over all of them. Each host-window is judged by the lookback
that ends where the window ends, as the detection job would have judged it at the time: later
events never make a step look routine.

--format table (default) prints the ranked flagged communities and writes DIR/communities.ndjson
and DIR/run_summary.json (DIR = --out, default out/detect). --format json writes one JSON document
{summary, communities} to --out FILE (stdout when --out is absent or "-"); every event in it lists
the input records it was built from as sources: [{file, line}] (line 1-based).

Memory does not grow with the input: normalised events wait for their host's turn as text, in a
temporary file under $TMPDIR once they pass 64 MiB (about 1.4 KB per event), deleted when the
run ends.

Options:
  FILE|DIR...            inputs (also accepted after --input, for compatibility)
  --format F             table | json (default table)
  --out PATH             table: output folder (default out/detect); json: output file (default stdout)
  --all                  json: also list every unflagged community (flagged: false), so every
                         normalised event appears exactly once with its model score (default off)
  --model DIR            model bundle (default models/default)
  --threshold T          community score 0..1 at which a community is flagged (default ${DEFAULT_THRESHOLD})
  --seed S               Louvain seed, an integer (default ${DEFAULT_SEED})
  --window W             per-host time window: 15m, 1h, 1d, all (default ${DEFAULT_WINDOW})
  --lookback-days D      prevalence lookback ending at each window's end, days or "all" (default 30)
  --suppressions FILE    analyst rules (JSON array or NDJSON of suppression rules; default none)
  --score-mode M         model | elastic | blend: use Elastic's prediction_probability when present
                         (default model)
  --top N                communities printed by --format table (default 20; all are written)
  --threads N            threads that score and analyse hosts on runs of ${MIN_PARALLEL_EVENTS.toLocaleString('en-US')}+ events
                         (default: one per core, up to 8; 1 = no worker threads)
  --host-timeout S       seconds one host's analysis may take in its thread (default 600)
  --host-memory MB       heap of each analysis thread, MB (default 4096); a host over either
                         budget is tried twice, then reported as a finding with a degraded analysis
  --progress             show progress on stderr even when it is not a terminal (default: only on
                         a terminal)
  -h, --help             show this help
`;

/** One thread per core, up to 8: hosts are independent, and each thread holds a model copy. */
export const DEFAULT_THREADS = Math.max(1, Math.min(8, os.availableParallelism()));

export class DetectUsageError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'DetectUsageError';
  }
}

export interface DetectArgs {
  help: boolean;
  inputs: string[];
  model: string;
  threshold: number;
  /** Folder (table) or file (json); undefined = the format's default. */
  out?: string;
  format: 'table' | 'json';
  all: boolean;
  progress: boolean;
  seed: number;
  window: string;
  /** Days, or 'all' for every event in the input whatever its age. */
  lookbackDays: number | 'all';
  suppressions?: string;
  scoreMode: 'model' | 'elastic' | 'blend';
  top: number;
  /** Threads that analyse hosts (1 = this thread only). */
  threads: number;
  /** Per-host budgets of the analysis threads (parallel_hosts.ts DEFAULT_HOST_BUDGET). */
  hostTimeoutMs: number;
  hostMemoryMb: number;
}

/** Validates a numeric flag value; `fail` is the command's own usage error. */
export function numberFlag(
  flag: string,
  v: string,
  ok: (n: number) => boolean,
  what: string,
  command = 'detect',
  fail: UsageErrorClass = DetectUsageError,
): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new fail(flag, `${command}: ${flag} must be ${what}, got "${v}"`);
  return n;
}

export type UsageErrorClass = new (flag: string, message: string) => Error;

/** The detection settings every command that runs detection takes, with the same rules. */
export interface DetectionFlags {
  threshold: number;
  seed: number;
  window: string;
  lookbackDays: number | 'all';
}

/**
 * Parses one of the shared detection flags (--threshold, --seed, --window, --lookback-days) into
 * `into`; false when `flag` is not one of them. `detect` and `eval` both use it, so a setting is
 * validated the same way whichever command runs detection.
 */
export function parseDetectionFlag(
  command: string,
  flag: string,
  value: () => string,
  into: DetectionFlags,
  fail: UsageErrorClass,
): boolean {
  const num = (v: string, ok: (n: number) => boolean, what: string): number =>
    numberFlag(flag, v, ok, what, command, fail);
  switch (flag) {
    case '--threshold':
      into.threshold = num(value(), (n) => n >= 0 && n <= 1, 'a number from 0 to 1');
      return true;
    case '--seed':
      into.seed = num(value(), (n) => Number.isSafeInteger(n), 'an integer');
      return true;
    case '--window': {
      const w = value();
      try {
        parseWindow(w);
      } catch (err) {
        throw new fail(flag, `${command}: ${flag}: ${(err as Error).message}`);
      }
      into.window = w;
      return true;
    }
    case '--lookback-days': {
      const v = value();
      into.lookbackDays =
        v === 'all' ? 'all' : num(v, (n) => n > 0, 'a positive number of days or "all"');
      return true;
    }
    default:
      return false;
  }
}

/** Parses detect arguments (with or without the leading `detect`). */
export function parseDetectArgs(argv: readonly string[]): DetectArgs {
  const args = argv[0] === 'detect' ? argv.slice(1) : [...argv];
  const a: DetectArgs = {
    help: false,
    inputs: [],
    model: 'models/default',
    threshold: DEFAULT_THRESHOLD,
    format: 'table',
    all: false,
    progress: false,
    seed: DEFAULT_SEED,
    window: DEFAULT_WINDOW,
    lookbackDays: 30,
    scoreMode: 'model',
    top: 20,
    threads: DEFAULT_THREADS,
    hostTimeoutMs: DEFAULT_HOST_BUDGET.timeMs,
    hostMemoryMb: DEFAULT_HOST_BUDGET.memoryMb,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string => {
      const v = args[i + 1];
      if (v === undefined || (v.startsWith('-') && v.length > 1 && !/^-\d/.test(v))) {
        throw new DetectUsageError(flag, `detect: ${flag} needs a value`);
      }
      i++;
      return v;
    };
    if (parseDetectionFlag('detect', flag, value, a, DetectUsageError)) continue;
    switch (flag) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--input':
        a.inputs.push(value());
        // `--input a b c`: every following non-flag argument is another input.
        while (i + 1 < args.length && !(args[i + 1] as string).startsWith('--'))
          a.inputs.push(args[++i] as string);
        break;
      case '--model':
        a.model = value();
        break;
      case '--out':
        a.out = value();
        break;
      case '--format': {
        const f = value();
        if (f !== 'table' && f !== 'json')
          throw new DetectUsageError(flag, `detect: ${flag} must be table or json, got "${f}"`);
        a.format = f;
        break;
      }
      case '--all':
        a.all = true;
        break;
      case '--progress':
        a.progress = true;
        break;
      case '--suppressions':
        a.suppressions = value();
        break;
      case '--score-mode': {
        const m = value();
        if (m !== 'model' && m !== 'elastic' && m !== 'blend') {
          throw new DetectUsageError(
            flag,
            `detect: ${flag} must be model, elastic or blend, got "${m}"`,
          );
        }
        a.scoreMode = m;
        break;
      }
      case '--host-timeout':
        a.hostTimeoutMs =
          1000 * numberFlag(flag, value(), (n) => n > 0 && n <= 86_400, 'seconds from 0 to 86400');
        break;
      case '--host-memory':
        a.hostMemoryMb = numberFlag(
          flag,
          value(),
          (n) => Number.isInteger(n) && n >= 16 && n <= 65_536,
          'an integer from 16 to 65536 (MB)',
        );
        break;
      case '--threads':
        a.threads = numberFlag(
          flag,
          value(),
          (n) => Number.isInteger(n) && n >= 1 && n <= 64,
          'an integer from 1 to 64',
        );
        break;
      case '--top':
        a.top = numberFlag(
          flag,
          value(),
          (n) => Number.isInteger(n) && n >= 0,
          'a non-negative integer',
        );
        break;
      default:
        if (flag.startsWith('-') && flag !== '-')
          throw new DetectUsageError(flag, `detect: unknown option "${flag}"`);
        a.inputs.push(flag);
    }
  }
  if (!a.help && a.inputs.length === 0)
    throw new DetectUsageError('FILE', 'detect: an input FILE or DIR is required (or --input)');
  if (a.all && a.format !== 'json')
    throw new DetectUsageError('--all', 'detect: --all needs --format json');
  return a;
}

export interface DetectIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: the progress bar rewrites its line only there. */
  stderrIsTTY?: boolean;
}

export interface DetectDeps {
  /** How the model is loaded; tests pass a deterministic scorer. */
  loadScorer: (modelDir: string, mode: DetectArgs['scoreMode']) => Promise<EdgeScorer>;
  /**
   * Whether worker threads may analyse hosts: they load the model bundle themselves, so only
   * when loadScorer is the real model's loader.
   */
  workers?: boolean;
}

const defaultIo: DetectIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
};

const defaultDeps: DetectDeps = {
  workers: true,
  loadScorer: async (modelDir, mode) => {
    // Loaded lazily: TensorFlow.js start-up is paid only when detect really runs.
    const { TfjsEdgeScorer } = await import('../model/scorer');
    return TfjsEdgeScorer.load({ modelDir, mode });
  },
};

/**
 * Progress on stderr. On a terminal one line is rewritten in place, and only once a run has
 * taken half a second (short runs stay silent). With --progress off a terminal (CI logs) it prints
 * plain lines at most every 10% per phase, so a log never fills with carriage returns.
 */
export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastStep = new Map<string, number>();
  private drawn = false;

  constructor(
    private readonly io: Pick<DetectIo, 'stderr'>,
    private readonly mode: 'tty' | 'lines' | 'off',
  ) {}

  static for(io: DetectIo, forced: boolean): Progress {
    return new Progress(io, io.stderrIsTTY ? 'tty' : forced ? 'lines' : 'off');
  }

  update(phase: string, done: number, total: number, detail = ''): void {
    if (this.mode === 'off' || total <= 0) return;
    const frac = Math.min(1, Math.max(0, done / total));
    const now = performance.now();
    if (this.mode === 'tty') {
      if (now - this.started < 500 || (now - this.lastDraw < 100 && frac < 1)) return;
      this.lastDraw = now;
      const width = 24;
      const fill = Math.round(frac * width);
      const bar = `${'#'.repeat(fill)}${'.'.repeat(width - fill)}`;
      this.io.stderr(`\r\x1b[K${phase} [${bar}] ${Math.round(frac * 100)}% ${detail}`);
      this.drawn = true;
      return;
    }
    const step = Math.floor(frac * 10);
    if ((this.lastStep.get(phase) ?? -1) >= step) return;
    this.lastStep.set(phase, step);
    this.io.stderr(`${phase}: ${Math.round(frac * 100)}% ${detail}\n`);
  }

  done(): void {
    if (this.mode === 'tty' && this.drawn) this.io.stderr('\r\x1b[K');
    this.drawn = false;
  }
}

const DATA_FILE = /\.(ndjson|jsonl)(\.gz)?$/i;

/** Files named directly are taken as given; folders contribute their NDJSON files, not labels. */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = await fs.stat(input);
    } catch (err) {
      throw new Error(`input not found: ${input}`, { cause: err });
    }
    if (st.isDirectory()) {
      const entries = (await fs.readdir(input, { recursive: true })).map(String).sort();
      const found = entries
        .filter((e) => DATA_FILE.test(e) && !/\.labels\./i.test(path.basename(e)))
        .map((e) => path.join(input, e));
      if (found.length === 0)
        throw new Error(`input folder ${input} has no *.ndjson or *.jsonl files`);
      files.push(...found);
    } else {
      files.push(input);
    }
  }
  return [...new Set(files.map((f) => path.resolve(f)))];
}

export interface NormalisedInput {
  events: ProcessEvent[];
  perFile: Array<{ file: string; summary: NormaliseSummary }>;
}

/**
 * Normalises every file with its own normaliser (twins are merged within a file only) and keeps
 * every event: for `eval`, which joins events with labels per fold. `detect` uses detectFiles.
 */
export async function normaliseAll(
  files: string[],
  io: DetectIo,
  progress?: Progress,
): Promise<NormalisedInput> {
  const events: ProcessEvent[] = [];
  // Every event is held at once; sharing repeated strings roughly halves their heap.
  const interner = new StringInterner();
  const perFile = await normaliseFiles(files, io, (e) => events.push(interner.deep(e)), progress);
  return { events, perFile };
}

/** Tells the user about a file that gave no event or rejected records. */
function reportFile(io: DetectIo, file: string, summary: NormaliseSummary, events: number): void {
  const rejected = Object.values(summary.rejected).reduce((x, y) => x + y, 0);
  if (summary.records > 0 && events === 0) {
    const first = summary.rejections[0];
    io.stderr(
      `detect: ${file}: none of its ${summary.records} records is a process-creation event` +
        (first ? ` (first rejection, line ${first.line}: ${visibleName(first.reason)})` : '') +
        '\n',
    );
  } else if (rejected > 0) {
    io.stderr(
      `detect: ${file}: ${rejected} of ${summary.records} records rejected (see the run summary)\n`,
    );
  }
}

/**
 * Normalises every file in turn and hands each event to `sink` (which returns the running event
 * count); reports on stderr files that gave no event or rejected records.
 */
async function normaliseFiles(
  files: readonly string[],
  io: DetectIo,
  sink: (e: ProcessEvent) => number,
  progress?: Progress,
): Promise<NormalisedInput['perFile']> {
  const perFile: NormalisedInput['perFile'] = [];
  let fileNo = 0;
  let total = 0;
  for (const file of files) {
    const gen = normaliseFile(file, {}, file);
    let n = 0;
    let r;
    try {
      for (r = await gen.next(); !r.done; r = await gen.next()) {
        total = sink(r.value);
        n++;
        if ((n & 4095) === 0)
          progress?.update(
            'normalising',
            fileNo,
            files.length,
            `${fmt(total)} events, ${path.basename(file)}`,
          );
      }
    } catch (err) {
      throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    fileNo++;
    progress?.update('normalising', fileNo, files.length, `${fmt(total)} events`);
    perFile.push({ file, summary: r.value });
    reportFile(io, file, r.value, n);
  }
  progress?.done();
  return perFile;
}

const ruleSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['pair', 'community']),
  parentName: z.string().min(1),
  childName: z.string().min(1),
  cmdTemplate: z.string().optional(),
  host: z.string().optional(),
  communityId: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  reason: z.string(),
});

/** Rules from a JSON array or NDJSON file; a bad rule is reported with its file and position. */
export async function readSuppressionFile(file: string): Promise<SuppressionRule[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`suppression file not found: ${file}`, { cause: err });
  }
  const items: Array<{ where: string; value: unknown }> = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    (arr as unknown[]).forEach((value, i) => items.push({ where: `item ${i + 1}`, value }));
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        items.push({ where: `line ${i + 1}`, value: JSON.parse(line) });
      } catch {
        throw new Error(`${file}:${i + 1}: not valid JSON`);
      }
    });
  }
  return items.map(({ where, value }) => {
    const r = ruleSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(
        `${file} ${where}: not a suppression rule (${issue?.path.join('.') || 'rule'}: ${issue?.message ?? 'invalid'})`,
      );
    }
    return r.data;
  });
}

export async function scoreByHost(
  scorer: EdgeScorer,
  events: ProcessEvent[],
  progress?: Progress,
): Promise<ScoredEvent[]> {
  // A host's events go together so the scorer can find parent start times among them.
  const byHost = new Map<string, ProcessEvent[]>();
  for (const e of events) {
    const h = hostKey(e.host.name);
    const l = byHost.get(h);
    if (l) l.push(e);
    else byHost.set(h, [e]);
  }
  const out: ScoredEvent[] = [];
  for (const hostEvents of byHost.values()) {
    // A loop, not push(...): one host can have more events than a call takes arguments.
    for (const s of await scorer.score(hostEvents)) out.push(s);
    progress?.update('scoring', out.length, events.length, `${fmt(out.length)} events`);
  }
  progress?.done();
  return out;
}

/** Lookback used for `--lookback-days all`: longer than any real capture history. */
const ALL_DAYS = 1_000_000;

export interface DetectionOptions {
  threshold: number;
  seed: number;
  window: string;
  lookbackDays: number | 'all';
  suppressions?: readonly SuppressionRule[];
  includeUnflagged?: boolean;
}

export interface DetectionRun {
  result: FindBadCommunitiesResult;
  prevalence: PrevalenceIndex;
  timingsMs: { score: number; prevalence: number; detect: number };
}

/** Clock skew tolerated before an event counts as dated in the future. */
const FUTURE_SKEW_MS = 86_400_000;

/**
 * The newest plausible of some event times (epoch ms, NaN where unusable): the newest, ignoring
 * events dated more than a day after `now` (a clock gone wrong or a forged year 9999 would
 * otherwise move every lookback past the real events and make the whole run look rare). When
 * every event is in the future, the newest. No lookback of a file run ends later.
 */
export function newestPlausibleTime(times: ArrayLike<number>, now: number): number | undefined {
  let newest = -Infinity;
  let newestPlausible = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const ms = times[i] as number;
    if (!Number.isFinite(ms)) continue;
    if (ms > newest) newest = ms;
    if (ms <= now + FUTURE_SKEW_MS && ms > newestPlausible) newestPlausible = ms;
  }
  if (Number.isFinite(newestPlausible)) return newestPlausible;
  return Number.isFinite(newest) ? newest : undefined;
}

/**
 * The prevalence a file run weighs its communities by, counted over all of its events (the
 * inputs of one run are one environment). Each host-window is judged by the lookback ending at
 * its own end, as the detection job running at the time would have judged it; with window "all"
 * there is one lookback, ending at the newest plausible event.
 */
export function filePrevalence(
  log: PrevalenceLog,
  opts: Pick<DetectionOptions, 'lookbackDays' | 'window'>,
): { index: PrevalenceIndex; source: PrevalenceSource } {
  const index = PrevalenceIndex.fromLog(log, {
    lookbackDays: opts.lookbackDays === 'all' ? ALL_DAYS : opts.lookbackDays,
    asOf: newestPlausibleTime(log.timesMs(), Date.now()),
  });
  const source: PrevalenceSource =
    parseWindow(opts.window) > 0 ? (w) => index.forWindow(w) : index.at(Infinity);
  return { index, source };
}

/**
 * Scores and detects over already normalised events, prevalence counted as filePrevalence says.
 * (Per-file prevalence would call everything in a capture of a handful of events rare; see the
 * README, "How scoring works", "File runs".)
 */
export async function detectEvents(
  events: ProcessEvent[],
  scorer: EdgeScorer,
  opts: DetectionOptions,
  progress?: Progress,
): Promise<DetectionRun> {
  let t = performance.now();
  const scored = await scoreByHost(scorer, events, progress);
  const scoreMs = performance.now() - t;

  t = performance.now();
  const log = new PrevalenceLog();
  for (const e of events) log.add(e);
  const { index, source } = filePrevalence(log, opts);
  const prevalenceMs = performance.now() - t;

  const result = await findBadCommunities(scored, {
    prevalence: source,
    suppressions: opts.suppressions ?? [],
    threshold: opts.threshold,
    seed: opts.seed,
    window: opts.window,
    includeUnflagged: opts.includeUnflagged ?? false,
  });
  return {
    result,
    prevalence: index,
    timingsMs: { score: scoreMs, prevalence: prevalenceMs, detect: result.stats.timingsMs.total },
  };
}

export interface FileDetectionRun extends DetectionRun {
  perFile: NormalisedInput['perFile'];
  /** Normalised events (after twins were merged). */
  normalised: number;
  /** Bytes of events that waited in the run's temporary file (0 when they fitted in memory). */
  spilledBytes: number;
  /**
   * Wall time per phase; `analyse` is reading, scoring and preparing every host (score, within
   * it, is summed over threads when workers ran), `threads` how many analysed.
   */
  timingsMs: DetectionRun['timingsMs'] & { normalise: number; analyse: number };
  threads: number;
  /** Hosts whose analysis failed: each is a finding (score 1) with a degraded analysis. */
  failures: HostAnalysisFailure[];
}

/** Inputs smaller than this (bytes on disk) are normalised in the main thread. */
export const MIN_PARALLEL_BYTES = 32 * 1024 * 1024;

async function totalBytes(files: readonly string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await fs.stat(f)).size;
  return n;
}

/**
 * A whole file run without holding the events:
 *  1. every event is normalised once and filed by host (as JSON text, on disk past a memory
 *     budget);
 *  2. each host is read back and analysed as far as it can be alone (host_analysis.ts: its
 *     prevalence keys, scores and candidate communities), by worker threads when `parallel` is
 *     given and the run is large enough, else in this thread;
 *  3. prevalence is counted from every host's keys, then every host's candidates are weighed by it.
 * Hosts are combined in the order they were first seen, so the result is the same whatever thread
 * analysed what, and the same as normaliseAll + detectEvents give.
 */
export async function detectFiles(
  files: readonly string[],
  scorer: EdgeScorer,
  opts: DetectionOptions,
  io: DetectIo,
  progress?: Progress,
  spill: HostSpill<ProcessEvent> = new HostSpill<ProcessEvent>(),
  parallel?: ParallelSpec & { minEvents?: number; minBytes?: number },
): Promise<FileDetectionRun | undefined> {
  // An interrupted run must not leave a gigabyte of event text behind: delete it, then let the
  // signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals): void => {
    spill.close();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let t = performance.now();
    let perFile: NormalisedInput['perFile'];
    if (
      parallel &&
      parallel.threads > 1 &&
      (await totalBytes(files)) >= (parallel.minBytes ?? MIN_PARALLEL_BYTES)
    ) {
      perFile = [];
      let done = 0;
      await normaliseInThread(
        files,
        spill,
        (file, summary, events) => {
          perFile.push({ file, summary });
          reportFile(io, file, summary, events);
          progress?.update('normalising', ++done, files.length, `${fmt(spill.size)} events`);
        },
        (events) => progress?.update('normalising', done, files.length, `${fmt(events)} events`),
      );
      progress?.done();
    } else {
      perFile = await normaliseFiles(
        files,
        io,
        (e) => {
          spill.add(hostKey(e.host.name), e);
          return spill.size;
        },
        progress,
      );
    }
    const normaliseMs = performance.now() - t;
    if (spill.size === 0) return undefined;

    const prepareOpts: PrepareOptions = {
      threshold: opts.threshold,
      seed: opts.seed,
      window: opts.window,
      includeUnflagged: opts.includeUnflagged ?? false,
    };
    const hosts = spill.hostKeys();
    const onHost = (done: number, events: number): void =>
      progress?.update(
        'analysing hosts',
        done,
        hosts.length,
        `${fmt(events)} of ${fmt(spill.size)} events`,
      );
    t = performance.now();
    let analyses: HostAnalysis[];
    let threads = 1;
    const failures: HostAnalysisFailure[] = [];
    const failedEvents = new Map<string, ProcessEvent[]>();
    if (
      parallel &&
      parallel.threads > 1 &&
      spill.size >= (parallel.minEvents ?? MIN_PARALLEL_EVENTS)
    ) {
      analyses = await analyseHostsInWorkers(
        spill.persist(),
        hosts,
        hosts.map((h) => spill.count(h)),
        { ...parallel, modelDir: path.resolve(parallel.modelDir) },
        prepareOpts,
        onHost,
        (f) => failures.push(f),
      );
      threads = Math.min(parallel.threads, hosts.length);
    } else {
      analyses = [];
      let events = 0;
      for (const host of hosts) {
        const hostEvents = spill.read(host);
        spill.drop(host);
        // In this thread a host cannot be stopped mid-way; an exception is still its own.
        try {
          analyses.push(await analyseHost(host, hostEvents, scorer, prepareOpts));
        } catch (err) {
          failures.push({ host, stage: 'analysis', error: String(err), attempts: 1 });
          failedEvents.set(host, hostEvents);
        }
        events += hostEvents.length;
        onHost(analyses.length, events);
      }
    }
    progress?.done();
    const analyseMs = performance.now() - t;

    t = performance.now();
    const log = new PrevalenceLog();
    for (const a of analyses) log.addHost(a.host, a.keys);
    const { index, source } = filePrevalence(log, opts);
    const prevalenceMs = performance.now() - t;

    const finder = await CommunityFinder.create({
      prevalence: source,
      suppressions: opts.suppressions ?? [],
      ...prepareOpts,
    });
    for (const a of analyses) {
      try {
        await finder.addPrepared(a.prepared);
      } catch (err) {
        failures.push({
          host: a.host,
          stage: 'weighing communities by prevalence',
          error: String(err),
          attempts: 1,
        });
      }
    }
    const result = await addFailedHosts(
      finder.finish(),
      failures,
      { read: (h) => failedEvents.get(h) ?? spill.read(h) },
      scorer,
      source,
    );
    return {
      result,
      prevalence: index,
      perFile,
      normalised: spill.size,
      spilledBytes: spill.spilledBytes,
      threads,
      failures,
      timingsMs: {
        normalise: normaliseMs,
        analyse: analyseMs,
        score: analyses.reduce((n, a) => n + a.scoreMs, 0),
        prevalence: prevalenceMs,
        detect: result.stats.timingsMs.total,
      },
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    spill.close();
  }
}

// ---------------------------------------------------------------------------------------------
// JSON report
// ---------------------------------------------------------------------------------------------

export interface ReportSource {
  file: string;
  /** 1-based line of the record in `file`. */
  line: number;
}

export interface ReportEvent {
  id: string;
  timestamp: string;
  /** Every input record merged into this event (two for a Sysmon/4688 twin). */
  sources: ReportSource[];
  /** Model score 0..1 of the creation. */
  score: number;
  /** Model score after prevalence and suppression (the edge's anomaly). */
  anomaly: number;
  parent: { name?: string; command_line?: string };
  process: { name: string; command_line?: string; entity_id: string };
  user?: string;
}

export interface ReportCommunity {
  id: string;
  host: string;
  window: { start: string; end: string };
  rank: number;
  flagged: boolean;
  score: number;
  maxAnomaly: number;
  chain: string;
  techniques: string[];
  users: string[];
  firstSeen: string;
  lastSeen: string;
  events: ReportEvent[];
}

export interface ReportSummary {
  files: number;
  records: number;
  normalised: number;
  twinsMerged: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
  /** Where rejected records are: the first ones of each file, with the reason and field. */
  rejections: NormaliseSummary['rejections'];
  hosts: number;
  communities: number;
  flaggedCommunities: number;
  flaggedEvents: number;
  model: string;
  threshold: number;
  window: string;
  seed: number;
  lookbackDays: number | 'all';
}

export interface DetectReport {
  summary: ReportSummary;
  communities: ReportCommunity[];
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function reportCommunity(c: AnomalousCommunity, flagged: boolean): ReportCommunity {
  const anomalyOf = new Map<string, number>();
  for (const e of c.edges) for (const id of e.eventIds) anomalyOf.set(id, e.anomaly);
  return {
    id: c.id,
    host: c.host,
    window: c.window,
    rank: c.rank,
    flagged,
    score: c.score,
    maxAnomaly: c.maxAnomaly,
    chain: c.chain,
    techniques: c.techniques.map((t) => t.id),
    users: c.users,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    events: c.events.map((s) => {
      const e = s.event;
      const user = e.user.name;
      return {
        id: e.event.id,
        timestamp: e['@timestamp'],
        sources: e.problemchild.sources.flatMap((r) =>
          r.kind === 'file' ? [{ file: r.file, line: r.line }] : [],
        ),
        score: s.score,
        anomaly: anomalyOf.get(e.event.id) ?? 0,
        parent: { name: e.process.parent.name, command_line: e.process.parent.command_line },
        process: {
          name: e.process.name,
          command_line: e.process.command_line,
          entity_id: e.process.entity_id,
        },
        user: user ? (e.user.domain ? `${e.user.domain}\\${user}` : user) : undefined,
      };
    }),
  };
}

/** The `--format json` document; unflagged communities are included when the run returned them. */
export function buildReport(
  input: { perFile: NormalisedInput['perFile']; normalised: number },
  run: DetectionRun,
  meta: Pick<ReportSummary, 'model' | 'threshold' | 'window' | 'seed' | 'lookbackDays'>,
): DetectReport {
  const skipped: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const rejections: NormaliseSummary['rejections'] = [];
  let records = 0;
  let twinsMerged = 0;
  for (const { summary } of input.perFile) {
    records += summary.records;
    twinsMerged += summary.mergedTwins;
    addCounts(skipped, summary.skipped);
    addCounts(rejected, summary.rejected);
    rejections.push(...summary.rejections);
  }
  const { result } = run;
  const communities = [
    ...result.communities.map((c) => reportCommunity(c, true)),
    ...(result.unflagged ?? []).map((c) => reportCommunity(c, false)),
  ];
  return {
    summary: {
      files: input.perFile.length,
      records,
      normalised: input.normalised,
      twinsMerged,
      skipped,
      rejected,
      rejections,
      hosts: result.stats.hosts,
      communities: result.stats.communities,
      flaggedCommunities: result.stats.flagged,
      flaggedEvents: result.communities.reduce((n, c) => n + c.events.length, 0),
      ...meta,
    },
    communities,
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * The ranked table for a terminal. Host names and chains come from events, so an intruder
 * writes them: control characters (escape sequences set a window title or hide text), bidi
 * overrides and invisible characters are printed as `\u{…}` escapes. JSON output stays exact.
 */
export function renderSummary(communities: AnomalousCommunity[], top: number): string {
  if (communities.length === 0) return 'No community reached the threshold.\n';
  const shown = communities.slice(0, top).map((c) => ({
    c,
    host: visibleName(c.host),
    chain: visibleName(c.chain),
  }));
  const hostW = Math.min(40, Math.max(4, ...shown.map((s) => s.host.length)));
  const lines = [`${pad('rank', 5)} ${pad('host', hostW)}  score  max    chain  [techniques]`];
  for (const { c, host, chain } of shown) {
    const techniques = visibleName(c.techniques.map((t) => t.id).join(' '));
    lines.push(
      `${String(c.rank).padStart(4)}  ${pad(host.slice(0, hostW), hostW)}  ${c.score.toFixed(2)}   ${c.maxAnomaly.toFixed(2)}   ${chain}` +
        (techniques ? `  [${techniques}]` : ''),
    );
  }
  if (communities.length > top)
    lines.push(`… and ${communities.length - top} more in communities.ndjson`);
  return `${lines.join('\n')}\n`;
}

/** Run `detect` with its arguments (without the command name). Resolves to an exit code. */
export async function runDetectCli(
  argv: readonly string[],
  io: DetectIo = defaultIo,
  deps: DetectDeps = defaultDeps,
): Promise<number> {
  let args: DetectArgs;
  try {
    args = parseDetectArgs(argv);
  } catch (err) {
    if (err instanceof DetectUsageError) {
      io.stderr(`${err.message}\n\n${DETECT_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    io.stdout(DETECT_USAGE);
    return 0;
  }
  const started = performance.now();
  const progress = Progress.for(io, args.progress);
  try {
    const files = await expandInputs(args.inputs);
    const rules = args.suppressions ? await readSuppressionFile(args.suppressions) : [];
    let scorer: EdgeScorer;
    try {
      scorer = await deps.loadScorer(args.model, args.scoreMode);
    } catch (err) {
      throw new Error(
        `cannot load model from ${args.model}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }

    const run = await detectFiles(
      files,
      scorer,
      {
        threshold: args.threshold,
        seed: args.seed,
        window: args.window,
        lookbackDays: args.lookbackDays,
        suppressions: rules,
        includeUnflagged: args.all,
      },
      io,
      progress,
      undefined,
      deps.workers && args.threads > 1
        ? {
            modelDir: args.model,
            mode: args.scoreMode,
            threads: args.threads,
            budget: { timeMs: args.hostTimeoutMs, memoryMb: args.hostMemoryMb },
          }
        : undefined,
    );
    if (run === undefined) {
      io.stderr(`detect: no process-creation events in ${files.join(', ')}\n`);
      return 1;
    }
    const { result, prevalence } = run;
    // Said on stderr whatever the format: the run completed, these hosts only in degraded form.
    for (const f of run.failures)
      io.stderr(
        `detect: analysis failed on host ${visibleName(f.host)} after ${f.attempts} ${f.attempts === 1 ? 'try' : 'tries'} (${f.stage}: ${visibleName(f.error)}); reported as a finding with a degraded analysis\n`,
      );

    if (args.format === 'json') {
      const meta = {
        model: scorer.modelName,
        threshold: args.threshold,
        window: args.window,
        seed: args.seed,
        lookbackDays: args.lookbackDays,
      };
      // Piece by piece: with --all the whole document as one string cost gigabytes.
      if (args.out === undefined || args.out === '-')
        await writeJsonReport((t) => io.stdout(t), run, run, meta);
      else {
        await fs.mkdir(path.dirname(path.resolve(args.out)), { recursive: true });
        const fh = await fs.open(args.out, 'w');
        try {
          await writeJsonReport(async (t) => void (await fh.write(t)), run, run, meta);
        } finally {
          await fh.close();
        }
        io.stderr(
          `detect: flagged ${fmt(result.stats.flagged)} of ${fmt(result.stats.communities)} communities; wrote ${args.out}\n`,
        );
      }
      return 0;
    }

    const outDir = args.out ?? path.join('out', 'detect');
    await fs.mkdir(outDir, { recursive: true });
    const ndjson = path.join(outDir, 'communities.ndjson');
    await fs.writeFile(
      ndjson,
      result.communities.map((c) => JSON.stringify(c)).join('\n') +
        (result.communities.length ? '\n' : ''),
    );
    const totalMs = performance.now() - started;
    const summaryFile = path.join(outDir, 'run_summary.json');
    await fs.writeFile(
      summaryFile,
      JSON.stringify(
        {
          options: { ...args, help: undefined, inputs: files },
          model: scorer.modelName,
          files: run.perFile,
          prevalence: prevalence.summary(),
          stats: result.stats,
          timingsMs: { ...run.timingsMs, total: totalMs },
          memory: {
            peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
            spilledMB: Math.round(run.spilledBytes / 1048576),
          },
        },
        null,
        2,
      ) + '\n',
    );

    const s = result.stats;
    io.stdout(
      `problemchild detect: ${files.length} file${files.length === 1 ? '' : 's'}, ${fmt(run.normalised)} events, ${fmt(s.hosts)} host${s.hosts === 1 ? '' : 's'}, ` +
        `model ${scorer.modelName}, threshold ${args.threshold}, window ${args.window}, seed ${args.seed}\n` +
        `flagged ${fmt(s.flagged)} of ${fmt(s.communities)} communities in ${(totalMs / 1000).toFixed(1)} s` +
        (s.suppressedCommunities.length
          ? `; ${s.suppressedCommunities.length} more suppressed by analyst rules`
          : '') +
        '\n\n' +
        renderSummary(result.communities, args.top) +
        `\nwrote ${ndjson} and ${summaryFile}\n`,
    );
    return 0;
  } catch (err) {
    progress.done();
    io.stderr(`detect: ${visibleName(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}
