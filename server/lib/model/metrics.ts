/**
 * Ranking metrics for a binary scorer, written here (no dependency) so their tie handling is
 * explicit: tied scores are one threshold step, never ordered by input position, otherwise a
 * constant scorer would get an AUC that depends on the order of the data.
 */

export interface ThresholdPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): void {
  if (scores.length !== labels.length) {
    throw new Error(`metrics: ${scores.length} scores but ${labels.length} labels`);
  }
}

function isPos(v: boolean | number | undefined): boolean {
  return v === true || v === 1;
}

/** Distinct thresholds in descending order with cumulative TP/FP counts at each (score >= threshold). */
function sweep(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
): { tp: number[]; fp: number[]; thr: number[]; P: number; N: number } {
  checkInputs(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const tp: number[] = [];
  const fp: number[] = [];
  const thr: number[] = [];
  let t = 0;
  let f = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (isPos(labels[i])) t++;
    else f++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tp.push(t);
      fp.push(f);
      thr.push(scores[i] as number);
    }
  }
  return { tp, fp, thr, P: t, N: f };
}

/** Area under the ROC curve (trapezoidal over distinct thresholds; ties count half). NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const { tp, fp, P, N } = sweep(scores, labels);
  if (P === 0 || N === 0) return Number.NaN;
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < tp.length; k++) {
    const t = tp[k] as number;
    const f = fp[k] as number;
    area += ((f - prevFp) * (t + prevTp)) / 2;
    prevTp = t;
    prevFp = f;
  }
  return area / (P * N);
}

/**
 * Area under the precision-recall curve as average precision (sum over thresholds of
 * Δrecall × precision, the step-wise estimator; no optimistic interpolation). NaN without positives.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const { tp, fp, P } = sweep(scores, labels);
  if (P === 0) return Number.NaN;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tp.length; k++) {
    const t = tp[k] as number;
    const f = fp[k] as number;
    const recall = t / P;
    const precision = t / (t + f);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return ap;
}

/** ROC points at every distinct threshold, highest threshold first. */
export function rocCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
): ThresholdPoint[] {
  const { tp, fp, thr, P, N } = sweep(scores, labels);
  return thr.map((threshold, k) => ({
    threshold,
    fpr: N ? (fp[k] as number) / N : 0,
    tpr: P ? (tp[k] as number) / P : 0,
  }));
}

/**
 * The lowest threshold whose false-positive rate on the given benign scores is at most `maxFpr`
 * (flagging means score >= threshold). Returns +Infinity when even the top benign score would
 * exceed the budget, i.e. nothing can be flagged.
 */
export function thresholdAtFpr(benignScores: ArrayLike<number>, maxFpr: number): number {
  const n = benignScores.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(benignScores).sort().reverse();
  const allowed = Math.floor(maxFpr * n + 1e-9);
  // With `allowed` false positives permitted, the threshold must sit just above the
  // (allowed+1)-th highest benign score; ties at that score cannot be split.
  if (allowed >= n) return -Infinity;
  const boundary = sorted[allowed] as number;
  return nextUp(boundary);
}

/** The smallest double greater than x, so "score >= threshold" excludes x itself. */
function nextUp(x: number): number {
  if (x === Infinity || Number.isNaN(x)) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new Float64Array([x]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] = (bits[0] as bigint) + (x > 0 ? 1n : -1n);
  return buf[0] as number;
}

/** Recall (TPR) among positives at a fixed threshold (score >= threshold flags). */
export function recallAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): number {
  checkInputs(scores, labels);
  let p = 0;
  let hit = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!isPos(labels[i])) continue;
    p++;
    if ((scores[i] as number) >= threshold) hit++;
  }
  return p ? hit / p : Number.NaN;
}

/** False-positive rate among negatives at a fixed threshold. */
export function fprAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): number {
  checkInputs(scores, labels);
  let n = 0;
  let hit = 0;
  for (let i = 0; i < scores.length; i++) {
    if (isPos(labels[i])) continue;
    n++;
    if ((scores[i] as number) >= threshold) hit++;
  }
  return n ? hit / n : Number.NaN;
}

/** Recall at the threshold that keeps this data's own FPR at or below `maxFpr`. */
export function recallAtFpr(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  maxFpr: number,
): number {
  checkInputs(scores, labels);
  const benign: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!isPos(labels[i])) benign.push(scores[i] as number);
  if (benign.length === 0) return Number.NaN;
  return recallAtThreshold(scores, labels, thresholdAtFpr(benign, maxFpr));
}

export interface BinaryMetrics {
  n: number;
  positives: number;
  rocAuc: number;
  prAuc: number;
  recallAt1Fpr: number;
  recallAt5Fpr: number;
}

/** The standard metric bundle reported per evaluation split and source. */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
): BinaryMetrics {
  checkInputs(scores, labels);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (isPos(labels[i])) positives++;
  return {
    n: scores.length,
    positives,
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
    recallAt1Fpr: recallAtFpr(scores, labels, 0.01),
    recallAt5Fpr: recallAtFpr(scores, labels, 0.05),
  };
}
