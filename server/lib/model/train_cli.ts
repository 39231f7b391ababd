/**
 * `problemchild train`: trains an edge-score model from recorded data folders/files and
 * synthetic hosts, evaluates it on held-out splits, and writes the model bundle + MODEL_CARD.md.
 *
 *   problemchild train --data ../shared/data [--data more…] --synthetic-hosts 20 --synthetic-days 3 \
 *     --synthetic-attacks 30 --seed 7 --out models/default [--eval compare|chosen|none] [--trained-at ISO]
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LabelledDataset } from './dataset';
import { renderModelCard } from './model_card';
import { WEIGHTS_BIN } from './model_io';
import { loadSharedData } from './shared_data';
import { loadSynthetic } from './synthetic_data';
import { DEFAULT_NETWORK, NETWORK_KINDS, type NetworkKind } from './network';
import { trainModel } from './training';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface TrainArgs {
  data: string[];
  syntheticHosts: number;
  syntheticDays: number;
  syntheticAttacks: number;
  seed: number;
  out: string;
  name: string;
  evaluate: 'compare' | 'chosen' | 'none';
  trainedAt: string;
  folds: number;
  quiet: boolean;
  /** Network kind for --eval chosen|none (compare picks it by the selection rule). */
  kind?: NetworkKind;
}

export class UsageError extends Error {}

const USAGE = `usage: problemchild train --data <dir|file>... [--synthetic-hosts N] [--synthetic-days D]
       [--synthetic-attacks K] [--seed S] --out models/<name> [--name NAME]
       [--eval compare|chosen|none] [--kind ${NETWORK_KINDS.join('|')}] [--folds K] [--trained-at ISO-8601] [--quiet]`;

function intFlag(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^-?\d+$/.test(value))
    throw new UsageError(
      `${flag} needs an integer, got ${value === undefined ? 'nothing' : `"${value}"`}`,
    );
  const n = Number(value);
  if (n < min) throw new UsageError(`${flag} must be at least ${min}, got ${n}`);
  return n;
}

/** Parses train arguments (with or without the leading `train`). */
export function parseTrainArgs(
  argv: readonly string[],
  now: () => Date = () => new Date(),
): TrainArgs {
  const args = argv[0] === 'train' ? argv.slice(1) : [...argv];
  const a: Partial<TrainArgs> & { data: string[] } = { data: [] };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const next = (): string => {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      i++;
      return v;
    };
    switch (flag) {
      case '--data':
        a.data.push(next());
        // `--data a b c`: every following non-flag argument is another data path.
        while (args[i + 1] !== undefined && !(args[i + 1] as string).startsWith('--'))
          a.data.push(args[++i] as string);
        break;
      case '--synthetic-hosts':
        a.syntheticHosts = intFlag(flag, next(), 0);
        break;
      case '--synthetic-days':
        a.syntheticDays = intFlag(flag, next(), 1);
        break;
      case '--synthetic-attacks':
        a.syntheticAttacks = intFlag(flag, next(), 0);
        break;
      case '--seed':
        a.seed = intFlag(flag, next(), 0);
        break;
      case '--folds':
        a.folds = intFlag(flag, next(), 2);
        break;
      case '--out':
        a.out = next();
        break;
      case '--name':
        a.name = next();
        break;
      case '--trained-at': {
        const v = next();
        if (Number.isNaN(Date.parse(v)))
          throw new UsageError(`--trained-at needs an ISO-8601 date, got "${v}"`);
        a.trainedAt = v;
        break;
      }
      case '--eval': {
        const v = next();
        if (v !== 'compare' && v !== 'chosen' && v !== 'none')
          throw new UsageError(`--eval must be compare, chosen or none, got "${v}"`);
        a.evaluate = v;
        break;
      }
      case '--kind': {
        const v = next();
        if (!(NETWORK_KINDS as readonly string[]).includes(v))
          throw new UsageError(`--kind must be one of ${NETWORK_KINDS.join(', ')}, got "${v}"`);
        a.kind = v as NetworkKind;
        break;
      }
      case '--quiet':
        a.quiet = true;
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument "${flag}"\n${USAGE}`);
    }
  }
  if (!a.out) throw new UsageError(`--out is required\n${USAGE}`);
  if (a.kind && (a.evaluate ?? 'compare') === 'compare') {
    throw new UsageError(
      '--kind needs --eval chosen or --eval none (--eval compare picks the kind itself)',
    );
  }
  const syntheticHosts = a.syntheticHosts ?? 0;
  if (a.data.length === 0 && syntheticHosts === 0)
    throw new UsageError(`no training data: give --data and/or --synthetic-hosts\n${USAGE}`);
  return {
    data: a.data,
    syntheticHosts,
    syntheticDays: a.syntheticDays ?? 3,
    syntheticAttacks: a.syntheticAttacks ?? 30,
    seed: a.seed ?? 1,
    out: a.out,
    name: a.name ?? path.basename(path.resolve(a.out)),
    evaluate: a.evaluate ?? 'compare',
    trainedAt: a.trainedAt ?? now().toISOString(),
    folds: a.folds ?? 5,
    quiet: a.quiet ?? false,
    kind: a.kind,
  };
}

/** CLI entry: returns the process exit code (0 ok, 2 usage error, 1 failure). */
export async function runTrainCli(
  argv: readonly string[],
  io: CliIo = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  },
): Promise<number> {
  let args: TrainArgs;
  try {
    args = parseTrainArgs(argv);
  } catch (err) {
    io.err(err instanceof UsageError ? err.message : String(err));
    return 2;
  }
  const log = args.quiet ? () => undefined : io.out;
  try {
    const datasets: LabelledDataset[] = [];
    const notes: Record<string, string> = {};
    if (args.data.length) {
      const { datasets: shared, reports } = await loadSharedData(args.data, {
        mergeTwins: false,
        includeUnlabelled: true,
      });
      datasets.push(...shared);
      const unl = reports.reduce((s, r) => s + r.unlabelled, 0);
      log(
        `recorded data: ${shared.length} files, ${reports.reduce((s, r) => s + r.events, 0)} events${unl ? ` (${unl} without a label line, excluded)` : ''}`,
      );
      notes.otrf = 'OTRF Security-Datasets (Mordor) atomic captures, per-event labels';
      notes.sigma_regression = 'SigmaHQ regression events, all positive';
      notes.evtx_attack_samples =
        'EVTX-ATTACK-SAMPLES, no per-event labels (qualitative only, not trained on)';
    }
    if (args.syntheticHosts > 0) {
      const synth = await loadSynthetic({
        hosts: args.syntheticHosts,
        days: args.syntheticDays,
        attacks: args.syntheticAttacks,
        seed: args.seed,
      });
      datasets.push(...synth.datasets);
      log(
        `synthetic data: ${synth.datasets.length} hosts, ${synth.events} events (${synth.malicious} malicious)`,
      );
      notes.synthetic = synth.description;
    }
    const result = await trainModel({
      datasets,
      outDir: args.out,
      seed: args.seed,
      name: args.name,
      trainedAt: args.trainedAt,
      evaluate: args.evaluate === 'none' ? false : args.evaluate,
      evaluation: { folds: args.folds },
      config: args.kind
        ? { network: { ...DEFAULT_NETWORK, seed: args.seed, kind: args.kind } }
        : undefined,
      dataNotes: notes,
      log,
    });
    const weights = await fs.stat(path.join(args.out, WEIGHTS_BIN));
    const command = `problemchild train ${args.data.map((d) => `--data ${d}`).join(' ')} --synthetic-hosts ${args.syntheticHosts} --synthetic-days ${args.syntheticDays} --synthetic-attacks ${args.syntheticAttacks} --seed ${args.seed} --out ${args.out} --eval ${args.evaluate}${args.kind ? ` --kind ${args.kind}` : ''} --trained-at ${args.trainedAt}`;
    const card = renderModelCard({
      meta: result.meta,
      evaluations: result.evaluations,
      selection: result.meta.selection,
      command,
      vocabularySize: result.fitted.space.vocabulary.length,
      minGroups: result.fitted.space.config.minGroups,
      modelBytes: weights.size,
    });
    await fs.writeFile(path.join(args.out, 'MODEL_CARD.md'), card);
    result.fitted.model.dispose();
    io.out(
      `wrote ${args.out} (model.json, weights.bin ${weights.size} bytes, features.json, meta.json, MODEL_CARD.md)`,
    );
    return 0;
  } catch (err) {
    io.err(`problemchild train: ${(err as Error).message}`);
    return 1;
  }
}
