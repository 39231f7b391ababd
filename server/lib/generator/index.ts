/**
 * Seeded, labelled synthetic Windows process-creation telemetry (benign fleet activity plus
 * injected living-off-the-land attack chains). See generate.ts for the stream, write.ts for
 * the on-disk dataset and cli.ts for `problemchild generate`.
 */
export {
  createGenerator,
  generate,
  generateSync,
  resolveOptions,
  DEFAULT_START,
  GeneratorOptionError,
  type GenerateOptions,
  type GeneratedRecord,
  type GeneratorRun,
  type OutputFormat,
  type ResolvedOptions,
} from './generate';
export {
  writeDataset,
  type DatasetManifest,
  type ScenarioSummary,
  type WriteDatasetOptions,
} from './write';
export {
  runGenerateCli,
  parseGenerateArgs,
  CliUsageError,
  GENERATE_USAGE,
  type CliIo,
} from './cli';
export { TEMPLATE_NAMES, type AttackPlan } from './scenarios';
export { ecsLine, toEcs, toLabel, toSysmon, type SysmonFlatRecord } from './records';
