import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeuristicTestScorer } from '../detection/testing/heuristic_scorer';
import { writeDataset } from '../generator/write';
import {
  assignFileFolds,
  type EvalDeps,
  type EvalReport,
  parseEvalArgs,
  runEvalCli,
} from './eval_cli';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SHARED = path.resolve(REPO, '../shared/data');
const OTRF = path.join(SHARED, 'otrf');
const DEFAULT_MODEL = path.join(REPO, 'models/default');

function capture(): {
  io: { stdout: (t: string) => void; stderr: (t: string) => void };
  out: () => string;
  err: () => string;
} {
  let o = '';
  let e = '';
  return { io: { stdout: (t) => (o += t), stderr: (t) => (e += t) }, out: () => o, err: () => e };
}

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-eval-'));
  data = path.join(tmp, 'gen');
  await writeDataset({ out: data, hosts: 3, days: 1, attacks: 3, seed: 4, eventsPerHostDay: 200 });
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('parseEvalArgs', () => {
  it.each([
    [['x'], /--labels DIR is required/],
    [['--labels', 'd'], /an input FILE or DIR is required/],
    [['--labels', 'd', 'x', '--folds', '1'], /--folds must be an integer of at least 2, got "1"/],
    [['--labels', 'd', 'x', '--scope', 'host'], /--scope must be all or file, got "host"/],
    [['--labels', 'd', 'x', '--threshold', '2'], /--threshold must be a number from 0 to 1/],
    [['--labels', 'd', 'x', '--epochs'], /--epochs needs a value/],
    [['--labels', 'd', 'x', '--what'], /unknown option "--what"/],
  ])('%j → a usage error naming the flag', (argv, message) => {
    expect(() => parseEvalArgs(argv)).toThrow(message);
  });

  it('reads positional files, --cv and defaults', () => {
    expect(parseEvalArgs(['eval', '--labels', 'L', 'a', 'b', '--cv'])).toMatchObject({
      inputs: ['a', 'b'],
      labels: 'L',
      folds: 5,
      lookbackDays: 30,
      scope: 'file',
    });
  });

  it('deals files to folds deterministically, whole files per fold', () => {
    const files = Array.from({ length: 11 }, (_, i) => `f${i}`);
    const a = assignFileFolds(files, 3, 7);
    expect(assignFileFolds(files, 3, 7)).toEqual(a);
    expect(a.flat().sort()).toEqual([...files].sort());
    expect(a.map((f) => f.length).sort()).toEqual([3, 4, 4]);
  });
});

describe('runEvalCli', () => {
  it('exits 2 naming the flag on bad arguments', async () => {
    const c = capture();
    expect(await runEvalCli(['--labels', tmp, data, '--window', 'soon'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--window/);
    expect(c.err()).toMatch(/Usage: problemchild eval/);
  });

  it('joins generator labels and runs folds through the training hook', async () => {
    const trained: string[][] = [];
    const networks: string[] = [];
    const deps: EvalDeps = {
      loadScorer: async () => new HeuristicTestScorer(),
      trainFold: async (spec) => {
        trained.push(spec.trainFiles);
        networks.push(`${spec.network.kind}/${spec.network.epochs}`);
      },
    };
    // Two copies of the events file so there are two datasets to hold out.
    const two = path.join(tmp, 'two');
    fs.mkdirSync(two, { recursive: true });
    for (const stem of ['one', 'other']) {
      fs.copyFileSync(
        path.join(data, 'synthetic.events.ndjson'),
        path.join(two, `${stem}.events.ndjson`),
      );
      fs.copyFileSync(
        path.join(data, 'synthetic.labels.ndjson'),
        path.join(two, `${stem}.labels.ndjson`),
      );
    }
    const out = path.join(tmp, 'eval.json');
    const c = capture();
    const code = await runEvalCli(
      [
        '--labels',
        two,
        two,
        '--folds',
        '2',
        '--format',
        'json',
        '--out',
        out,
        '--threshold',
        '0.6',
      ],
      c.io,
      deps,
    );
    expect(c.err()).not.toMatch(/^eval: [^f]/m);
    expect(code).toBe(0);
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as EvalReport;
    expect(r.labelledFiles).toBe(2);
    // Folds train the evaluated model's own recipe (models/default's meta.json).
    const meta = JSON.parse(fs.readFileSync('models/default/meta.json', 'utf8')) as {
      network: { kind: string; epochs: number };
    };
    expect(networks).toEqual([1, 2].map(() => `${meta.network.kind}/${meta.network.epochs}`));
    expect(r.inSample.unlabelled).toBe(0);
    expect(r.inSample.malicious).toBeGreaterThan(0);
    expect(r.inSample.events).toBeGreaterThan(r.inSample.malicious);
    expect(trained).toHaveLength(2);
    expect(trained.every((t) => t.length === 1)).toBe(true);
    expect(r.leaveDatasetsOut?.datasets).toBe(2);
    expect(r.leaveDatasetsOut?.events).toBe(r.inSample.events);
    for (const m of [r.inSample, r.leaveDatasetsOut]) {
      expect(m?.recall).toBeGreaterThanOrEqual(0);
      expect(m?.recall).toBeLessThanOrEqual(1);
    }
    expect(c.out()).toMatch(/in-sample/);
    expect(c.out()).toMatch(/leave-datasets-out/);
  }, 120_000);

  const haveOtrf = fs.existsSync(OTRF) && fs.existsSync(path.join(DEFAULT_MODEL, 'model.json'));
  if (!haveOtrf)
    console.warn(`skipping the OTRF evaluation test: ${OTRF} or ${DEFAULT_MODEL} is absent`);
  it.skipIf(!haveOtrf)(
    'evaluates the default model on a few OTRF datasets (../shared/data)',
    async () => {
      const stems = [
        'cmd_psexec_lsa_secrets_dump',
        'empire_uac_shellapi_fodhelper',
        'msf_record_mic',
        'cmd_dumping_ntds_dit_file_volume_shadow_copy',
      ];
      const files = stems.map((s) => path.join(OTRF, `${s}.events.ndjson.gz`));
      const out = path.join(tmp, 'otrf.json');
      const c = capture();
      expect(
        await runEvalCli(
          ['--labels', OTRF, ...files, '--model', DEFAULT_MODEL, '--format', 'json', '--out', out],
          c.io,
        ),
      ).toBe(0);
      const r = JSON.parse(fs.readFileSync(out, 'utf8')) as EvalReport;
      expect(r.labelledFiles).toBe(4);
      expect(r.inSample.datasets).toBe(4);
      // msf_record_mic has no attack process creation.
      expect(r.inSample.datasetsWithAttacks).toBe(3);
      expect(r.inSample.unlabelled).toBe(0);
      expect(r.inSample.malicious).toBeGreaterThan(0);
      expect(Number.isFinite(r.inSample.precision)).toBe(true);
      expect(r.inSample.recall).toBeGreaterThan(0);
    },
    120_000,
  );
});
