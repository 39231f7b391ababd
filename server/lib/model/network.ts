/**
 * The edge-score network and its training loop.
 *
 * Training uses a hand-written loop over raw tf.Variables instead of LayersModel.fit because
 * (a) fit() has no per-sample weights, and we weight by class and by data source and merge
 * duplicate rows into one weighted row; (b) the Dropout layer with a fixed seed draws the same
 * mask on every batch, so masks come from our seeded PRNG instead; (c) every random draw (init,
 * shuffle, dropout) is seeded, so the same data and seed give the same weights. The trained
 * weights are then copied into a plain Sequential model, which is what gets saved and served.
 */
import type { SparseRow } from './features';
import { deriveSeed, mulberry32, shuffleInPlace } from '../prng';
import { tf } from './tf_backend';

/**
 * logreg: one linear layer. mlp: one ReLU hidden layer. widedeep: both, summed before the
 * sigmoid (wide-and-deep): the linear part keeps strong single tokens and flags at full weight,
 * the hidden layer learns their combinations. ensemble: a logistic regression and an MLP trained
 * separately, their logits averaged; that average is itself a wide-and-deep network (half the
 * regression's weights as the wide part, the MLP's output layer halved as the deep part), so it
 * is stored and served as one.
 */
export type NetworkKind = 'mlp' | 'logreg' | 'widedeep' | 'ensemble';
export const NETWORK_KINDS: readonly NetworkKind[] = ['logreg', 'mlp', 'widedeep', 'ensemble'];

export interface NetworkConfig {
  kind: NetworkKind;
  /** Hidden units (mlp only). */
  hidden: number;
  /** Dropout rate on the hidden layer during training (mlp only). */
  dropout: number;
  /** L2 penalty on kernels. */
  l2: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
  seed: number;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  kind: 'mlp',
  hidden: 32,
  dropout: 0.2,
  l2: 1e-5,
  learningRate: 0.003,
  epochs: 12,
  batchSize: 256,
  seed: 1,
};

export interface TrainingSet {
  rows: readonly SparseRow[];
  labels: Uint8Array;
  /** Per-row weight (class balance × source balance × duplicate count). */
  weights: Float32Array;
  dimension: number;
}

/** Rows per predict() call; predict defaults to batchSize 32, which is ~160× slower on wasm. */
export const PREDICT_CHUNK = 8192;

/** Dense row-major matrix of rows order[from..to) (or rows[from..to) without an order). */
function densify(
  rows: readonly SparseRow[],
  order: ArrayLike<number> | null,
  from: number,
  to: number,
  d: number,
): Float32Array {
  const out = new Float32Array((to - from) * d);
  for (let r = from; r < to; r++) {
    const row = rows[order ? (order[r] as number) : r] as SparseRow;
    const base = (r - from) * d;
    for (let k = 0; k < row.indices.length; k++)
      out[base + (row.indices[k] as number)] = row.values[k] as number;
  }
  return out;
}

/** Builds the serving model (no dropout layer: it is the identity at inference). */
export function buildServingModel(
  kind: NetworkKind,
  dimension: number,
  hidden: number,
): tf.LayersModel {
  if (kind === 'ensemble') return buildServingModel('widedeep', dimension, hidden);
  if (kind === 'logreg') {
    const model = tf.sequential();
    model.add(
      tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [dimension], name: 'score' }),
    );
    return model;
  }
  if (kind === 'mlp') {
    const model = tf.sequential();
    model.add(
      tf.layers.dense({
        units: hidden,
        activation: 'relu',
        inputShape: [dimension],
        name: 'hidden',
      }),
    );
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'score' }));
    return model;
  }
  const input = tf.input({ shape: [dimension], name: 'features' });
  const wide = tf.layers.dense({ units: 1, name: 'wide' }).apply(input) as tf.SymbolicTensor;
  const hid = tf.layers
    .dense({ units: hidden, activation: 'relu', name: 'hidden' })
    .apply(input) as tf.SymbolicTensor;
  const deep = tf.layers.dense({ units: 1, name: 'deep' }).apply(hid) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'logit' }).apply([wide, deep]) as tf.SymbolicTensor;
  const score = tf.layers
    .activation({ activation: 'sigmoid', name: 'score' })
    .apply(sum) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: score, name: 'widedeep' });
}

/** Sets trained weights on a serving model by layer name. */
function setServingWeights(
  model: tf.LayersModel,
  kind: NetworkKind,
  v: {
    W1: tf.Tensor;
    b1: tf.Tensor;
    W2?: tf.Tensor;
    b2?: tf.Tensor;
    Wl?: tf.Tensor;
    bl?: tf.Tensor;
  },
): void {
  const layer = (name: string): tf.layers.Layer => model.getLayer(name);
  if (kind === 'logreg') layer('score').setWeights([v.W1, v.b1]);
  else {
    layer('hidden').setWeights([v.W1, v.b1]);
    layer(kind === 'mlp' ? 'score' : 'deep').setWeights([v.W2 as tf.Tensor, v.b2 as tf.Tensor]);
    if (kind === 'widedeep') layer('wide').setWeights([v.Wl as tf.Tensor, v.bl as tf.Tensor]);
  }
}

export interface EpochReport {
  epoch: number;
  loss: number;
}

/** Trains the network; deterministic for a given backend, data order and seed. */
export async function trainNetwork(
  data: TrainingSet,
  config: NetworkConfig,
  onEpoch?: (r: EpochReport) => void,
): Promise<tf.LayersModel> {
  if (config.kind === 'ensemble') return trainEnsemble(data, config, onEpoch);
  const n = data.rows.length;
  if (n === 0) throw new Error('trainNetwork: no training rows');
  if (data.labels.length !== n || data.weights.length !== n)
    throw new Error('trainNetwork: rows/labels/weights length mismatch');
  const d = data.dimension;
  // The hidden layer lives in W1/b1 (mlp, widedeep); logreg's single layer too. The linear
  // part of widedeep is Wl/bl.
  const mlp = config.kind !== 'logreg';
  const widedeep = config.kind === 'widedeep';
  const h = config.hidden;

  const vars: tf.Variable[] = [];
  // A seeded Glorot-initialised kernel and its zero bias, registered for training.
  const layer = (name: string, rows: number, units: number): [tf.Variable, tf.Variable] => {
    const kernel = tf.variable(
      tf.initializers
        .glorotUniform({ seed: deriveSeed(config.seed, `W${name}`) })
        .apply([rows, units]) as tf.Tensor2D,
      true,
      `W${name}`,
    );
    const bias = tf.variable(tf.zeros([units]), true, `b${name}`);
    vars.push(kernel, bias);
    return [kernel, bias];
  };
  const [W1, b1] = layer('1', d, mlp ? h : 1);
  const [W2, b2] = mlp ? layer('2', h, 1) : [undefined, undefined];
  const [Wl, bl] = widedeep ? layer('l', d, 1) : [undefined, undefined];

  const optimizer = tf.train.adam(config.learningRate);
  const shuffleRand = mulberry32(deriveSeed(config.seed, 'shuffle'));
  const dropRand = mulberry32(deriveSeed(config.seed, 'dropout'));
  const order = Array.from({ length: n }, (_, i) => i);
  const keep = 1 - config.dropout;

  for (let epoch = 0; epoch < config.epochs; epoch++) {
    shuffleInPlace(order, shuffleRand);
    let lossSum = 0;
    let batches = 0;
    for (let from = 0; from < n; from += config.batchSize) {
      const to = Math.min(n, from + config.batchSize);
      const m = to - from;
      const xArr = densify(data.rows, order, from, to, d);
      const yArr = new Float32Array(m);
      const wArr = new Float32Array(m);
      for (let r = 0; r < m; r++) {
        const i = order[from + r] as number;
        yArr[r] = data.labels[i] as number;
        wArr[r] = data.weights[i] as number;
      }
      let maskArr: Float32Array | undefined;
      if (mlp && config.dropout > 0) {
        maskArr = new Float32Array(m * h);
        for (let k = 0; k < maskArr.length; k++) maskArr[k] = dropRand() < keep ? 1 / keep : 0;
      }
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(xArr, [m, d]);
        const y = tf.tensor2d(yArr, [m, 1]);
        const w = tf.tensor2d(wArr, [m, 1]);
        const mask = maskArr ? tf.tensor2d(maskArr, [m, h]) : undefined;
        return optimizer.minimize(
          () => {
            let logits: tf.Tensor2D;
            if (mlp && W2 && b2) {
              let hid = tf.relu(tf.add(tf.matMul(x, W1 as tf.Tensor2D), b1));
              if (mask) hid = tf.mul(hid, mask);
              logits = tf.add(tf.matMul(hid as tf.Tensor2D, W2 as tf.Tensor2D), b2);
              if (Wl && bl) logits = tf.add(logits, tf.add(tf.matMul(x, Wl as tf.Tensor2D), bl));
            } else {
              logits = tf.add(tf.matMul(x, W1 as tf.Tensor2D), b1);
            }
            // Numerically stable weighted binary cross-entropy on logits.
            const ce = tf.add(
              tf.sub(tf.relu(logits), tf.mul(logits, y)),
              tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
            );
            const dataLoss = tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w));
            let reg = tf.sum(tf.square(W1));
            if (W2) reg = tf.add(reg, tf.sum(tf.square(W2)));
            if (Wl) reg = tf.add(reg, tf.sum(tf.square(Wl)));
            return tf.add(dataLoss, tf.mul(reg, config.l2)) as tf.Scalar;
          },
          true,
          vars,
        ) as tf.Scalar;
      });
      lossSum += loss.dataSync()[0] as number;
      loss.dispose();
      batches++;
    }
    onEpoch?.({ epoch: epoch + 1, loss: lossSum / batches });
  }

  const model = buildServingModel(config.kind, d, h);
  setServingWeights(model, config.kind, { W1, b1, W2, b2, Wl, bl });
  optimizer.dispose();
  for (const v of vars) v.dispose();
  return model;
}

async function trainEnsemble(
  data: TrainingSet,
  config: NetworkConfig,
  onEpoch?: (r: EpochReport) => void,
): Promise<tf.LayersModel> {
  const lr = await trainNetwork(
    data,
    { ...config, kind: 'logreg', seed: deriveSeed(config.seed, 'ensemble-logreg') },
    onEpoch,
  );
  const mlp = await trainNetwork(
    data,
    { ...config, kind: 'mlp', seed: deriveSeed(config.seed, 'ensemble-mlp') },
    onEpoch,
  );
  const model = buildServingModel('widedeep', data.dimension, config.hidden);
  const half = (t: tf.Tensor): tf.Tensor => tf.mul(t, 0.5);
  const [Wl, bl] = lr.getLayer('score').getWeights() as [tf.Tensor, tf.Tensor];
  const [W1, b1] = mlp.getLayer('hidden').getWeights() as [tf.Tensor, tf.Tensor];
  const [W2, b2] = mlp.getLayer('score').getWeights() as [tf.Tensor, tf.Tensor];
  const parts = { W1, b1, W2: half(W2), b2: half(b2), Wl: half(Wl), bl: half(bl) };
  setServingWeights(model, 'widedeep', parts);
  for (const t of [parts.W2, parts.b2, parts.Wl, parts.bl]) t.dispose();
  lr.dispose();
  mlp.dispose();
  return model;
}

/** Scores sparse rows in chunks with a large predict batch size. */
export async function predictRows(
  model: tf.LayersModel,
  rows: readonly SparseRow[],
  dimension: number,
): Promise<Float32Array> {
  const out = new Float32Array(rows.length);
  // One reusable chunk buffer: a fresh 50 MB array per chunk costs more in GC than the zero-fill.
  const buf = new Float32Array(Math.min(rows.length, PREDICT_CHUNK) * dimension);
  for (let from = 0; from < rows.length; from += PREDICT_CHUNK) {
    const to = Math.min(rows.length, from + PREDICT_CHUNK);
    const m = to - from;
    const view = buf.subarray(0, m * dimension);
    view.fill(0);
    for (let r = 0; r < m; r++) {
      const row = rows[from + r] as SparseRow;
      const base = r * dimension;
      for (let k = 0; k < row.indices.length; k++)
        view[base + (row.indices[k] as number)] = row.values[k] as number;
    }
    const x = tf.tensor2d(view, [m, dimension]);
    const y = model.predict(x, { batchSize: PREDICT_CHUNK }) as tf.Tensor;
    out.set(await y.data(), from);
    x.dispose();
    y.dispose();
  }
  return out;
}
