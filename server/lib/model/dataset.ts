/**
 * Labelled data as the trainer sees it: datasets of events with a binary label, a reporting
 * source, and provenance groups used to keep whole datasets on one side of every split.
 */
import type { ProcessEvent } from '../../../common/types/process_event';

/**
 * Reporting source of an event. Shared-data events are split by raw record kind because
 * Sysmon EID 1 and Security 4688 carry different fields (no OriginalFileName or integrity in 4688).
 */
export type DataSource =
  | 'otrf_sysmon'
  | 'otrf_4688'
  | 'otrf_merged'
  | 'sigma_regression'
  | 'evtx_attack_samples'
  | 'synthetic'
  | string;

export interface LabelledEvent {
  event: ProcessEvent;
  malicious: boolean;
  source: DataSource;
}

export interface LabelledDataset {
  /** Unique name, e.g. `otrf/empire_psexec_dcerpc_tcp_svcctl` or `synthetic/seed7/host-03`. */
  name: string;
  /** Family used for weighting and splits: 'otrf', 'sigma_regression', 'synthetic', … */
  family: string;
  /**
   * Lab environment: datasets recorded in the same lab share background noise and attacker
   * habits, so the strictest split leaves a whole environment out.
   */
  environment: string;
  /** False when the data has no per-event labels (used only qualitatively). */
  labelled: boolean;
  events: LabelledEvent[];
}

/** Whether the data is synthetic (generated) or recorded on real machines. */
export function isSynthetic(d: LabelledDataset): boolean {
  return d.family === 'synthetic';
}

export function countMalicious(d: LabelledDataset): number {
  let n = 0;
  for (const e of d.events) if (e.malicious) n++;
  return n;
}
