import { describe, expect, it } from 'vitest';
import type { ReportCommunity, ReportEvent } from '../detection/detect_cli';
import type { FileLabels } from './labels';
import { atThreshold, computeMetrics, sweep } from './metrics';

function ev(id: string, sources: Array<[string, number]>): ReportEvent {
  return {
    id,
    timestamp: '2024-01-01T00:00:00Z',
    sources: sources.map(([file, line]) => ({ file, line })),
    score: 0.5,
    anomaly: 0.5,
    parent: {},
    process: { name: 'x.exe', entity_id: id },
  };
}

function community(rank: number, flagged: boolean, events: ReportEvent[]): ReportCommunity {
  return {
    id: `c${rank}`,
    host: 'h',
    window: { start: '', end: '' },
    rank,
    flagged,
    score: flagged ? 0.9 : 0.1,
    maxAnomaly: 0,
    chain: '',
    techniques: [],
    users: [],
    firstSeen: '',
    lastSeen: '',
    events,
  };
}

function labels(file: string, byLine: Record<number, boolean>): [string, FileLabels] {
  return [
    file,
    {
      file,
      labelsFile: `${file}.labels`,
      byLine: new Map(Object.entries(byLine).map(([k, v]) => [Number(k), v])),
    },
  ];
}

describe('computeMetrics', () => {
  // a: lines 1–2 are one merged twin (line 2 malicious), 3 malicious, 4–5 benign, 6 unlabelled.
  // b: 1 malicious (missed), 2 benign.
  const L = new Map([
    labels('a', { 1: false, 2: true, 3: true, 4: false, 5: false }),
    labels('b', { 1: true, 2: false }),
  ]);
  const communities = [
    community(1, true, [
      ev('a1', [
        ['a', 1],
        ['a', 2],
      ]),
      ev('a4', [['a', 4]]),
    ]),
    community(2, true, [ev('a3', [['a', 3]]), ev('b2', [['b', 2]])]),
    community(3, false, [ev('a5', [['a', 5]]), ev('a6', [['a', 6]]), ev('b1', [['b', 1]])]),
  ];

  it('counts a twin as malicious if any record is, and computes recall, precision, share', () => {
    const m = computeMetrics(communities, L);
    expect(m).toMatchObject({
      datasets: 2,
      datasetsWithAttacks: 2,
      events: 6,
      unlabelled: 1,
      malicious: 3,
      flaggedEvents: 4,
      maliciousFlagged: 2,
      topHits: 2,
    });
    expect(m.recall).toBeCloseTo(2 / 3);
    expect(m.precision).toBeCloseTo(2 / 4);
    expect(m.flaggedFraction).toBeCloseTo(4 / 6);
    const b = m.perDataset.find((d) => d.file === 'b');
    // b's best flagged community (rank 2) holds a's attack event: it contains attack events.
    expect(b).toMatchObject({ topRank: 2, topHasAttack: true, malicious: 1, maliciousFlagged: 0 });
  });

  it('measures only the requested datasets', () => {
    const m = computeMetrics(communities, L, new Set(['b']));
    expect(m).toMatchObject({ datasets: 1, events: 2, malicious: 1, maliciousFlagged: 0 });
    expect(m.recall).toBe(0);
    expect(m.precision).toBe(0);
  });

  it('a dataset with attacks but no flagged community is a top miss', () => {
    const m = computeMetrics(
      [
        community(
          1,
          false,
          communities.flatMap((c) => c.events),
        ),
      ],
      L,
    );
    expect(m.topHits).toBe(0);
    expect(m.perDataset.every((d) => d.topRank === undefined)).toBe(true);
  });
});

describe('threshold sweep', () => {
  const L = new Map([labels('a', { 1: true, 2: false, 3: false, 4: true })]);
  const withScore = (c: ReportCommunity, score: number, maxAnomaly: number): ReportCommunity => ({
    ...c,
    score,
    maxAnomaly,
  });
  // Attack (line 1) in a high-scoring community, benign background in a middle one, a second
  // attack (line 4) in a low-scoring one.
  const communities = [
    withScore(community(1, true, [ev('e1', [['a', 1]])]), 0.9, 0.9),
    withScore(community(2, true, [ev('e2', [['a', 2]]), ev('e3', [['a', 3]])]), 0.7, 0.8),
    withScore(community(3, false, [ev('e4', [['a', 4]])]), 0.55, 0.95),
  ];

  it('re-flags by score and re-ranks by the most anomalous edge', () => {
    const at = atThreshold(communities, 0.5);
    expect(at.map((c) => [c.flagged, c.rank])).toEqual([
      [true, 2],
      [true, 3],
      [true, 1],
    ]);
    expect(atThreshold(communities, 0.8).map((c) => c.flagged)).toEqual([true, false, false]);
    // The input is not changed.
    expect(communities[2]!.flagged).toBe(false);
  });

  it('reports each threshold as computeMetrics would at that threshold', () => {
    const points = sweep([{ communities }], L, [0.5, 0.6, 0.8, 0.95]);
    expect(points.map((p) => [p.threshold, p.recall, p.precision, p.flaggedFraction])).toEqual([
      [0.5, 1, 0.5, 1],
      [0.6, 0.5, 1 / 3, 0.75],
      [0.8, 0.5, 1, 0.25],
      [0.95, 0, 0, 0],
    ]);
    expect(points.map((p) => p.topHitRate)).toEqual([1, 1, 1, 0]);
  });
});
