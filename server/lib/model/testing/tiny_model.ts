/** Trains a tiny model on hand-made events, for tests that need a bundle on disk. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabelledDataset } from '../dataset';
import { saveModelBundle } from '../model_files';
import type { NetworkKind } from '../network';
import { defaultTrainConfig, fitServingModel, type FittedModel } from '../training';
import { attackWinwordPowershell, benignSvchost, makeEvent } from './fixtures';

export function tinyDatasets(): LabelledDataset[] {
  const sets: LabelledDataset[] = [];
  for (let h = 0; h < 3; h++) {
    const host = `ws${h}`;
    const benign = [
      benignSvchost(),
      makeEvent({
        name: 'cmd.exe',
        cmd: 'cmd.exe /c dir',
        parentName: 'explorer.exe',
        host,
        user: 'u',
        signed: true,
      }),
      makeEvent({
        name: 'notepad.exe',
        cmd: 'notepad.exe c:\\x.txt',
        parentName: 'explorer.exe',
        host,
        user: 'u',
        signed: true,
      }),
      makeEvent({
        name: 'conhost.exe',
        cmd: 'conhost.exe 0xffffffff -ForceV1',
        parentName: 'cmd.exe',
        host,
        user: 'u',
        signed: true,
      }),
    ];
    const attacks = [
      attackWinwordPowershell(),
      makeEvent({
        name: 'whoami.exe',
        cmd: 'whoami /all',
        parentName: 'powershell.exe',
        host,
        user: 'u',
        signed: true,
      }),
      makeEvent({
        name: 'rundll32.exe',
        cmd: 'rundll32.exe C:\\Users\\u\\AppData\\Local\\Temp\\x.dll,Start',
        parentName: 'winword.exe',
        host,
        signed: true,
      }),
    ];
    sets.push({
      name: `tiny/${host}`,
      family: 'synthetic',
      environment: 'synthetic',
      labelled: true,
      events: [
        ...benign
          .flatMap((e) => [e, e, e])
          .map((event) => ({ event, malicious: false, source: 'synthetic' })),
        ...attacks.map((event) => ({ event, malicious: true, source: 'synthetic' })),
      ],
    });
  }
  return sets;
}

/** Fits a small MLP on tinyDatasets() and saves it into a fresh temp directory. */
export async function trainTinyModel(
  kind: NetworkKind = 'mlp',
): Promise<{ dir: string; fitted: FittedModel }> {
  const cfg = defaultTrainConfig(3, { features: { minDf: 1, minGroups: 1, maxVocab: 200 } });
  cfg.network = { ...cfg.network, kind, hidden: 8, epochs: 40, batchSize: 8, learningRate: 0.02 };
  const fitted = await fitServingModel(tinyDatasets(), cfg);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-model-'));
  await saveModelBundle(dir, {
    model: fitted.model,
    space: fitted.space,
    meta: {
      name: 'tiny',
      trainedAt: '2024-01-01T00:00:00Z',
      seed: 3,
      network: cfg.network,
      featureDimension: fitted.space.dimension,
      data: [],
    },
  });
  return { dir, fitted };
}
