/**
 * Save/load a tfjs LayersModel as model.json + weights.bin in a directory, without tfjs-node
 * (plain tfjs has no file:// handler). The layout is the standard tfjs layers format, so
 * tfjs-node's `file://` loader or the Python converter can read the same files.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from './tf_backend';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Writes model.json and weights.bin into `dir` (created if missing). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (
        !artifacts.modelTopology ||
        artifacts.weightData === undefined ||
        !artifacts.weightSpecs
      ) {
        throw new Error('saveLayersModel: model produced no topology or weights');
      }
      // tfjs 4.x may hand weightData as an array of buffers.
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
      };
      await fs.writeFile(path.join(dir, WEIGHTS_BIN), Buffer.from(weights));
      await fs.writeFile(path.join(dir, MODEL_JSON), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

interface ModelJsonFile {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** IOHandler reading model.json + the weight files it names from `dir`. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = path.join(dir, MODEL_JSON);
      let parsed: ModelJsonFile;
      try {
        parsed = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJsonFile;
      } catch (err) {
        throw new Error(`cannot read ${jsonPath}: ${(err as Error).message}`, { cause: err });
      }
      if (!parsed.modelTopology || !Array.isArray(parsed.weightsManifest)) {
        throw new Error(
          `${jsonPath} is not a tfjs layers model (no modelTopology / weightsManifest)`,
        );
      }
      return tf.io.getModelArtifactsForJSON(
        parsed as unknown as tf.io.ModelJSON,
        async (manifest) => {
          const specs = tf.io.getWeightSpecs(manifest);
          const buffers: ArrayBuffer[] = [];
          for (const group of manifest) {
            for (const p of group.paths) {
              const file = path.resolve(dir, p);
              // Weight paths come from the file; never follow them outside the model folder.
              if (path.relative(dir, file).startsWith('..'))
                throw new Error(`${jsonPath}: weight path ${p} leaves the model folder`);
              const b = await fs.readFile(file);
              buffers.push(
                b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
              );
            }
          }
          return [specs, tf.io.concatenateArrayBuffers(buffers)];
        },
      );
    },
  };
}

/** Loads a LayersModel saved by saveLayersModel. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}
