/**
 * ECS normaliser: raw Windows process-creation records (Sysmon EID 1, Security 4688, ECS) in
 * any of the supported shapes → `ProcessEvent`s, with twin merging and clock alignment.
 */
export { Normaliser, normaliseFile, imageKey, type NormaliseOptions } from './normaliser';
export {
  normaliseRecord,
  type RecordResult,
  type RejectReason,
  type RecordOptions,
} from './normalise_record';
export { parseWindowsCommandLine } from './command_line';
export { decodeHtmlEntities } from './html_entities';
export {
  readLines,
  LineSplitter,
  type LineInput,
  type LineItem,
  type LineProblem,
} from './line_reader';
