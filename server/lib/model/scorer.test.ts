import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clearFeatureCaches } from './features';
import { predictRows } from './network';
import { TfjsEdgeScorer, clearModelCache } from './scorer';
import { SparseNetwork } from './sparse_network';
import { attackWinwordPowershell, benignSvchost, makeEvent } from './testing/fixtures';
import { trainTinyModel } from './testing/tiny_model';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultModelDir = path.join(repoRoot, 'models/default');
const tempDirs: string[] = [];

afterAll(async () => {
  clearModelCache();
  for (const d of tempDirs) await fs.rm(d, { recursive: true, force: true });
});

describe('save → load round trip', () => {
  it.each(['mlp', 'logreg', 'widedeep'] as const)(
    '%s: reloaded model gives identical predictions',
    async (kind) => {
      const { dir, fitted } = await trainTinyModel(kind);
      tempDirs.push(dir);
      const events = [
        benignSvchost(),
        attackWinwordPowershell(),
        makeEvent({ name: 'x.exe', cmd: 'x.exe -a' }),
      ];
      const rows = events.map((e) => fitted.space.extractSparse(e));
      // Serving adds the parent-age entry after the rest of the row (see scorer.ts).
      const network = SparseNetwork.fromModel(fitted.model);
      const before = events.map((e) => {
        const age = fitted.space.parentAge(e);
        return (
          1 / (1 + Math.exp(-network.logitOf(fitted.space.staticRow(e), age.index, age.value)))
        );
      });
      const scorer = await TfjsEdgeScorer.load({ modelDir: dir });
      const after = (await scorer.score(events)).map((s) => s.score);
      expect(after).toEqual(before);
      for (let i = 0; i < events.length; i++)
        expect(after[i]).toBeCloseTo(network.score(rows[i]!), 12);
      // The sparse JS forward pass that serves scores agrees with tfjs predict.
      const tfjs = await predictRows(fitted.model, rows, fitted.space.dimension);
      for (let i = 0; i < events.length; i++) {
        expect(after[i]).toBeCloseTo(tfjs[i] as number, 5);
        expect(1 / (1 + Math.exp(-scorer.logit(events[i]!)))).toBeCloseTo(after[i]!, 12);
      }
      expect(await fs.readdir(dir)).toEqual(
        expect.arrayContaining(['model.json', 'weights.bin', 'features.json', 'meta.json']),
      );
    },
  );

  it('caches per model directory and reports a missing bundle clearly', async () => {
    const { dir } = await trainTinyModel('logreg');
    tempDirs.push(dir);
    const a = await TfjsEdgeScorer.load({ modelDir: dir });
    const b = await TfjsEdgeScorer.load({ modelDir: `${dir}/` });
    expect(b.featureSpace).toBe(a.featureSpace);
    await expect(TfjsEdgeScorer.load({ modelDir: path.join(dir, 'nope') })).rejects.toThrow(
      /features\.json/,
    );
  });
});

describe('score modes and explanations', () => {
  it('uses, blends or ignores the Elastic score, falling back to the model when absent', async () => {
    const { dir } = await trainTinyModel('mlp');
    tempDirs.push(dir);
    const withElastic = makeEvent({
      name: 'cmd.exe',
      cmd: 'cmd /c dir',
      parentName: 'explorer.exe',
      elastic: 0.9,
    });
    const without = makeEvent({ name: 'cmd.exe', cmd: 'cmd /c dir', parentName: 'explorer.exe' });
    const model = await TfjsEdgeScorer.load({ modelDir: dir, mode: 'model' });
    const [m1, m2] = await model.score([withElastic, without]);
    expect(m1!.scoreSource).toBe('model');
    const elastic = await TfjsEdgeScorer.load({ modelDir: dir, mode: 'elastic' });
    const [e1, e2] = await elastic.score([withElastic, without]);
    expect(e1).toMatchObject({ score: 0.9, scoreSource: 'elastic' });
    expect(e2).toMatchObject({ score: m2!.score, scoreSource: 'model' });
    const blend = await TfjsEdgeScorer.load({ modelDir: dir, mode: 'blend', blendWeight: 0.25 });
    const [b1, b2] = await blend.score([withElastic, without]);
    expect(b1!.scoreSource).toBe('blend');
    expect(b1!.score).toBeCloseTo(0.25 * 0.9 + 0.75 * m1!.score, 6);
    expect(b2!.scoreSource).toBe('model');
    await expect(TfjsEdgeScorer.load({ modelDir: dir, blendWeight: 2 })).rejects.toThrow(
      /blendWeight/,
    );
  });

  it('scores and explains a repeated event the same from the row and logit caches', async () => {
    const { dir } = await trainTinyModel('widedeep');
    tempDirs.push(dir);
    const scorer = await TfjsEdgeScorer.load({ modelDir: dir });
    const fresh = () => [
      attackWinwordPowershell(),
      benignSvchost(),
      makeEvent({ name: 'x.exe', cmd: 'x.exe -a' }),
    ];
    clearFeatureCaches();
    scorer.featureSpace.clearCache();
    const first = await scorer.score(fresh());
    // The second sighting admits the rows, later ones are served from the caches.
    for (let i = 0; i < 3; i++) await scorer.score(fresh());
    const probe = fresh()[0]!;
    scorer.featureSpace.staticRow(probe);
    expect(scorer.featureSpace.lastRowCached).toBe(true);
    const cached = await scorer.score(fresh());
    expect(cached.map((s) => [s.score, s.topFeatures])).toEqual(
      first.map((s) => [s.score, s.topFeatures]),
    );
  });

  it('returns at most five contributions, largest effect first', async () => {
    const { dir } = await trainTinyModel('mlp');
    tempDirs.push(dir);
    const scorer = await TfjsEdgeScorer.load({ modelDir: dir });
    const [s] = await scorer.score([attackWinwordPowershell()]);
    expect(s!.topFeatures.length).toBeGreaterThan(0);
    expect(s!.topFeatures.length).toBeLessThanOrEqual(5);
    const mags = s!.topFeatures.map((f) => Math.abs(f.contribution));
    expect([...mags].sort((a, b) => b - a)).toEqual(mags);
    expect(await scorer.score([])).toEqual([]);
  });
});

describe.runIf(existsSync(path.join(defaultModelDir, 'model.json')))(
  'committed default model',
  () => {
    it('scores encoded PowerShell from Word far above a signed service host', async () => {
      const scorer = await TfjsEdgeScorer.load({ modelDir: defaultModelDir });
      const [benign, attack] = await scorer.score([benignSvchost(), attackWinwordPowershell()]);
      expect(benign!.score).toBeLessThan(0.2);
      expect(attack!.score).toBeGreaterThan(0.8);
      expect(attack!.topFeatures.length).toBe(5);
      expect(scorer.modelName).toBe('default');
    });

    it('ships no lab user, host or domain names in its vocabulary', async () => {
      const features = JSON.parse(
        await fs.readFile(path.join(defaultModelDir, 'features.json'), 'utf8'),
      ) as { vocabulary: string[] };
      const leaks = features.vocabulary.filter((t) =>
        /wardog|pgustavo|sbeavers|theshire|mordor|workstation\d|pedro|pandalab|litware|cqf82l6/.test(
          t,
        ),
      );
      expect(leaks).toEqual([]);
    });

    it('stays small', async () => {
      const { size } = await fs.stat(path.join(defaultModelDir, 'weights.bin'));
      expect(size).toBeLessThan(400 * 1024);
    });
  },
);

if (!existsSync(path.join(defaultModelDir, 'model.json'))) {
  console.warn(
    `[scorer.test] ${defaultModelDir} has no model.json: default-model test skipped (run problemchild train)`,
  );
}
