import { describe, expect, it } from 'vitest';
import { PlainTfidfSpace } from './plain_tfidf';
import { makeEvent } from './testing/fixtures';

describe('PlainTfidfSpace', () => {
  const train = [
    makeEvent({ name: 'cmd.exe', cmd: 'cmd.exe /c dir C:\\Temp', parentName: 'explorer.exe' }),
    makeEvent({ name: 'cmd.exe', cmd: 'cmd.exe /c whoami', parentName: 'explorer.exe' }),
    makeEvent({ name: 'powershell.exe', cmd: 'powershell -enc AAAA', parentName: 'cmd.exe' }),
  ];
  const space = PlainTfidfSpace.fit(train, { minDf: 2, maxVocab: 100 });

  it('keeps word tokens of two or more characters seen in minDf events, sorted', () => {
    // "cmd" and "exe" occur in all three events, "explorer" in two; "dir", "whoami", "enc" in one.
    expect(space.vocabulary).toEqual(['cmd', 'exe', 'explorer']);
    expect(space.dimension).toBe(3);
  });

  it('weights raw counts by smooth IDF and L2-normalises the row', () => {
    const row = space.extractSparse(train[0]!);
    // Text "cmd.exe explorer.exe cmd.exe /c dir c:\temp" → cmd 2, exe 3, explorer 1.
    const n = 3;
    const idf = (df: number): number => Math.log((1 + n) / (1 + df)) + 1;
    const raw = [2 * idf(3), 3 * idf(3), 1 * idf(2)];
    const norm = Math.hypot(...raw);
    expect(Array.from(row.indices)).toEqual([0, 1, 2]);
    Array.from(row.values).forEach((v, i) => expect(v).toBeCloseTo(raw[i]! / norm, 6));
  });

  it('gives an empty row when no token is known', () => {
    const row = space.extractSparse(makeEvent({ name: 'zz.bin', cmd: 'q', parentName: 'y' }));
    expect(row.indices.length).toBe(0);
  });
});
