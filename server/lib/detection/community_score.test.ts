import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type {
  CmdlinePrevalence,
  PairPrevalence,
  PrevalenceEnvironment,
} from '../../../common/types/community';
import {
  communityScore,
  countEvidence,
  DEFAULT_SCORING_OPTIONS as O,
  edgeAnomaly,
  edgeRarity,
  hostSpreadCommonness,
  logCommonness,
} from './community_score';

const env: PrevalenceEnvironment = { hosts: 40, events: 100_000, lookbackDays: 30 };

function pair(pairCount: number, parentTotal: number, distinctHosts = 1): PairPrevalence {
  return {
    parentName: 'a',
    childName: 'b',
    pairCount,
    parentTotal,
    distinctHosts,
    probability: parentTotal ? pairCount / parentTotal : 0,
  };
}
function cmd(templateCount: number, processTotal: number, distinctHosts = 1): CmdlinePrevalence {
  return {
    processName: 'b',
    template: 't',
    templateCount,
    processTotal,
    distinctHosts,
    probability: processTotal ? templateCount / processTotal : 0,
  };
}

describe('edge rarity', () => {
  it('is 1 for never-seen steps and near 0 for routine ones', () => {
    expect(edgeRarity(pair(0, 0), cmd(0, 0), env).rarity).toBe(1);
    expect(edgeRarity(pair(5000, 6000, 40), cmd(4000, 5000, 40), env).rarity).toBeLessThan(0.05);
  });

  it('needs both the pair and the command-line shape to be common', () => {
    const commonPairRareCmd = edgeRarity(pair(5000, 6000, 40), cmd(1, 5000, 1), env);
    expect(commonPairRareCmd.pairCommonness).toBeGreaterThan(0.9);
    expect(commonPairRareCmd.rarity).toBeGreaterThan(0.9);
  });

  it('does not call a one-off common, however its probability looks', () => {
    // 1 of 1 is 100%, but one sighting is no evidence of routine.
    expect(edgeRarity(pair(1, 1), cmd(1, 1), env).rarity).toBe(1);
    expect(edgeRarity(pair(1, 13), cmd(1, 149), env).rarity).toBe(1);
    // A handful of sightings is weak evidence; ten or more can be fully common.
    expect(countEvidence(3, O)).toBeCloseTo(Math.log10(3));
    expect(countEvidence(10, O)).toBe(1);
    expect(edgeRarity(pair(3, 3, 3), cmd(3, 3, 3), env).rarity).toBeGreaterThan(0.5);
  });

  it('counts host spread only beyond one host and relative to the environment', () => {
    expect(hostSpreadCommonness(1, env, O)).toBe(0);
    expect(hostSpreadCommonness(10, env, O)).toBe(1); // 25% of 40 hosts
    expect(hostSpreadCommonness(3, { ...env, hosts: 1000 }, O)).toBeLessThan(0.01);
  });

  it('maps probabilities on a log scale', () => {
    expect(logCommonness(1, 3)).toBe(1);
    expect(logCommonness(0.001, 3)).toBe(0);
    expect(logCommonness(0.1, 3)).toBeCloseTo(2 / 3);
    expect(logCommonness(0, 3)).toBe(0);
  });
});

describe('community score', () => {
  it('is a noisy-OR of the top edges above the floor', () => {
    expect(communityScore([])).toBe(0);
    expect(communityScore([0.6])).toBeCloseTo(0.6);
    expect(communityScore([0.6, 0.6])).toBeCloseTo(0.84);
    expect(communityScore(Array(500).fill(0.09))).toBe(0); // many small scores do not add up
    expect(communityScore([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], { ...O, topK: 2 })).toBeCloseTo(
      0.75,
    );
  });

  it('ranks a chain of anomalous steps above one anomalous step', () => {
    expect(communityScore([0.7, 0.6, 0.6, 0.5])).toBeGreaterThan(communityScore([0.8]));
  });

  it('never exceeds the score computed from raw model scores (the candidate upper bound)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            s: fc.double({ min: 0, max: 1, noNaN: true }),
            r: fc.double({ min: 0, max: 1, noNaN: true }),
            sup: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        (edges) => {
          const upper = communityScore(edges.map((e) => e.s));
          const actual = communityScore(edges.map((e) => edgeAnomaly(e.s, e.r, e.sup)));
          expect(actual).toBeLessThanOrEqual(upper + 1e-12);
          expect(actual).toBeGreaterThanOrEqual(0);
          expect(actual).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('removes suppressed edges by default and discounts them when configured', () => {
    expect(edgeAnomaly(0.9, 1, true)).toBe(0);
    expect(edgeAnomaly(0.9, 1, true, { ...O, suppressedFactor: 0.1 })).toBeCloseTo(0.09);
    expect(edgeAnomaly(0.9, 0.5, false)).toBeCloseTo(0.45);
  });
});
