import type { ProcessEvent } from './process_event';

/** One feature's contribution to an edge score, for explaining the score to an analyst. */
export interface FeatureContribution {
  /** Human-readable feature name, e.g. "cmdline token: -enc" or "parent→child: winword.exe→powershell.exe". */
  feature: string;
  /** Signed contribution toward "anomalous" (positive raises the score). */
  contribution: number;
}

/** A process-creation event with its edge score from the model (0 benign .. 1 anomalous). */
export interface ScoredEvent {
  event: ProcessEvent;
  score: number;
  /** Where the score came from: our model, Elastic's ingest pipeline score, or a blend. */
  scoreSource: 'model' | 'elastic' | 'blend';
  topFeatures: FeatureContribution[];
}

/** The scoring port: the detection engine depends on this, not on TensorFlow.js. */
export interface EdgeScorer {
  /** Scores a batch; implementations batch internally with a large batch size. */
  score(events: ProcessEvent[]): Promise<ScoredEvent[]>;
  readonly modelName: string;
  /**
   * Optional: scores without explanations (topFeatures left empty) and returns `explain`, which
   * fills in the topFeatures `score` would have given, for the events a run ends up reporting.
   * Explaining costs about a third of scoring, and most events are never reported.
   */
  scoreLazily?(events: ProcessEvent[]): Promise<LazilyScored>;
}

export interface LazilyScored {
  scored: ScoredEvent[];
  explain(which: readonly ScoredEvent[]): void;
}
