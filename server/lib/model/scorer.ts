/**
 * TfjsEdgeScorer: the production EdgeScorer. Loads a tfjs model bundle once per process (cached
 * by directory), scores events by evaluating the network's weights over sparse feature rows
 * (sparse_network.ts explains why that replaces model.predict), and explains each score with
 * exact occlusion of its active features.
 *
 * Occlusion instead of gradients: the network is tiny and the inputs are sparse (tens of
 * active features out of ~1,500), so removing each active feature and re-evaluating the
 * hidden layer incrementally costs O(active × hidden) per event, needs no autodiff, and gives
 * contributions in logit space that answer "how much did this feature raise the score".
 */
import path from 'node:path';
import type { ProcessEvent } from '../../../common/types/process_event';
import type {
  EdgeScorer,
  FeatureContribution,
  LazilyScored,
  ScoredEvent,
} from '../../../common/types/scoring';
import {
  parentStartLookup,
  type FeatureContext,
  type FeatureSpace,
  type SparseRow,
} from './features';
import { loadModelBundle, type ModelMeta } from './model_files';
import { type RowPartial, SparseNetwork } from './sparse_network';
import { initTf, tf } from './tf_backend';

/** The explanation of an event scored without one (shared: never changed, only replaced). */
const NO_FEATURES: FeatureContribution[] = Object.freeze([]) as unknown as FeatureContribution[];

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

interface LoadedModel {
  model: tf.LayersModel;
  space: FeatureSpace;
  meta: ModelMeta;
  network: SparseNetwork;
  /** Logit shares of cached rows, dropped with them. */
  partials: WeakMap<SparseRow, RowPartial>;
}

const cache = new Map<string, Promise<LoadedModel>>();

async function loadOnce(dir: string): Promise<LoadedModel> {
  await initTf();
  const bundle = await loadModelBundle(dir);
  return { ...bundle, network: SparseNetwork.fromModel(bundle.model), partials: new WeakMap() };
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

/** `row` with one more entry in front (the parent-age slots come first in the vector). */
function withEntry(row: SparseRow, index: number, value: number): SparseRow {
  if (index < 0) return row;
  const indices = new Int32Array(row.indices.length + 1);
  const values = new Float32Array(row.values.length + 1);
  indices[0] = index;
  values[0] = value;
  indices.set(row.indices, 1);
  values.set(row.values, 1);
  return { indices, values };
}

function topContributions(
  names: readonly string[],
  row: SparseRow,
  contrib: Float32Array,
  k: number,
): FeatureContribution[] {
  // Largest effect either way; ties broken by feature index so output is deterministic.
  // Rows are short and k is small, so an insertion into a k-long list beats sorting them all.
  const before = (a: number, b: number): boolean => {
    const d = Math.abs(contrib[a] as number) - Math.abs(contrib[b] as number);
    return d > 0 || (d === 0 && (row.indices[a] as number) < (row.indices[b] as number));
  };
  const top: number[] = [];
  for (let i = 0; i < contrib.length; i++) {
    if (contrib[i] === 0) continue;
    if (top.length === k && !before(i, top[k - 1] as number)) continue;
    let at = top.length < k ? top.length : k - 1;
    while (at > 0 && before(i, top[at - 1] as number)) at--;
    top.splice(at, 0, i);
    if (top.length > k) top.pop();
  }
  return top.map((i) => ({
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
    return this.scoreWith(events, ctx ?? parentStartLookup(events), this.topK);
  }

  /** score() without explanations, and a way to add them later to the events that need them. */
  async scoreLazily(events: ProcessEvent[], ctx?: FeatureContext): Promise<LazilyScored> {
    const context = ctx ?? parentStartLookup(events);
    const scored = events.length === 0 ? [] : this.scoreWith(events, context, 0);
    return {
      scored,
      explain: (which) => {
        if (this.topK <= 0) return;
        for (const s of which) s.topFeatures = this.explainOne(s.event, context);
      },
    };
  }

  private scoreWith(events: ProcessEvent[], context: FeatureContext, topK: number): ScoredEvent[] {
    const { space, network, partials } = this.loaded;
    const names = space.featureNames;
    return events.map((event) => {
      // The row without its parent age (cached when the event repeats) and the age entry apart:
      // a repeated row's share of the logit is cached too, so a repeat costs one hidden pass.
      const rest = space.staticRow(event);
      const age = space.parentAge(event, context);
      let logit: number;
      if (space.lastRowCached) {
        let p = partials.get(rest);
        if (!p) partials.set(rest, (p = network.partial(rest)));
        logit = network.logitWith(p, age.index, age.value);
      } else logit = network.logitOf(rest, age.index, age.value);
      const modelScore = 1 / (1 + Math.exp(-logit));
      let topFeatures: FeatureContribution[] = NO_FEATURES;
      if (topK > 0) {
        const row = withEntry(rest, age.index, age.value);
        topFeatures = topContributions(names, row, network.contributions(row), topK);
      }
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

  /** The explanation scoreWith gives `event` (same arithmetic: logitOf fills what it reads). */
  private explainOne(event: ProcessEvent, context: FeatureContext): FeatureContribution[] {
    const { space, network } = this.loaded;
    const rest = space.staticRow(event);
    const age = space.parentAge(event, context);
    network.logitOf(rest, age.index, age.value);
    const row = withEntry(rest, age.index, age.value);
    return topContributions(space.featureNames, row, network.contributions(row), this.topK);
  }

  /** Model logit for one event (the value the score is the sigmoid of). */
  logit(event: ProcessEvent, ctx?: FeatureContext): number {
    return this.loaded.network.logit(this.loaded.space.extractSparse(event, ctx));
  }
}
