/**
 * Edge-model benchmark: feature extraction and batch scoring throughput, model load time, and
 * the linear-time guard for hostile 1 MB command lines (a time budget lives here, not in tests,
 * so slow CI machines cannot make unit tests flaky).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessEvent } from '../../common/types/process_event';
import { FeatureSpace, clearFeatureCaches } from '../../server/lib/model/features';
import { loadSynthetic } from '../../server/lib/model/synthetic_data';
import { mulberry32 } from '../../server/lib/prng';
import { TfjsEdgeScorer, clearModelCache } from '../../server/lib/model/scorer';
import {
  attackWinwordPowershell,
  benignSvchost,
  makeEvent,
} from '../../server/lib/model/testing/fixtures';
import { normaliseCommandLine, tokeniseCommandLine } from '../../server/lib/model/text_normalise';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL_DIR = path.join(repoRoot, 'models/default');

const CHILDREN = [
  'cmd.exe',
  'powershell.exe',
  'svchost.exe',
  'conhost.exe',
  'rundll32.exe',
  'reg.exe',
  'net.exe',
  'schtasks.exe',
];
const PARENTS = [
  'explorer.exe',
  'services.exe',
  'cmd.exe',
  'winword.exe',
  'svchost.exe',
  'wmiprvse.exe',
];

/** A varied, reproducible event mix (no external data needed). */
export function sampleEvents(n: number, seed = 11): ProcessEvent[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const out: ProcessEvent[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.3) out.push(benignSvchost());
    else if (r < 0.35) out.push(attackWinwordPowershell());
    else {
      const name = pick(CHILDREN);
      out.push(
        makeEvent({
          name,
          exe: `C:\\Windows\\System32\\${name}`,
          cmd: `${name} /c echo ${Math.floor(rand() * 1e6)} C:\\Users\\user${i % 50}\\AppData\\Local\\Temp\\f${i}.tmp {0a1b2c3d-0000-1111-2222-333344445555}`,
          parentName: pick(PARENTS),
          user: `user${i % 50}`,
          host: `ws${i % 20}`,
          signed: rand() < 0.8,
          integrity: pick(['Medium', 'High', 'System']),
          original: name,
        }),
      );
    }
  }
  return out;
}

export async function benchModel(): Promise<{ name: string; value: number; unit: string }[]> {
  const results: { name: string; value: number; unit: string }[] = [];

  clearModelCache();
  let t = performance.now();
  const scorer = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
  results.push({
    name: 'model load (cold, incl. backend init)',
    value: performance.now() - t,
    unit: 'ms',
  });
  clearModelCache();
  t = performance.now();
  const scorer2 = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
  results.push({ name: 'model load (backend ready)', value: performance.now() - t, unit: 'ms' });
  void scorer;

  // Throughput on one core: events per second of wall time and of this process's CPU time (the
  // CPU figure is what one core gives when other work shares the machine). Fresh event objects
  // and fresh text caches per measurement, so no run is served from the previous one's work.
  const space: FeatureSpace = scorer2.featureSpace;
  const rate = async (n: number, run: () => unknown): Promise<{ wall: number; cpu: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { wall: n / wall, cpu: n / ((cpu.user + cpu.system) / 1e6) };
  };
  const push = (name: string, r: { wall: number; cpu: number }): void => {
    results.push({ name: `${name}, wall`, value: r.wall, unit: 'events/s' });
    results.push({ name: `${name}, CPU time`, value: r.cpu, unit: 'events/s' });
  };
  const N = 100_000;

  clearFeatureCaches();
  space.clearCache();
  const forExtraction = sampleEvents(N);
  push(
    'hard mix: feature extraction',
    await rate(N, () => {
      for (const e of forExtraction) space.extractSparse(e);
    }),
  );

  await scorer2.score(sampleEvents(1000, 5)); // warm-up
  for (const [label, s] of [
    ['hard mix: features + score + top-5 explanations', scorer2],
    ['hard mix: features + score', await TfjsEdgeScorer.load({ modelDir: MODEL_DIR, topK: 0 })],
  ] as const) {
    clearFeatureCaches();
    space.clearCache();
    const events = sampleEvents(N);
    let scored = 0;
    push(label, await rate(N, async () => (scored = (await s.score(events)).length)));
    if (scored !== N) throw new Error(`scored ${scored} of ${N} events`);
  }

  // Generator hosts: the repetition of real process activity (services, updaters, user apps).
  // Steady state of the detection job: the caches have seen the fleet's previous day.
  const synth = await loadSynthetic({ hosts: 20, days: 2, attacks: 10, seed: 3 });
  const all = synth.datasets.flatMap((d) => d.events.map((e) => e.event));
  const firstDay = (all[0]?.['@timestamp'] ?? '').slice(0, 10);
  const dayOne = all.filter((e) => e['@timestamp'].startsWith(firstDay));
  const dayTwo = all.filter((e) => !e['@timestamp'].startsWith(firstDay));
  clearFeatureCaches();
  space.clearCache();
  await scorer2.score(dayOne);
  let dayTwoScored = 0;
  push(
    `generator, 20 hosts, day 2 after day 1 (${dayTwo.length} events): features + score + top-5 explanations`,
    await rate(dayTwo.length, async () => (dayTwoScored = (await scorer2.score(dayTwo)).length)),
  );
  if (dayTwoScored !== dayTwo.length) throw new Error('generator events were not all scored');
  // The same without explanations: file runs explain only the events they may report.
  const plain = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR, topK: 0 });
  clearFeatureCaches();
  space.clearCache();
  await plain.score(dayOne);
  push(
    `generator, 20 hosts, day 2 after day 1 (${dayTwo.length} events): features + score`,
    await rate(dayTwo.length, async () => (dayTwoScored = (await plain.score(dayTwo)).length)),
  );

  // Hostile inputs: every pattern family on 1 MB; the budget is generous (linear code takes ~0.1 s).
  const MB = 1 << 20;
  const hostile = [
    'a'.repeat(MB),
    'f'.repeat(MB),
    '1'.repeat(MB),
    'Ab1+'.repeat(MB / 4),
    '1.'.repeat(MB / 2),
    ` -w${' '.repeat(MB)}x`,
    '\\users\\'.repeat(MB / 7),
  ];
  let worst = 0;
  for (const s of hostile) {
    t = performance.now();
    tokeniseCommandLine(normaliseCommandLine(s));
    space.extractSparse(makeEvent({ name: 'powershell.exe', cmd: s }));
    worst = Math.max(worst, performance.now() - t);
  }
  results.push({
    name: 'worst hostile 1 MB command line (normalise + tokenise + features)',
    value: worst,
    unit: 'ms',
  });
  if (worst > 2000)
    throw new Error(
      `hostile 1 MB command line took ${worst.toFixed(0)} ms (budget 2000 ms): a regex is not linear`,
    );
  return results;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  benchModel().then((r) => console.table(r));
}
