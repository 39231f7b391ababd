/**
 * `problemchild eval`: runs detection over labelled event files and measures it.
 *
 *   problemchild eval --labels DIR FILE|DIR...           the given model ("in-sample" when it was
 *                                                        trained on these files, as the default
 *                                                        model was on ../shared/data/otrf)
 *   problemchild eval --labels DIR --folds 5 FILE|DIR... also leave-datasets-out: K fold models,
 *                                                        each trained without its fold's files
 *
 * Detection always runs over all inputs together (one environment, so prevalence is counted
 * across every file); in a fold only the held-out files are measured. Prevalence uses no labels,
 * so counting it over training files leaks nothing.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer } from '../../../common/types/scoring';
import type { NetworkConfig } from '../model/network';
import { DEFAULT_THRESHOLD } from '../detection/community_score';
import {
  buildReport,
  type DetectionOptions,
  detectEvents,
  type DetectIo,
  expandInputs,
  normaliseAll,
  type NormalisedInput,
  numberFlag,
  parseDetectionFlag,
  Progress,
  type ReportCommunity,
} from '../detection/detect_cli';
import { DEFAULT_SEED, DEFAULT_WINDOW } from '../detection/find_bad_communities';
import { seededRng } from '../prng';
import { findLabelsFile, type FileLabels, loadFileLabels } from './labels';
import {
  computeMetrics,
  type EvalMetrics,
  renderMetrics,
  renderSweep,
  summarise,
  sweep,
  type SweepPoint,
} from './metrics';

export const EVAL_USAGE = `Usage: problemchild eval --labels DIR [options] FILE|DIR...

Runs detection over labelled event files and measures it against the labels in DIR
(<stem>.labels.ndjson[.gz] per <stem>[.events].ndjson[.gz], joined on _rid; a merged Sysmon/4688
event is malicious if any of its records is). Prints recall of malicious events inside flagged
communities, the share of events flagged, precision (malicious share of the events in flagged
communities) and, per dataset (events file), whether the top-ranked flagged community holding its
events contains attack events. Each file is judged as its own environment by default: labelled
captures are separate recordings, and counting prevalence across them would let one capture's
replay of an attack make another's look routine (--scope all judges all inputs as one
environment, as detect does).

Options:
  FILE|DIR...            event files or folders (*.ndjson / *.jsonl[.gz], not *.labels.*)
  --labels DIR           folder with the labels files (required)
  --model DIR            model for the in-sample figure (default models/default)
  --folds K              also leave-datasets-out: K models, each trained without one fold of the
                         labelled input files, scoring only that fold (default off; --cv = 5)
  --cv                   same as --folds 5
  --train-extra PATH     more labelled data for fold training, e.g. ../shared/data/sigma_regression
                         (repeatable; default none)
  --synthetic-hosts N    synthetic generator hosts added to fold training (default 20, as the
                         shipped model's training; 0 = none)
  --synthetic-days D     days per synthetic host (default 3)
  --synthetic-attacks A  attack instances in the synthetic data (default 60)
  --epochs E             fold training epochs (default: the --model's, from its meta.json)
  --threshold T          community score 0..1 at which a community is flagged (default ${DEFAULT_THRESHOLD})
  --seed S               Louvain seed and fold/training seed, an integer (default ${DEFAULT_SEED})
  --window W             per-host time window: 15m, 1h, 1d, all (default ${DEFAULT_WINDOW})
  --lookback-days D      prevalence lookback ending at each window's end, days or "all" (default 30,
                         as detect)
  --scope S              file | all: prevalence and graphs over each file alone, or over all
                         inputs together (default file)
  --format F             table | json (default table)
  --out FILE             write the JSON report there (default stdout with --format json)
  --progress             progress on stderr even when it is not a terminal
  -h, --help             show this help
`;

export class EvalUsageError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'EvalUsageError';
  }
}

export interface EvalArgs {
  help: boolean;
  inputs: string[];
  labels?: string;
  model: string;
  folds: number;
  trainExtra: string[];
  syntheticHosts: number;
  syntheticDays: number;
  syntheticAttacks: number;
  /** Fold training epochs; undefined = the evaluated model's own. */
  epochs?: number;
  threshold: number;
  seed: number;
  window: string;
  lookbackDays: number | 'all';
  scope: 'all' | 'file';
  format: 'table' | 'json';
  out?: string;
  progress: boolean;
}

function num(flag: string, v: string, ok: (n: number) => boolean, what: string): number {
  return numberFlag(flag, v, ok, what, 'eval', EvalUsageError);
}

const int = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const args = argv[0] === 'eval' ? argv.slice(1) : [...argv];
  const a: EvalArgs = {
    help: false,
    inputs: [],
    model: 'models/default',
    folds: 0,
    trainExtra: [],
    // The shipped model's synthetic share (its MODEL_CARD's command), so folds differ from it
    // only by the held-out files.
    syntheticHosts: 20,
    syntheticDays: 3,
    syntheticAttacks: 60,
    threshold: DEFAULT_THRESHOLD,
    seed: DEFAULT_SEED,
    window: DEFAULT_WINDOW,
    lookbackDays: 30,
    scope: 'file',
    format: 'table',
    progress: false,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string => {
      const v = args[i + 1];
      if (v === undefined || (v.startsWith('-') && v.length > 1 && !/^-\d/.test(v)))
        throw new EvalUsageError(flag, `eval: ${flag} needs a value`);
      i++;
      return v;
    };
    if (parseDetectionFlag('eval', flag, value, a, EvalUsageError)) continue;
    switch (flag) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--labels':
        a.labels = value();
        break;
      case '--input':
        a.inputs.push(value());
        break;
      case '--model':
        a.model = value();
        break;
      case '--folds':
        a.folds = num(flag, value(), int(2), 'an integer of at least 2');
        break;
      case '--cv':
        a.folds = 5;
        break;
      case '--train-extra':
        a.trainExtra.push(value());
        break;
      case '--synthetic-hosts':
        a.syntheticHosts = num(flag, value(), int(0), 'a non-negative integer');
        break;
      case '--synthetic-days':
        a.syntheticDays = num(flag, value(), int(1), 'a positive integer');
        break;
      case '--synthetic-attacks':
        a.syntheticAttacks = num(flag, value(), int(0), 'a non-negative integer');
        break;
      case '--epochs':
        a.epochs = num(flag, value(), int(1), 'a positive integer');
        break;
      case '--scope': {
        const v = value();
        if (v !== 'all' && v !== 'file')
          throw new EvalUsageError(flag, `eval: ${flag} must be all or file, got "${v}"`);
        a.scope = v;
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'table' && v !== 'json')
          throw new EvalUsageError(flag, `eval: ${flag} must be table or json, got "${v}"`);
        a.format = v;
        break;
      }
      case '--out':
        a.out = value();
        break;
      case '--progress':
        a.progress = true;
        break;
      default:
        if (flag.startsWith('-') && flag !== '-')
          throw new EvalUsageError(flag, `eval: unknown option "${flag}"`);
        a.inputs.push(flag);
    }
  }
  if (a.help) return a;
  if (a.labels === undefined)
    throw new EvalUsageError('--labels', 'eval: --labels DIR is required');
  if (a.inputs.length === 0)
    throw new EvalUsageError('FILE', 'eval: an input FILE or DIR is required');
  return a;
}

export interface EvalDeps {
  loadScorer: (modelDir: string) => Promise<EdgeScorer>;
  /** Trains a model on the given labelled files (+ extras/synthetic) into `outDir`. */
  trainFold: (spec: FoldTrainSpec) => Promise<void>;
}

export interface FoldTrainSpec {
  fold: number;
  trainFiles: string[];
  extra: string[];
  outDir: string;
  seed: number;
  /** The evaluated model's network (kind, sizes, training settings), so folds train the same recipe. */
  network: NetworkConfig;
  synthetic: { hosts: number; days: number; attacks: number };
  log: (line: string) => void;
}

/** Fold training through the model helper's public API (whole files stay on one side). */
async function trainFoldWithModelApi(spec: FoldTrainSpec): Promise<void> {
  const [{ loadSharedData }, { loadSynthetic }, { trainModel }] = await Promise.all([
    import('../model/shared_data'),
    import('../model/synthetic_data'),
    import('../model/training'),
  ]);
  // Twins unmerged, as `problemchild train` does: the model must score either record kind alone.
  const { datasets } = await loadSharedData([...spec.trainFiles, ...spec.extra], {
    mergeTwins: false,
  });
  const synthetic =
    spec.synthetic.hosts > 0
      ? (
          await loadSynthetic({
            hosts: spec.synthetic.hosts,
            days: spec.synthetic.days,
            attacks: spec.synthetic.attacks,
            seed: spec.seed,
          })
        ).datasets
      : [];
  await trainModel({
    datasets: [...datasets, ...synthetic],
    outDir: spec.outDir,
    seed: spec.seed,
    name: `eval-fold-${spec.fold}`,
    trainedAt: '1970-01-01T00:00:00Z',
    evaluate: false,
    config: { network: { ...spec.network, seed: spec.seed } },
  });
}

const defaultDeps: EvalDeps = {
  loadScorer: async (modelDir) => {
    const { TfjsEdgeScorer } = await import('../model/scorer');
    return TfjsEdgeScorer.load({ modelDir, mode: 'model', topK: 0 });
  },
  trainFold: trainFoldWithModelApi,
};

const defaultIo: DetectIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
};

/** Seeded assignment of files to K folds (shuffled, then dealt round-robin). */
export function assignFileFolds(files: readonly string[], k: number, seed: number): string[][] {
  const sorted = [...files].sort();
  const rand = seededRng(seed ^ 0x5eed);
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sorted[i], sorted[j]] = [sorted[j] as string, sorted[i] as string];
  }
  const folds: string[][] = Array.from({ length: k }, () => []);
  sorted.forEach((f, i) => folds[i % k]?.push(f));
  return folds.map((f) => f.sort());
}

/** Runs detection (full partition) and returns every community with its events' sources. */
async function partition(
  input: NormalisedInput,
  scorer: EdgeScorer,
  opts: DetectionOptions,
  scope: EvalArgs['scope'],
): Promise<ReportCommunity[]> {
  const groups: ProcessEvent[][] = [];
  if (scope === 'all') groups.push(input.events);
  else {
    const byFile = new Map<string, ProcessEvent[]>();
    for (const e of input.events) {
      const s = e.problemchild.sources[0];
      const f = s?.kind === 'file' ? s.file : '';
      const l = byFile.get(f);
      if (l) l.push(e);
      else byFile.set(f, [e]);
    }
    groups.push(...byFile.values());
  }
  const out: ReportCommunity[] = [];
  for (const events of groups) {
    const run = await detectEvents(events, scorer, { ...opts, includeUnflagged: true });
    const report = buildReport({ normalised: events.length, perFile: [] }, run, {
      model: scorer.modelName,
      threshold: opts.threshold,
      window: opts.window,
      seed: opts.seed,
      lookbackDays: opts.lookbackDays,
    });
    out.push(...report.communities);
  }
  return out;
}

export interface EvalReport {
  options: Omit<EvalArgs, 'help'>;
  files: number;
  labelledFiles: number;
  inSample: EvalMetrics & { model: string; sweep: SweepPoint[] };
  leaveDatasetsOut?: EvalMetrics & {
    folds: Array<{ files: string[]; metrics: Omit<EvalMetrics, 'perDataset'> }>;
    sweep: SweepPoint[];
  };
}

function withoutPerDataset(m: EvalMetrics): Omit<EvalMetrics, 'perDataset'> {
  const { perDataset: _ignored, ...rest } = m;
  return rest;
}

export async function runEvalCli(
  argv: readonly string[],
  io: DetectIo = defaultIo,
  deps: EvalDeps = defaultDeps,
): Promise<number> {
  let args: EvalArgs;
  try {
    args = parseEvalArgs(argv);
  } catch (err) {
    if (err instanceof EvalUsageError) {
      io.stderr(`${err.message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    io.stdout(EVAL_USAGE);
    return 0;
  }
  const progress = Progress.for(io, args.progress);
  try {
    const files = await expandInputs(args.inputs);
    const labels = new Map<string, FileLabels>();
    for (const f of files) {
      const lf = await findLabelsFile(f, args.labels as string);
      if (lf) labels.set(f, await loadFileLabels(f, lf));
    }
    if (labels.size === 0)
      throw new Error(`no labels in ${args.labels} for any of the ${files.length} input files`);
    const input = await normaliseAll(files, { ...io, stderr: () => undefined }, progress);
    if (input.events.length === 0) throw new Error('no process-creation events in the inputs');
    const opts: DetectionOptions = {
      threshold: args.threshold,
      seed: args.seed,
      window: args.window,
      lookbackDays: args.lookbackDays,
    };

    let scorer: EdgeScorer;
    try {
      scorer = await deps.loadScorer(args.model);
    } catch (err) {
      throw new Error(
        `cannot load model from ${args.model}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const inSampleCommunities = await partition(input, scorer, opts, args.scope);
    const inSample = computeMetrics(inSampleCommunities, labels);
    const { help: _help, ...options } = args;
    const report: EvalReport = {
      options,
      files: files.length,
      labelledFiles: labels.size,
      inSample: {
        ...inSample,
        model: scorer.modelName,
        sweep: sweep([{ communities: inSampleCommunities }], labels),
      },
    };
    let text = renderMetrics(
      `in-sample (model ${scorer.modelName} on all ${labels.size} labelled files; in-sample when that model was trained on them)`,
      inSample,
    );

    if (args.folds > 0) {
      const labelled = [...labels.keys()];
      if (labelled.length < args.folds)
        throw new Error(
          `--folds ${args.folds} needs at least as many labelled files (${labelled.length})`,
        );
      const folds = assignFileFolds(labelled, args.folds, args.seed);
      // Folds train the evaluated model's own recipe, so the figure describes that model.
      const { loadModelMeta } = await import('../model/model_files');
      const foldNetwork = (await loadModelMeta(args.model)).network;
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-eval-'));
      const perDataset: EvalMetrics['perDataset'] = [];
      const foldResults: NonNullable<EvalReport['leaveDatasetsOut']>['folds'] = [];
      const foldRuns: Array<{ communities: ReportCommunity[]; only: Set<string> }> = [];
      let unlabelled = 0;
      try {
        for (let k = 0; k < folds.length; k++) {
          const held = new Set(folds[k]);
          const dir = path.join(tmp, `fold-${k}`);
          io.stderr(`eval: fold ${k + 1}/${folds.length}: training without ${held.size} files\n`);
          await deps.trainFold({
            fold: k,
            trainFiles: labelled.filter((f) => !held.has(f)),
            extra: args.trainExtra,
            outDir: dir,
            seed: args.seed + k,
            network: { ...foldNetwork, epochs: args.epochs ?? foldNetwork.epochs },
            synthetic: {
              hosts: args.syntheticHosts,
              days: args.syntheticDays,
              attacks: args.syntheticAttacks,
            },
            log: (l) => io.stderr(`${l}\n`),
          });
          const communities = await partition(input, await deps.loadScorer(dir), opts, args.scope);
          foldRuns.push({ communities, only: held });
          const m = computeMetrics(communities, labels, held);
          perDataset.push(...m.perDataset);
          unlabelled += m.unlabelled;
          foldResults.push({ files: [...held], metrics: withoutPerDataset(m) });
        }
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
      const lo = summarise(perDataset, unlabelled);
      report.leaveDatasetsOut = { ...lo, folds: foldResults, sweep: sweep(foldRuns, labels) };
      text +=
        '\n' +
        renderMetrics(
          `leave-datasets-out (${folds.length} folds; each file scored by a model trained without it)`,
          lo,
        );
    }
    const sweepOf = report.leaveDatasetsOut ?? report.inSample;
    text +=
      '\n' +
      renderSweep(
        `threshold sweep (${report.leaveDatasetsOut ? 'leave-datasets-out' : 'in-sample'}; the same communities flagged at each threshold)`,
        sweepOf.sweep,
      );

    if (args.format === 'json') {
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (args.out === undefined || args.out === '-') io.stdout(json);
      else {
        await fs.mkdir(path.dirname(path.resolve(args.out)), { recursive: true });
        await fs.writeFile(args.out, json);
        io.stdout(text + `\nwrote ${args.out}\n`);
      }
    } else {
      io.stdout(text);
      const missed = (report.leaveDatasetsOut ?? report.inSample).perDataset.filter(
        (d) => d.malicious > 0 && !d.topHasAttack,
      );
      if (missed.length > 0)
        io.stdout(
          `\ndatasets whose top community has no attack events (${report.leaveDatasetsOut ? 'leave-datasets-out' : 'in-sample'}):\n` +
            missed.map((d) => `  ${path.basename(d.file)}\n`).join(''),
        );
    }
    return 0;
  } catch (err) {
    progress.done();
    io.stderr(`eval: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
