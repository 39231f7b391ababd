/**
 * Serving-time evaluation of the trained tfjs network over sparse rows, in plain JS.
 *
 * Why not model.predict: a feature row has tens of active entries out of ~1,500, and predict
 * needs a dense [batch × 1,565] tensor, so densifying, copying into wasm and multiplying zeros
 * cost ~50 µs per event. Reading the same weights and touching only the active rows of the first
 * kernel costs O(active × hidden), about 1 µs. The tfjs LayersModel stays the stored format and
 * the training engine; sparse_network.test.ts checks both give the same scores.
 *
 * The network is logit = wide·x + bWide + w2·relu(W1·x + b1) + b2, where the wide (linear) part,
 * the deep (one hidden layer) part, or both are present: logistic regression, MLP, or
 * wide-and-deep.
 */
import type { SparseRow } from './features';
import type { tf } from './tf_backend';

export interface SparseNetworkWeights {
  /** Linear part: one weight per input, plus its bias. */
  wide?: { w: Float32Array; b: number };
  /** Hidden layer: kernel row-major [dimension × hidden], biases, output weights and bias. */
  deep?: { hidden: number; w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: number };
}

function layerWeights(model: tf.LayersModel, name: string): Float32Array[] | undefined {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) return undefined;
  return layer.getWeights().map((t) => t.dataSync() as Float32Array);
}

/**
 * Reads the weights of a serving model by layer name: `wide` (dense, 1 unit), `hidden` (dense,
 * relu) and `deep` or `score` (dense, 1 unit). Models saved before wide-and-deep existed name
 * the logistic-regression layer `score` and the MLP output `score`.
 */
export function weightsFromModel(model: tf.LayersModel): SparseNetworkWeights {
  const hidden = layerWeights(model, 'hidden');
  const wide = layerWeights(model, 'wide');
  const out = layerWeights(model, 'deep') ?? layerWeights(model, 'score');
  const result: SparseNetworkWeights = {};
  if (hidden) {
    if (!out) throw new Error('model has a hidden layer but no output layer');
    const [w1, b1] = hidden as [Float32Array, Float32Array];
    const [w2, b2] = out as [Float32Array, Float32Array];
    result.deep = { hidden: b1.length, w1, b1, w2, b2: b2[0] ?? 0 };
    if (wide) result.wide = { w: wide[0] as Float32Array, b: wide[1]?.[0] ?? 0 };
  } else if (out) {
    result.wide = { w: out[0] as Float32Array, b: out[1]?.[0] ?? 0 };
  }
  if (!result.wide && !result.deep)
    throw new Error('unsupported model: no layer named wide, hidden, deep or score');
  return result;
}

/**
 * z[j] += v · w[base + j] for every hidden unit j. This is nearly all the arithmetic of a row
 * nobody has seen before; unrolled by eight it runs about 1.8× faster in V8 (fewer loop checks,
 * independent adds). Each z[j] still gets the same additions in the same order, so the result is
 * bit-identical to the plain loop.
 */
function addScaledRow(z: Float64Array, w: Float32Array, base: number, v: number): void {
  const h = z.length;
  let j = 0;
  for (; j + 8 <= h; j += 8) {
    const b = base + j;
    z[j] = (z[j] as number) + v * (w[b] as number);
    z[j + 1] = (z[j + 1] as number) + v * (w[b + 1] as number);
    z[j + 2] = (z[j + 2] as number) + v * (w[b + 2] as number);
    z[j + 3] = (z[j + 3] as number) + v * (w[b + 3] as number);
    z[j + 4] = (z[j + 4] as number) + v * (w[b + 4] as number);
    z[j + 5] = (z[j + 5] as number) + v * (w[b + 5] as number);
    z[j + 6] = (z[j + 6] as number) + v * (w[b + 6] as number);
    z[j + 7] = (z[j + 7] as number) + v * (w[b + 7] as number);
  }
  for (; j < h; j++) z[j] = (z[j] as number) + v * (w[base + j] as number);
}

/** A row's share of the logit: linear sum and hidden pre-activations, biases included. */
export interface RowPartial {
  wide: number;
  z: Float64Array;
}

export class SparseNetwork {
  private readonly z: Float64Array;

  constructor(readonly weights: SparseNetworkWeights) {
    this.z = new Float64Array(weights.deep?.hidden ?? 0);
  }

  static fromModel(model: tf.LayersModel): SparseNetwork {
    return new SparseNetwork(weightsFromModel(model));
  }

  /** Model logit of one row (fills the hidden pre-activations `z` as a side effect). */
  logit(row: SparseRow): number {
    return this.finish(this.accumulate(row, this.z), -1, 0);
  }

  /**
   * The part of the logit a row contributes, with the biases: the linear sum and the hidden
   * pre-activations. Serving caches it for rows that repeat, so a repeated event costs one pass
   * over the hidden units instead of one per active feature.
   */
  partial(rest: SparseRow): RowPartial {
    const z = new Float64Array(this.weights.deep?.hidden ?? 0);
    return { wide: this.accumulate(rest, z), z };
  }

  /**
   * Logit of a row given as a partial (see partial()) plus one more entry (the parent age, which
   * varies per event; index -1 for none); leaves the hidden pre-activations for contributions().
   */
  logitWith(p: RowPartial, extraIndex: number, extraValue: number): number {
    this.z.set(p.z);
    return this.finish(p.wide, extraIndex, extraValue);
  }

  /** logitWith(partial(rest), …) without keeping the partial: the same arithmetic, same result. */
  logitOf(rest: SparseRow, extraIndex: number, extraValue: number): number {
    return this.finish(this.accumulate(rest, this.z), extraIndex, extraValue);
  }

  /** Fills `z` with the hidden biases plus the row's inputs; returns the linear sum with its bias. */
  private accumulate(rest: SparseRow, z: Float64Array): number {
    const { wide, deep } = this.weights;
    const idx = rest.indices;
    const val = rest.values;
    let s = 0;
    if (wide) {
      s = wide.b;
      for (let k = 0; k < idx.length; k++)
        s += (val[k] as number) * (wide.w[idx[k] as number] as number);
    }
    if (deep) {
      z.set(deep.b1);
      for (let k = 0; k < idx.length; k++)
        addScaledRow(z, deep.w1, (idx[k] as number) * deep.hidden, val[k] as number);
    }
    return s;
  }

  /** Adds the extra entry to the linear sum and to `this.z`, then the hidden layer's output. */
  private finish(wideSum: number, extraIndex: number, extraValue: number): number {
    const { wide, deep } = this.weights;
    let s = wideSum;
    if (wide && extraIndex >= 0) s += extraValue * (wide.w[extraIndex] as number);
    if (deep) {
      const h = deep.hidden;
      const z = this.z;
      if (extraIndex >= 0) addScaledRow(z, deep.w1, extraIndex * h, extraValue);
      s += deep.b2;
      for (let j = 0; j < h; j++) {
        const a = z[j] as number;
        if (a > 0) s += a * (deep.w2[j] as number);
      }
    }
    return s;
  }

  /** Score 0..1 of one row. */
  score(row: SparseRow): number {
    return 1 / (1 + Math.exp(-this.logit(row)));
  }

  /** Scores of many rows. */
  scoreRows(rows: readonly SparseRow[]): Float32Array {
    const out = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.score(rows[i] as SparseRow);
    return out;
  }

  /**
   * Signed contribution (logit units) of each active feature: the logit minus the logit with
   * that feature removed. Exact occlusion, not a gradient: removing a feature from a one-layer
   * ReLU network changes only the hidden pre-activations it touches.
   */
  occlusion(row: SparseRow): Float32Array {
    this.logit(row);
    return this.contributions(row);
  }

  /**
   * Occlusion contributions of `row`'s features, given the hidden pre-activations as logit(),
   * logitOf() or logitWith() left them for that row.
   */
  contributions(row: SparseRow): Float32Array {
    const { wide, deep } = this.weights;
    const idx = row.indices;
    const val = row.values;
    const out = new Float32Array(idx.length);
    if (wide)
      for (let k = 0; k < idx.length; k++)
        out[k] = (val[k] as number) * (wide.w[idx[k] as number] as number);
    if (deep) {
      const h = deep.hidden;
      const z = this.z;
      let full = 0;
      for (let j = 0; j < h; j++) {
        const a = z[j] as number;
        if (a > 0) full += a * (deep.w2[j] as number);
      }
      for (let k = 0; k < idx.length; k++) {
        const base = (idx[k] as number) * h;
        const v = val[k] as number;
        let without = 0;
        for (let j = 0; j < h; j++) {
          const a = (z[j] as number) - v * (deep.w1[base + j] as number);
          if (a > 0) without += a * (deep.w2[j] as number);
        }
        out[k] = (out[k] as number) + full - without;
      }
    }
    return out;
  }
}
