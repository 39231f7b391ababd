import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from './dataset';
import type { SparseRow } from './features';
import {
  assignFolds,
  chooseKind,
  defaultTrainConfig,
  fitModel,
  weightRows,
  type EvaluationReport,
} from './training';
import { tinyDatasets } from './testing/tiny_model';

const row = (i: number): SparseRow => ({ indices: Int32Array.of(i), values: Float32Array.of(1) });

describe('weightRows', () => {
  it('balances classes within each domain and gives recorded data its share', () => {
    const items = [
      ...Array.from({ length: 90 }, (_, i) => ({ row: row(i), malicious: false, synthetic: true })),
      ...Array.from({ length: 10 }, (_, i) => ({
        row: row(100 + i),
        malicious: true,
        synthetic: true,
      })),
      ...Array.from({ length: 8 }, (_, i) => ({
        row: row(200 + i),
        malicious: false,
        synthetic: false,
      })),
      ...Array.from({ length: 2 }, (_, i) => ({
        row: row(300 + i),
        malicious: true,
        synthetic: false,
      })),
    ];
    const cfg = {
      ...defaultTrainConfig(1),
      realWeightShare: 0.4,
      duplicateDamping: 'none' as const,
    };
    const w = weightRows(items, cfg);
    const total = w.weights.reduce((a, b) => a + b, 0);
    const cell = (from: number, to: number) =>
      w.weights.slice(from, to).reduce((a, b) => a + b, 0) / total;
    expect(cell(0, 90)).toBeCloseTo(0.3, 6);
    expect(cell(90, 100)).toBeCloseTo(0.3, 6);
    expect(cell(100, 108)).toBeCloseTo(0.2, 6);
    expect(cell(108, 110)).toBeCloseTo(0.2, 6);
    expect(total / w.weights.length).toBeCloseTo(1, 6);
  });

  it('merges identical rows and damps their multiplicity', () => {
    const items = [
      ...Array.from({ length: 16 }, () => ({ row: row(1), malicious: false, synthetic: true })),
      { row: row(2), malicious: false, synthetic: true },
      { row: row(3), malicious: true, synthetic: true },
    ];
    const w = weightRows(items, { ...defaultTrainConfig(1), duplicateDamping: 'sqrt' });
    expect(w.rows).toHaveLength(3);
    // √16 = 4 versus 1 for the singleton benign row.
    expect((w.weights[0] as number) / (w.weights[1] as number)).toBeCloseTo(4, 5);
  });
});

describe('assignFolds', () => {
  it('puts every dataset in exactly one fold, deterministically', () => {
    const sets = Array.from(
      { length: 11 },
      (_, i) =>
        ({ name: `d${i}`, events: new Array(i + 1).fill(null) }) as unknown as LabelledDataset,
    );
    const a = assignFolds(sets, 3, 9);
    expect(a.flat().sort((x, y) => x - y)).toEqual(sets.map((_, i) => i));
    expect(assignFolds(sets, 3, 9)).toEqual(a);
  });
});

describe('fitModel', () => {
  it('is reproducible: same data and seed give identical weights', async () => {
    const cfg = defaultTrainConfig(4, { features: { minDf: 1, minGroups: 1, maxVocab: 100 } });
    cfg.network = { ...cfg.network, hidden: 4, epochs: 3, batchSize: 4 };
    const a = await fitModel(tinyDatasets(), cfg);
    const b = await fitModel(tinyDatasets(), cfg);
    const wa = await Promise.all(a.model.getWeights().map((t) => t.data()));
    const wb = await Promise.all(b.model.getWeights().map((t) => t.data()));
    expect(wb.map((x) => Array.from(x))).toEqual(wa.map((x) => Array.from(x)));
    const c = await fitModel(tinyDatasets(), { ...cfg, network: { ...cfg.network, seed: 5 } });
    const wc = await Promise.all(c.model.getWeights().map((t) => t.data()));
    expect(Array.from(wc[0]!)).not.toEqual(Array.from(wa[0]!));
  });
});

describe('chooseKind', () => {
  const report = (
    kind: EvaluationReport['kind'],
    roc: number,
    recall: number,
  ): EvaluationReport => ({
    kind,
    splits: ['dataset_kfold', 'environment_out'].map((split) => ({
      split,
      description: '',
      folds: 1,
      metrics: Object.fromEntries(
        ['otrf_sysmon', 'otrf_4688'].map((src) => [
          src,
          {
            n: 100,
            positives: 20,
            rocAuc: roc,
            prAuc: 0.5,
            recallAt1Fpr: 0.1,
            recallAt5Fpr: recall,
          },
        ]),
      ),
    })),
  });

  it('keeps the simpler kind unless a complex one scores more than the margin higher', () => {
    const near = chooseKind({
      logreg: report('logreg', 0.95, 0.8),
      mlp: report('mlp', 0.951, 0.8008), // +0.0009: within the margin
    });
    expect(near.chosen).toBe('logreg');
    expect(near.scores.mlp?.score).toBeCloseTo(0.8759, 6);
    const far = chooseKind({
      logreg: report('logreg', 0.95, 0.8),
      mlp: report('mlp', 0.96, 0.82),
      ensemble: report('ensemble', 0.9605, 0.8205), // beats logreg, but not mlp by the margin
    });
    expect(far.chosen).toBe('mlp');
    expect(far.rule).toMatch(/simplest first/);
  });

  it('refuses to choose from nothing', () => {
    expect(() => chooseKind({})).toThrow(/no candidate/);
  });
});
