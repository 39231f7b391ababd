/**
 * The on-disk model bundle: model.json + weights.bin (tfjs layers format), features.json
 * (fitted feature space) and meta.json (provenance and metrics). Readers validate eagerly so a
 * broken or mismatched bundle fails at load time with the file named, not at first score.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FeatureSpace, type FeatureSpaceJson } from './features';
import { loadLayersModel, saveLayersModel } from './model_io';
import type { NetworkConfig } from './network';
import { tf } from './tf_backend';
import type { SelectionResult, SplitResult } from './training';

export const FEATURES_JSON = 'features.json';
export const META_JSON = 'meta.json';

/** meta.json: everything needed to know where a model came from and how good it is. */
export interface ModelMeta {
  name: string;
  /** Training date as passed in by the caller (kept out of the computation so runs are reproducible). */
  trainedAt: string;
  seed: number;
  network: NetworkConfig;
  featureDimension: number;
  /** Data used for the final fit, with counts. */
  data: DataSummary[];
  /** Evaluation results of the chosen network kind, per split and source. */
  evaluation?: SplitResult[];
  /** Chosen model kind and why, when a comparison was run. */
  selection?: SelectionResult;
  notes?: string[];
}

export interface DataSummary {
  source: string;
  description: string;
  events: number;
  malicious: number;
  groups: number;
}

export interface ModelBundle {
  model: tf.LayersModel;
  space: FeatureSpace;
  meta: ModelMeta;
}

export async function saveModelBundle(dir: string, bundle: ModelBundle): Promise<void> {
  await saveLayersModel(bundle.model, dir);
  await fs.writeFile(path.join(dir, FEATURES_JSON), `${JSON.stringify(bundle.space.toJSON())}\n`);
  await fs.writeFile(path.join(dir, META_JSON), `${JSON.stringify(bundle.meta, null, 2)}\n`);
}

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(
      `model bundle: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`model bundle: ${file} is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** meta.json alone (provenance and training recipe), without loading the network. */
export async function loadModelMeta(dir: string): Promise<ModelMeta> {
  return readJson<ModelMeta>(path.join(dir, META_JSON));
}

export async function loadModelBundle(dir: string): Promise<ModelBundle> {
  const space = FeatureSpace.fromJSON(
    await readJson<FeatureSpaceJson>(path.join(dir, FEATURES_JSON)),
  );
  const meta = await readJson<ModelMeta>(path.join(dir, META_JSON));
  const model = await loadLayersModel(dir);
  const inputShape = model.inputs[0]?.shape;
  if (!inputShape || inputShape[1] !== space.dimension) {
    throw new Error(
      `model bundle ${dir}: model input width ${String(inputShape?.[1])} does not match features.json dimension ${space.dimension}`,
    );
  }
  return { model, space, meta };
}
