import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSharedData, loadSharedFile } from './shared_data';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sharedData = path.resolve(repoRoot, '../shared/data');
const present = existsSync(path.join(sharedData, 'otrf'));
if (!present)
  console.warn(
    `[shared_data.test] ${sharedData} not found: tests on the public datasets are skipped`,
  );

const temp: string[] = [];
afterAll(async () => {
  for (const d of temp) await fs.rm(d, { recursive: true, force: true });
});

describe.runIf(present)('shared data loading (../shared/data)', () => {
  it('reproduces the README counts per source with twins kept apart', async () => {
    const { datasets } = await loadSharedData([path.join(sharedData, 'otrf')], {
      mergeTwins: false,
    });
    expect(datasets).toHaveLength(102);
    const count = (src: string, mal?: boolean) =>
      datasets
        .flatMap((d) => d.events)
        .filter((e) => e.source === src && (mal === undefined || e.malicious === mal)).length;
    expect(count('otrf_sysmon')).toBe(1028);
    expect(count('otrf_sysmon', true)).toBe(298);
    expect(count('otrf_4688')).toBe(1334);
    expect(count('otrf_4688', true)).toBe(297);
  });

  it('marks every sigma_regression event positive and evtx as unlabelled', async () => {
    const { datasets } = await loadSharedData([sharedData], {
      mergeTwins: false,
      includeUnlabelled: true,
    });
    const sigma = datasets.find((d) => d.family === 'sigma_regression');
    expect(sigma?.events.length).toBe(151);
    expect(sigma?.events.every((e) => e.malicious)).toBe(true);
    expect(datasets.find((d) => d.family === 'evtx_attack_samples')?.labelled).toBe(false);
  });

  it('labels a merged Sysmon/4688 twin malicious if either record is', async () => {
    const src = path.join(sharedData, 'otrf', 'cmd_sam_copy_esentutl');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-twin-'));
    temp.push(dir);
    await fs.mkdir(path.join(dir, 'otrf'));
    await fs.copyFile(`${src}.events.ndjson.gz`, path.join(dir, 'otrf', 'twin.events.ndjson.gz'));
    // Flip the labels: only the 4688 record (which is not the merged event's id) stays malicious.
    const labels = gunzipSync(await fs.readFile(`${src}.labels.ndjson.gz`))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { _rid: string; kind: string; malicious: boolean })
      .map((l) => ({ ...l, malicious: l.kind === 'sec4688' }));
    await fs.writeFile(
      path.join(dir, 'otrf', 'twin.labels.ndjson.gz'),
      gzipSync(labels.map((l) => JSON.stringify(l)).join('\n')),
    );
    const { dataset } = await loadSharedFile(path.join(dir, 'otrf', 'twin.events.ndjson.gz'), {
      mergeTwins: true,
    });
    expect(dataset.events).toHaveLength(1);
    expect(dataset.events[0]).toMatchObject({ malicious: true, source: 'otrf_merged' });
    const apart = await loadSharedFile(path.join(dir, 'otrf', 'twin.events.ndjson.gz'), {
      mergeTwins: false,
    });
    expect(apart.dataset.events.map((e) => [e.source, e.malicious]).sort()).toEqual([
      ['otrf_4688', true],
      ['otrf_sysmon', false],
    ]);
  });
});

describe('data path errors', () => {
  it('names the missing path or the wrong file', async () => {
    await expect(loadSharedData(['/nonexistent/pc-data'])).rejects.toThrow(
      'data path not found: /nonexistent/pc-data',
    );
    const f = path.join(os.tmpdir(), 'pc-not-events.txt');
    await fs.writeFile(f, 'x');
    await expect(loadSharedData([f])).rejects.toThrow(/not a \*\.events\.ndjson/);
    await fs.rm(f);
  });
});
