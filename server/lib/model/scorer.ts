/**
 * TfjsEdgeScorer: the production EdgeScorer. Loads a model bundle once per process (cached by
 * directory), scores batches through tfjs with a large predict batch size, and explains each
 * score with exact occlusion of its active features, computed in plain JS from the weights.
 *
 * Occlusion instead of gradients: the network is tiny and the inputs are sparse (tens of
 * active features out of ~1,500), so removing each active feature and re-evaluating the
 * hidden layer incrementally costs O(active × hidden) per event, needs no autodiff, and gives
 * contributions in logit space that answer "how much did this feature raise the score".
 */
import path from 'node:path';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { EdgeScorer, FeatureContribution, ScoredEvent } from '../../../common/types/scoring';
import {
  parentStartLookup,
  type FeatureContext,
  type FeatureSpace,
  type SparseRow,
} from './features';
import { loadModelBundle, type ModelMeta } from './model_files';
import { predictRows } from './network';
import { initTf, tf } from './tf_backend';

export type ScoreMode = 'model' | 'elastic' | 'blend';

export interface TfjsEdgeScorerOptions {
  /** Model bundle directory (model.json, weights.bin, features.json, meta.json). */
  modelDir: string;
  /**
   * 'model': always our score. 'elastic': Elastic's event.problemchild.prediction_probability when
   * present. 'blend': weighted average of both when Elastic's is present. Both fall back to the model.
   */
  mode?: ScoreMode;
  /** Weight of Elastic's score in 'blend' mode, 0..1 (default 0.5). */
  blendWeight?: number;
  /** Contributions returned per event (default 5; 0 disables explanations). */
  topK?: number;
}

/** Weights pulled out of the serving model for JS-side explanations. */
interface ExplainWeights {
  kind: 'mlp' | 'logreg';
  hidden: number;
  /** Row-major [dimension × hidden] (or [dimension × 1]). */
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: number;
}

interface LoadedModel {
  model: tf.LayersModel;
  space: FeatureSpace;
  meta: ModelMeta;
  explain: ExplainWeights;
}

const cache = new Map<string, Promise<LoadedModel>>();

async function extractWeights(model: tf.LayersModel): Promise<ExplainWeights> {
  const weights = model.getWeights();
  const data = await Promise.all(weights.map((w) => w.data() as Promise<Float32Array>));
  if (data.length === 4) {
    const hidden = weights[1]?.shape[0] ?? 0;
    return { kind: 'mlp', hidden, w1: data[0]!, b1: data[1]!, w2: data[2]!, b2: data[3]![0] ?? 0 };
  }
  if (data.length === 2) {
    return {
      kind: 'logreg',
      hidden: 1,
      w1: data[0]!,
      b1: data[1]!,
      w2: new Float32Array([1]),
      b2: 0,
    };
  }
  throw new Error(`unsupported model: expected 2 or 4 weight tensors, found ${data.length}`);
}

async function loadOnce(dir: string): Promise<LoadedModel> {
  await initTf();
  const bundle = await loadModelBundle(dir);
  return { ...bundle, explain: await extractWeights(bundle.model) };
}

/** Loads (or returns the cached) model for a directory; a failed load is not cached. */
function getModel(modelDir: string): Promise<LoadedModel> {
  const key = path.resolve(modelDir);
  let p = cache.get(key);
  if (!p) {
    p = loadOnce(key).catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
}

/** Drops cached models (tests, or after retraining in the same process). */
export function clearModelCache(): void {
  for (const p of cache.values()) {
    p.then((m) => m.model.dispose()).catch(() => undefined);
  }
  cache.clear();
}

/** Signed contribution (logit units) of each active feature, by removing it from the input. */
export function occlusionContributions(w: ExplainWeights, row: SparseRow): Float32Array {
  const out = new Float32Array(row.indices.length);
  if (w.kind === 'logreg') {
    for (let k = 0; k < row.indices.length; k++)
      out[k] = (row.values[k] as number) * (w.w1[row.indices[k] as number] as number);
    return out;
  }
  const h = w.hidden;
  const z = Float64Array.from(w.b1);
  for (let k = 0; k < row.indices.length; k++) {
    const base = (row.indices[k] as number) * h;
    const v = row.values[k] as number;
    for (let j = 0; j < h; j++) z[j] = (z[j] as number) + v * (w.w1[base + j] as number);
  }
  let full = w.b2;
  for (let j = 0; j < h; j++) full += Math.max(0, z[j] as number) * (w.w2[j] as number);
  for (let k = 0; k < row.indices.length; k++) {
    const base = (row.indices[k] as number) * h;
    const v = row.values[k] as number;
    let without = w.b2;
    for (let j = 0; j < h; j++)
      without +=
        Math.max(0, (z[j] as number) - v * (w.w1[base + j] as number)) * (w.w2[j] as number);
    out[k] = full - without;
  }
  return out;
}

function topContributions(
  names: readonly string[],
  row: SparseRow,
  contrib: Float32Array,
  k: number,
): FeatureContribution[] {
  const order = Array.from(contrib.keys())
    .filter((i) => contrib[i] !== 0)
    // Largest effect either way; ties broken by feature index so output is deterministic.
    .sort(
      (a, b) =>
        Math.abs(contrib[b] as number) - Math.abs(contrib[a] as number) ||
        (row.indices[a] as number) - (row.indices[b] as number),
    )
    .slice(0, k);
  return order.map((i) => ({
    feature: names[row.indices[i] as number] ?? `feature ${row.indices[i]}`,
    contribution: Math.round((contrib[i] as number) * 1e4) / 1e4,
  }));
}

export class TfjsEdgeScorer implements EdgeScorer {
  readonly modelName: string;
  private readonly mode: ScoreMode;
  private readonly blendWeight: number;
  private readonly topK: number;

  private constructor(
    private readonly loaded: LoadedModel,
    options: TfjsEdgeScorerOptions,
  ) {
    this.modelName = loaded.meta.name;
    this.mode = options.mode ?? 'model';
    const w = options.blendWeight ?? 0.5;
    if (!(w >= 0 && w <= 1)) throw new Error(`blendWeight must be within 0..1, got ${w}`);
    this.blendWeight = w;
    this.topK = options.topK ?? 5;
  }

  /** Loads the model bundle (once per directory per process) and returns a scorer. */
  static async load(options: TfjsEdgeScorerOptions): Promise<TfjsEdgeScorer> {
    return new TfjsEdgeScorer(await getModel(options.modelDir), options);
  }

  get meta(): ModelMeta {
    return this.loaded.meta;
  }

  get featureSpace(): FeatureSpace {
    return this.loaded.space;
  }

  /**
   * Scores a batch. Parent start times come from process.parent.start, else from `ctx`, else
   * from the other events of this batch (pass all events of a host together when possible).
   */
  async score(events: ProcessEvent[], ctx?: FeatureContext): Promise<ScoredEvent[]> {
    if (events.length === 0) return [];
    const { space, model, explain } = this.loaded;
    const context = ctx ?? parentStartLookup(events);
    const rows = events.map((e) => space.extractSparse(e, context));
    const modelScores = await predictRows(model, rows, space.dimension);
    const names = space.featureNames;
    return events.map((event, i) => {
      const modelScore = modelScores[i] as number;
      const row = rows[i] as SparseRow;
      const topFeatures =
        this.topK > 0
          ? topContributions(names, row, occlusionContributions(explain, row), this.topK)
          : [];
      const elastic = event.problemchild?.prediction_probability;
      const hasElastic =
        typeof elastic === 'number' && Number.isFinite(elastic) && elastic >= 0 && elastic <= 1;
      if (this.mode === 'elastic' && hasElastic) {
        return { event, score: elastic, scoreSource: 'elastic', topFeatures };
      }
      if (this.mode === 'blend' && hasElastic) {
        const score = this.blendWeight * elastic + (1 - this.blendWeight) * modelScore;
        return { event, score, scoreSource: 'blend', topFeatures };
      }
      return { event, score: modelScore, scoreSource: 'model', topFeatures };
    });
  }

  /** Model logit for one event computed in JS (used to cross-check explanations). */
  jsLogit(event: ProcessEvent, ctx?: FeatureContext): number {
    const row = this.loaded.space.extractSparse(event, ctx);
    const w = this.loaded.explain;
    if (w.kind === 'logreg') {
      let s = w.b1[0] as number;
      for (let k = 0; k < row.indices.length; k++)
        s += (row.values[k] as number) * (w.w1[row.indices[k] as number] as number);
      return s;
    }
    const z = Float64Array.from(w.b1);
    for (let k = 0; k < row.indices.length; k++) {
      const base = (row.indices[k] as number) * w.hidden;
      for (let j = 0; j < w.hidden; j++)
        z[j] = (z[j] as number) + (row.values[k] as number) * (w.w1[base + j] as number);
    }
    let out = w.b2;
    for (let j = 0; j < w.hidden; j++) out += Math.max(0, z[j] as number) * (w.w2[j] as number);
    return out;
  }
}
