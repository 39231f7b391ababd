/**
 * The community score: model scores of a community's edges, discounted by how routine each step
 * is in this environment, combined so that several anomalous steps count for more than one.
 * the README, "How scoring works" explains the same formula for users; keep the two in step.
 *
 * Per edge e (model score s_e in 0..1):
 *
 *   p_pair = n(parent→child) / (n(parent→*) + m)        smoothed P(child | parent)
 *   p_cmd  = n(child, template) / (n(child) + m)         smoothed P(template | child)
 *   C(p)   = clamp(1 + log10(p) / D, 0, 1)               1 at p = 1, 0 at p ≤ 10^−D
 *   H(h)   = clamp((h − 1) / (Hc − 1), 0, 1)             host spread, Hc = max(minHosts, frac × hosts)
 *   N(n)   = clamp(log10(n) / log10(Nc), 0, 1)          evidence: 0 for a one-off, 1 from Nc sightings
 *   pairCommonness    = min(N(n_pair), max(C(p_pair), H(hosts of the pair)))
 *   cmdlineCommonness = min(N(n_tmpl), max(C(p_cmd),  H(hosts of the template)))
 *   rarity ρ_e = 1 − min(pairCommonness, cmdlineCommonness)
 *   anomaly a_e = s_e × ρ_e × (suppressed ? suppressedFactor : 1)
 *
 * Community score = 1 − Π (1 − a_e) over its top K anomalies that are ≥ minEdgeAnomaly.
 *
 * Why this shape:
 *  - The pseudo-count m stops a parent seen twice from making its children "common" (1 of 1 is
 *    100%); a parent must have been seen a handful of times before anything it starts can count
 *    as routine.
 *  - Whatever the probabilities say, something seen once (only this time) is not routine, and
 *    a handful of sightings is weak evidence: N caps commonness by the raw count.
 *  - Probabilities are judged on a log scale because prevalence spans orders of magnitude: 50%
 *    and 5% are both routine, 0.05% is not.
 *  - A conditional probability is small for any child of a hub that starts hundreds of different
 *    things, however routine; host spread catches the admin tool that runs on half the fleet.
 *    The single-host case (h = 1) never counts as spread, and an attack must reach a quarter of
 *    the hosts (and at least 5) before spread alone calls it common.
 *  - A step is routine only if both the parent→child pair and the command-line shape are: the
 *    everyday cmd.exe → powershell.exe pair with a never-seen encoded command stays rare.
 *  - Prevalence only discounts (ρ ≤ 1): rare steps keep their model score and so raise the
 *    community relative to common ones, but prevalence cannot turn a benign-scored step into an
 *    alert on its own — in a small or new environment everything is rare.
 *  - Noisy-OR ("the chance at least one step is malicious, if the steps were independent
 *    evidence") makes a chain of several anomalous steps outrank one anomalous step; limiting it
 *    to the top K and to anomalies above a floor keeps a large benign community from adding up
 *    hundreds of small scores.
 */
import type {
  CmdlinePrevalence,
  PairPrevalence,
  PrevalenceEnvironment,
} from '../../../common/types/community';

export interface ScoringOptions {
  /** m: pseudo-count added to every denominator. */
  pseudoCount: number;
  /** D: decades of probability between "routine" (p = 1) and "rare" (p ≤ 10^−D). */
  decades: number;
  /** Nc: sightings needed before a step can count as fully common. */
  minCountCommon: number;
  minHostsCommon: number;
  fracHostsCommon: number;
  /** K: how many of its most anomalous edges a community score uses. */
  topK: number;
  /** Edge anomalies below this are noise and do not contribute (and are not "driving" edges). */
  minEdgeAnomaly: number;
  /** Multiplier for edges matched by a suppression rule (0 = removed). */
  suppressedFactor: number;
}

export const DEFAULT_SCORING_OPTIONS: ScoringOptions = {
  pseudoCount: 5,
  decades: 3,
  minCountCommon: 10,
  minHostsCommon: 5,
  fracHostsCommon: 0.25,
  topK: 5,
  minEdgeAnomaly: 0.1,
  suppressedFactor: 0,
};

export { DEFAULT_THRESHOLD } from '../../../common/constants';

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 0;
}

export function logCommonness(p: number, decades: number): number {
  if (!(p > 0)) return 0;
  return clamp01(1 + Math.log10(p) / decades);
}

export function hostSpreadCommonness(
  hosts: number,
  env: PrevalenceEnvironment,
  o: ScoringOptions,
): number {
  const hc = Math.max(o.minHostsCommon, o.fracHostsCommon * env.hosts);
  if (hc <= 1) return 0;
  return clamp01((hosts - 1) / (hc - 1));
}

export function countEvidence(n: number, o: ScoringOptions): number {
  if (!(n > 1)) return 0;
  return o.minCountCommon <= 1 ? 1 : clamp01(Math.log10(n) / Math.log10(o.minCountCommon));
}

export function pairCommonness(
  p: PairPrevalence,
  env: PrevalenceEnvironment,
  o: ScoringOptions,
): number {
  const prob = p.pairCount / (p.parentTotal + o.pseudoCount);
  return Math.min(
    countEvidence(p.pairCount, o),
    Math.max(logCommonness(prob, o.decades), hostSpreadCommonness(p.distinctHosts, env, o)),
  );
}

export function cmdlineCommonness(
  c: CmdlinePrevalence,
  env: PrevalenceEnvironment,
  o: ScoringOptions,
): number {
  const prob = c.templateCount / (c.processTotal + o.pseudoCount);
  return Math.min(
    countEvidence(c.templateCount, o),
    Math.max(logCommonness(prob, o.decades), hostSpreadCommonness(c.distinctHosts, env, o)),
  );
}

export interface EdgeRarity {
  pairCommonness: number;
  cmdlineCommonness: number;
  rarity: number;
}

export function edgeRarity(
  pair: PairPrevalence,
  cmd: CmdlinePrevalence,
  env: PrevalenceEnvironment,
  o: ScoringOptions = DEFAULT_SCORING_OPTIONS,
): EdgeRarity {
  const pc = pairCommonness(pair, env, o);
  const cc = cmdlineCommonness(cmd, env, o);
  return { pairCommonness: pc, cmdlineCommonness: cc, rarity: 1 - Math.min(pc, cc) };
}

export function edgeAnomaly(
  score: number,
  rarity: number,
  suppressed: boolean,
  o: ScoringOptions = DEFAULT_SCORING_OPTIONS,
): number {
  return clamp01(score) * clamp01(rarity) * (suppressed ? clamp01(o.suppressedFactor) : 1);
}

/** Noisy-OR of the top-K anomalies at or above the floor; 0 when none qualifies. */
export function communityScore(
  anomalies: readonly number[],
  o: ScoringOptions = DEFAULT_SCORING_OPTIONS,
): number {
  const top = anomalies
    .filter((a) => a >= o.minEdgeAnomaly)
    .sort((a, b) => b - a)
    .slice(0, Math.max(1, o.topK));
  let keep = 1;
  for (const a of top) keep *= 1 - clamp01(a);
  return 1 - keep;
}
