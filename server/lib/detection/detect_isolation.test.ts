/**
 * Fault isolation of `detect`: a hostile host (a 50,000-deep process chain) beside a generated
 * fleet with attacks. Its analysis thread runs past a 0.5 s budget (fleet hosts: tens of ms) and is terminated, tried once
 * more in a fresh thread, then reported as a finding (score 1, stage and error in its chain) with
 * a degraded analysis; every community the fleet alone gives is still flagged and the run exits 0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../generator/write';
import { type DetectDeps, type DetectReport, runDetectCli } from './detect_cli';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const realModel: DetectDeps = {
  workers: true,
  loadScorer: async (modelDir, mode) => {
    const { TfjsEdgeScorer } = await import('../model/scorer');
    return TfjsEdgeScorer.load({ modelDir, mode });
  },
};
let tmp: string;
let fleet: string;
let hostile: string;

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-isolation-'));
  fleet = path.join(tmp, 'fleet');
  await writeDataset({ out: fleet, hosts: 4, days: 1, attacks: 3, seed: 9, eventsPerHostDay: 300 });
  const first = fs
    .readFileSync(path.join(fleet, 'synthetic.events.ndjson'), 'utf8')
    .split('\n', 1)[0]!;
  const template = JSON.parse(first) as Doc;
  const t0 = Date.parse(template['@timestamp'] as string) + 3_600_000;
  const lines: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    const d = structuredClone(template);
    d['@timestamp'] = new Date(t0 + i * 10).toISOString();
    d.host = { ...d.host, name: 'evil-host', hostname: 'evil-host' };
    d.event = { ...d.event, id: `hostile-${i}` };
    d.process = {
      ...d.process,
      entity_id: `hostile-p${i}`,
      pid: 10_000 + i,
      parent: {
        ...d.process.parent,
        entity_id: i ? `hostile-p${i - 1}` : 'hostile-root',
        pid: i ? 9_999 + i : 4,
      },
    };
    lines.push(JSON.stringify(d));
  }
  hostile = path.join(tmp, 'hostile.ndjson');
  fs.writeFileSync(hostile, lines.join('\n') + '\n');
}, 180_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function detect(inputs: string[], extra: string[]) {
  let out = '';
  let err = '';
  const code = await runDetectCli(
    [
      ...inputs,
      '--format',
      'json',
      '--model',
      path.join(REPO, 'models/default'),
      '--window',
      '4h',
      ...extra,
    ],
    { stdout: (t) => (out += t), stderr: (t) => (err += t) },
    realModel,
  );
  return { code, err, report: out ? (JSON.parse(out) as DetectReport) : undefined };
}

describe('detect with a hostile host', () => {
  it('reports the hostile host as a finding and still flags the fleet', async () => {
    const base = await detect([path.join(fleet, 'synthetic.events.ndjson')], ['--threads', '1']);
    expect(base.code, base.err).toBe(0);
    const fleetIds = base.report!.communities.map((c) => c.id);
    expect(fleetIds.length).toBeGreaterThan(0);

    const run = await detect(
      [path.join(fleet, 'synthetic.events.ndjson'), hostile],
      ['--threads', '2', '--host-timeout', '0.5'],
    );
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(
      /analysis failed on host evil-host after 2 tries \(time budget: analysis ran over the 500 ms budget\)/,
    );
    const ids = new Set(run.report!.communities.map((c) => c.id));
    for (const id of fleetIds) expect(ids.has(id), `fleet community ${id}`).toBe(true);
    const finding = run.report!.communities.find((c) => c.host === 'evil-host');
    expect(finding).toMatchObject({ rank: 1, score: 1, flagged: true });
    expect(finding!.chain).toMatch(
      /^analysis failed on this host: time budget: .*top \d+ steps of 50000 events by score: .*\[chain truncated\]$/,
    );
    expect(finding!.events.length).toBeGreaterThan(0);
    expect(finding!.events.length).toBeLessThanOrEqual(25);
  }, 300_000);

  it('stops a host over its memory budget in its thread, not the process', async () => {
    const run = await detect(
      [path.join(fleet, 'synthetic.events.ndjson'), hostile],
      ['--threads', '2', '--host-memory', '96'],
    );
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(
      /analysis failed on host evil-host after 2 tries \(memory budget: analysis ran over the 96 MB heap budget\)/,
    );
    const finding = run.report!.communities.find((c) => c.host === 'evil-host');
    expect(finding).toMatchObject({ rank: 1, score: 1 });
  }, 300_000);
});
