/**
 * Detection metrics over a full partition of the events (`detect --all`): every normalised event
 * sits in exactly one community, flagged or not, and carries its source records.
 *
 * An event is malicious when any of its source records is labelled malicious (a merged twin is
 * one process; either record's label describes it). Events without any labelled record are left
 * out of every ratio and counted as `unlabelled`.
 */
import type { ReportCommunity } from '../detection/detect_cli';
import { rankCommunities } from '../detection/find_bad_communities';
import type { FileLabels } from './labels';

export interface DatasetResult {
  file: string;
  events: number;
  malicious: number;
  flaggedEvents: number;
  maliciousFlagged: number;
  /** Best rank among flagged communities holding an event of this dataset (undefined: none). */
  topRank?: number;
  /** Whether that community contains a malicious event. */
  topHasAttack: boolean;
}

export interface EvalMetrics {
  datasets: number;
  datasetsWithAttacks: number;
  /** Datasets with attacks whose top-ranked flagged community contains attack events. */
  topHits: number;
  events: number;
  unlabelled: number;
  malicious: number;
  flaggedEvents: number;
  maliciousFlagged: number;
  /** maliciousFlagged / malicious. */
  recall: number;
  /** flaggedEvents / events. */
  flaggedFraction: number;
  /** maliciousFlagged / flaggedEvents (malicious share of events in flagged communities). */
  precision: number;
  /** topHits / datasetsWithAttacks. */
  topHitRate: number;
  perDataset: DatasetResult[];
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Whether an event is malicious: true/false by its sources' labels, undefined if unlabelled. */
function eventLabel(
  sources: ReadonlyArray<{ file: string; line: number }>,
  labels: ReadonlyMap<string, FileLabels>,
): boolean | undefined {
  let seen: boolean | undefined;
  for (const s of sources) {
    const l = labels.get(s.file)?.byLine.get(s.line);
    if (l === true) return true;
    if (l === false) seen = false;
  }
  return seen;
}

/**
 * Metrics for the datasets in `only` (default: every labelled file). Communities may mix
 * datasets (same host and window); each event counts for the file of its first source.
 */
export function computeMetrics(
  communities: readonly ReportCommunity[],
  labels: ReadonlyMap<string, FileLabels>,
  only?: ReadonlySet<string>,
): EvalMetrics {
  const per = new Map<string, DatasetResult>();
  const include = (file: string): boolean =>
    labels.has(file) && (only === undefined || only.has(file));
  for (const file of labels.keys())
    if (include(file))
      per.set(file, {
        file,
        events: 0,
        malicious: 0,
        flaggedEvents: 0,
        maliciousFlagged: 0,
        topHasAttack: false,
      });
  let unlabelled = 0;
  for (const c of communities) {
    const evLabels = c.events.map((e) => eventLabel(e.sources, labels));
    const hasAttack = evLabels.some((l) => l === true);
    c.events.forEach((e, i) => {
      const file = e.sources[0]?.file;
      if (file === undefined || !include(file)) return;
      const d = per.get(file) as DatasetResult;
      const l = evLabels[i];
      if (l === undefined) {
        unlabelled++;
        return;
      }
      d.events++;
      if (l) d.malicious++;
      if (c.flagged) {
        d.flaggedEvents++;
        if (l) d.maliciousFlagged++;
        if (d.topRank === undefined || c.rank < d.topRank) {
          d.topRank = c.rank;
          d.topHasAttack = hasAttack;
        }
      }
    });
  }
  const perDataset = [...per.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
  return summarise(perDataset, unlabelled);
}

/** Totals over datasets (micro-averaged: every event weighs the same). */
export function summarise(perDataset: DatasetResult[], unlabelled: number): EvalMetrics {
  let events = 0;
  let malicious = 0;
  let flaggedEvents = 0;
  let maliciousFlagged = 0;
  let withAttacks = 0;
  let topHits = 0;
  for (const d of perDataset) {
    events += d.events;
    malicious += d.malicious;
    flaggedEvents += d.flaggedEvents;
    maliciousFlagged += d.maliciousFlagged;
    if (d.malicious > 0) {
      withAttacks++;
      if (d.topHasAttack) topHits++;
    }
  }
  return {
    datasets: perDataset.length,
    datasetsWithAttacks: withAttacks,
    topHits,
    events,
    unlabelled,
    malicious,
    flaggedEvents,
    maliciousFlagged,
    recall: ratio(maliciousFlagged, malicious),
    flaggedFraction: ratio(flaggedEvents, events),
    precision: ratio(maliciousFlagged, flaggedEvents),
    topHitRate: ratio(topHits, withAttacks),
    perDataset,
  };
}

/** Plain-text summary lines for one evaluation. */
export function renderMetrics(title: string, m: EvalMetrics): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return (
    `${title}\n` +
    `  datasets ${m.datasets} (${m.datasetsWithAttacks} with attacks), events ${m.events}` +
    `${m.unlabelled ? ` (+${m.unlabelled} unlabelled)` : ''}, malicious ${m.malicious}\n` +
    `  recall in flagged communities  ${m.recall.toFixed(3)} (${m.maliciousFlagged}/${m.malicious})\n` +
    `  precision                      ${m.precision.toFixed(3)} (${m.maliciousFlagged}/${m.flaggedEvents})\n` +
    `  events flagged                 ${pct(m.flaggedFraction)} (${m.flaggedEvents}/${m.events})\n` +
    `  top community has attack       ${m.topHitRate.toFixed(3)} (${m.topHits}/${m.datasetsWithAttacks} datasets with attacks)\n`
  );
}

/** Thresholds the sweep reports (the default threshold is among them). */
export const SWEEP_THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] as const;

export interface SweepPoint {
  threshold: number;
  recall: number;
  precision: number;
  flaggedFraction: number;
  topHitRate: number;
}

/**
 * The same communities flagged at another threshold: flagged when the score reaches it, ranked
 * by the detection ranking key (most anomalous edge, then score, then id). Community scores do
 * not depend on the threshold, so one detection run serves every point of a sweep.
 */
export function atThreshold(
  communities: readonly ReportCommunity[],
  threshold: number,
): ReportCommunity[] {
  const out = communities.map((c) => ({ ...c, flagged: c.score >= threshold }));
  // Flagged first, then the rest, each ordered as detection orders them.
  const flagged = rankCommunities(out.filter((c) => c.flagged));
  rankCommunities(out.filter((c) => !c.flagged)).forEach((c) => (c.rank += flagged.length));
  return out;
}

/** Recall, precision, flagged share and top hits at each sweep threshold. */
export function sweep(
  runs: ReadonlyArray<{ communities: readonly ReportCommunity[]; only?: ReadonlySet<string> }>,
  labels: ReadonlyMap<string, FileLabels>,
  thresholds: readonly number[] = SWEEP_THRESHOLDS,
): SweepPoint[] {
  return thresholds.map((threshold) => {
    const perDataset: DatasetResult[] = [];
    let unlabelled = 0;
    for (const r of runs) {
      const m = computeMetrics(atThreshold(r.communities, threshold), labels, r.only);
      perDataset.push(...m.perDataset);
      unlabelled += m.unlabelled;
    }
    const m = summarise(perDataset, unlabelled);
    return {
      threshold,
      recall: m.recall,
      precision: m.precision,
      flaggedFraction: m.flaggedFraction,
      topHitRate: m.topHitRate,
    };
  });
}

export function renderSweep(title: string, points: readonly SweepPoint[]): string {
  return (
    `${title}\n  threshold  recall  precision  flagged  top hit\n` +
    points
      .map(
        (p) =>
          `  ${p.threshold.toFixed(2).padStart(9)}  ${p.recall.toFixed(3)}  ${p.precision.toFixed(3).padStart(9)}  ${`${(p.flaggedFraction * 100).toFixed(1)}%`.padStart(7)}  ${p.topHitRate.toFixed(3).padStart(7)}\n`,
      )
      .join('')
  );
}
