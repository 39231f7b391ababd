import { afterAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import { predictRows } from './network';
import { SparseNetwork } from './sparse_network';
import { attackWinwordPowershell, benignSvchost, makeEvent } from './testing/fixtures';
import { trainTinyModel } from './testing/tiny_model';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const events = [
  benignSvchost(),
  attackWinwordPowershell(),
  makeEvent({ name: 'rundll32.exe', cmd: 'rundll32.exe x.dll,Start', parentName: 'winword.exe' }),
  makeEvent({ name: 'cmd.exe', cmd: 'cmd.exe /c dir', parentName: 'explorer.exe' }),
];

describe('SparseNetwork', () => {
  it.each(['logreg', 'mlp', 'widedeep', 'ensemble'] as const)(
    '%s: gives the scores of tfjs predict, and occlusion equals the logit drop of each feature',
    async (kind) => {
      const { dir, fitted } = await trainTinyModel(kind);
      dirs.push(dir);
      const net = SparseNetwork.fromModel(fitted.model);
      expect(Boolean(net.weights.wide)).toBe(kind !== 'mlp');
      // An ensemble is stored as wide-and-deep.
      expect(Boolean(net.weights.deep)).toBe(kind !== 'logreg');
      const rows = events.map((e) => fitted.space.extractSparse(e));
      const tfjs = await predictRows(fitted.model, rows, fitted.space.dimension);
      const js = net.scoreRows(rows);
      for (let i = 0; i < rows.length; i++) expect(js[i]).toBeCloseTo(tfjs[i] as number, 5);
      // The trained model separates the tiny classes, so equal scores would mean a broken pass.
      expect(new Set(Array.from(js, (v) => v.toFixed(4))).size).toBeGreaterThan(1);
      for (const row of rows) {
        const contrib = net.occlusion(row);
        const full = net.logit(row);
        for (let k = 0; k < row.indices.length; k++) {
          const without = {
            indices: row.indices.filter((_, j) => j !== k),
            values: row.values.filter((_, j) => j !== k),
          };
          expect(contrib[k]).toBeCloseTo(full - net.logit(without), 4);
        }
      }
    },
  );

  it('refuses a model without the layers it knows', () => {
    expect(() => new SparseNetwork({})).not.toThrow();
    expect(() =>
      SparseNetwork.fromModel({ layers: [] } as unknown as Parameters<
        typeof SparseNetwork.fromModel
      >[0]),
    ).toThrow(/no layer named/);
  });
});
