/** Public API of the edge-score model: features, scorer, training, metrics. */
export {
  FeatureSpace,
  DENSE_FEATURES,
  parentStartLookup,
  eventTokenKeys,
  type FeatureContext,
  type FeatureSpaceJson,
  type SparseRow,
} from './features';
export {
  TfjsEdgeScorer,
  clearModelCache,
  type ScoreMode,
  type TfjsEdgeScorerOptions,
} from './scorer';
export {
  trainModel,
  evaluateModel,
  fitModel,
  defaultTrainConfig,
  type TrainConfig,
  type TrainModelOptions,
  type EvaluationReport,
  type SplitResult,
} from './training';
export { runTrainCli, parseTrainArgs } from './train_cli';
export {
  binaryMetrics,
  rocAuc,
  prAuc,
  recallAtFpr,
  thresholdAtFpr,
  recallAtThreshold,
  type BinaryMetrics,
} from './metrics';
export { loadSharedData, loadSharedFile } from './shared_data';
export { loadSynthetic } from './synthetic_data';
export { loadModelBundle, saveModelBundle, type ModelMeta } from './model_files';
export { initTf } from './tf_backend';
export type { LabelledDataset, LabelledEvent, DataSource } from './dataset';
