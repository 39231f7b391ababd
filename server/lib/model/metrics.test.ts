import { describe, expect, it } from 'vitest';
import {
  binaryMetrics,
  fprAtThreshold,
  prAuc,
  recallAtFpr,
  recallAtThreshold,
  rocAuc,
  rocCurve,
  thresholdAtFpr,
} from './metrics';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });

  it('matches the textbook example (scikit-learn docs: 0.75)', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });

  it('counts ties as half, independent of input order', () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 0, 1, 1])).toBe(0.5);
    // one positive ties with one negative, beats the other: (1 + 0.5) / 2
    expect(rocAuc([0.7, 0.7, 0.2], [1, 0, 0])).toBe(0.75);
  });

  it('is NaN without both classes and rejects mismatched lengths', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => rocAuc([0.1], [1, 0])).toThrow(/1 scores but 2 labels/);
  });

  it('accepts boolean labels', () => {
    expect(rocAuc([0.9, 0.1], [true, false])).toBe(1);
  });
});

describe('prAuc (average precision)', () => {
  it('matches scikit-learn average_precision_score on its doc example (0.8333)', () => {
    expect(prAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
  });

  it('is 1 for a perfect ranking and equals prevalence for a constant score', () => {
    expect(prAuc([0.9, 0.8, 0.3], [1, 1, 0])).toBe(1);
    expect(prAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0])).toBe(0.25);
  });

  it('is NaN without positives', () => {
    expect(prAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });
});

describe('thresholds and recall at a false-positive budget', () => {
  const benign = Array.from({ length: 100 }, (_, i) => i / 100); // 0.00 .. 0.99

  it('allows exactly floor(fpr × n) false positives', () => {
    const t1 = thresholdAtFpr(benign, 0.01);
    expect(benign.filter((s) => s >= t1)).toEqual([0.99]);
    const t5 = thresholdAtFpr(benign, 0.05);
    expect(benign.filter((s) => s >= t5).length).toBe(5);
  });

  it('never splits ties: a tied block above the budget is excluded entirely', () => {
    const t = thresholdAtFpr([0.9, 0.9, 0.1, 0.1], 0.25);
    expect(t).toBeGreaterThan(0.9);
  });

  it('reports recall at the chosen threshold', () => {
    const scores = [...benign, 0.995, 0.985, 0.5];
    const labels = [...benign.map(() => 0), 1, 1, 1];
    // 1% FPR → threshold just above 0.98 → 0.995 and 0.985 caught, 0.5 missed.
    expect(recallAtFpr(scores, labels, 0.01)).toBeCloseTo(2 / 3, 12);
    const t = thresholdAtFpr(benign, 0.01);
    expect(recallAtThreshold(scores, labels, t)).toBeCloseTo(2 / 3, 12);
    expect(fprAtThreshold(scores, labels, t)).toBe(0.01);
  });

  it('rocCurve runs from the highest threshold down to (1, 1)', () => {
    const curve = rocCurve([0.9, 0.6, 0.3], [1, 0, 1]);
    expect(curve.map((p) => p.threshold)).toEqual([0.9, 0.6, 0.3]);
    expect(curve.at(-1)).toEqual({ threshold: 0.3, fpr: 1, tpr: 1 });
  });

  it('bundles the standard metrics', () => {
    const m = binaryMetrics([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0]);
    expect(m).toMatchObject({ n: 4, positives: 2, rocAuc: 0.75 });
    expect(m.prAuc).toBeCloseTo(0.8333333333, 9);
  });
});
