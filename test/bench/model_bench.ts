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
  // CPU figure is what one core gives when other work shares the machine). Every pass gets fresh
  // event objects (fresh strings: no hash or cache left from an earlier pass) and empty text and
  // row caches. One unmeasured pass first, so the figures are the steady state of a long-running
  // process rather than the JIT's first minutes; then the median of five passes.
  const space: FeatureSpace = scorer2.featureSpace;
  const PASSES = 5;
  const measure = async (
    label: string,
    prepare: () => Promise<{ n: number; run: () => unknown }>,
  ): Promise<void> => {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let pass = 0; pass <= PASSES; pass++) {
      clearFeatureCaches();
      space.clearCache();
      const { n, run } = await prepare();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (pass === 0) continue;
      walls.push(n / wall);
      cpus.push(n / ((cpu.user + cpu.system) / 1e6));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
    results.push({ name: `${label}, wall`, value: median(walls), unit: 'events/s' });
    results.push({ name: `${label}, CPU time`, value: median(cpus), unit: 'events/s' });
  };
  const N = 100_000;

  await measure('hard mix: feature extraction', async () => {
    const events = sampleEvents(N);
    return {
      n: N,
      run: () => {
        for (const e of events) space.extractSparse(e);
      },
    };
  });

  const plain = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR, topK: 0 });
  for (const [label, s] of [
    ['hard mix: features + score + top-5 explanations', scorer2],
    ['hard mix: features + score', plain],
  ] as const) {
    await measure(label, async () => {
      const events = sampleEvents(N);
      return {
        n: N,
        run: async () => {
          const scored = (await s.score(events)).length;
          if (scored !== N) throw new Error(`scored ${scored} of ${N} events`);
        },
      };
    });
  }

  // Generator hosts: the repetition of real process activity (services, updaters, user apps).
  // Steady state of the detection job: the caches have seen the fleet's previous day.
  const synth = await loadSynthetic({ hosts: 20, days: 2, attacks: 10, seed: 3 });
  const all = synth.datasets.flatMap((d) => d.events.map((e) => e.event));
  const firstDay = (all[0]?.['@timestamp'] ?? '').slice(0, 10);
  const dayOne = all.filter((e) => e['@timestamp'].startsWith(firstDay));
  const dayTwo = all.filter((e) => !e['@timestamp'].startsWith(firstDay));
  for (const [label, s] of [
    ['features + score + top-5 explanations', scorer2],
    ['features + score', plain],
  ] as const) {
    await measure(
      `generator, 20 hosts, day 2 after day 1 (${dayTwo.length} events): ${label}`,
      async () => {
        await s.score(structuredClone(dayOne));
        const events = structuredClone(dayTwo);
        return {
          n: events.length,
          run: async () => {
            if ((await s.score(events)).length !== events.length)
              throw new Error('generator events were not all scored');
          },
        };
      },
    );
  }

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
