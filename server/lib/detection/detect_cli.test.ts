import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalousCommunity } from '../../../common/types/community';
import { writeDataset } from '../generator/write';
import type { ProcessEvent } from '../../../common/types/process_event';
import {
  buildReport,
  type DetectDeps,
  detectEvents,
  detectFiles,
  type DetectionOptions,
  type DetectionRun,
  type DetectReport,
  expandInputs,
  type FileDetectionRun,
  normaliseAll,
  newestPlausibleTime,
  parseDetectArgs,
  runDetectCli,
} from './detect_cli';
import { HostSpill } from './host_spill';
import { processEvent } from './testing/events';
import { HeuristicTestScorer } from './testing/heuristic_scorer';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const heuristic: DetectDeps = { loadScorer: async () => new HeuristicTestScorer() };

function capture(): {
  io: { stdout: (t: string) => void; stderr: (t: string) => void };
  out: () => string;
  err: () => string;
} {
  let o = '';
  let e = '';
  return { io: { stdout: (t) => (o += t), stderr: (t) => (e += t) }, out: () => o, err: () => e };
}

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-detect-'));
  data = path.join(tmp, 'data');
  await writeDataset({ out: data, hosts: 4, days: 1, attacks: 3, seed: 9, eventsPerHostDay: 300 });
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('parseDetectArgs', () => {
  it('reads the documented flags, with several inputs after one --input', () => {
    const a = parseDetectArgs([
      'detect',
      '--input',
      'a.ndjson',
      'b',
      '--threshold',
      '0.6',
      '--window',
      '1h',
      '--seed',
      '-3',
      '--top',
      '5',
    ]);
    expect(a).toMatchObject({
      inputs: ['a.ndjson', 'b'],
      threshold: 0.6,
      window: '1h',
      seed: -3,
      top: 5,
      model: 'models/default',
    });
  });

  it.each([
    [[], /an input FILE or DIR is required/],
    [['x', '--format', 'xml'], /--format must be table or json, got "xml"/],
    [['x', '--all'], /--all needs --format json/],
    [['--input', 'x', '--threshold', '1.5'], /--threshold must be a number from 0 to 1, got "1.5"/],
    [['--input', 'x', '--seed', 'abc'], /--seed must be an integer, got "abc"/],
    [['--input', 'x', '--window', 'soon'], /--window: window "soon"/],
    [
      ['--input', 'x', '--score-mode', 'magic'],
      /--score-mode must be model, elastic or blend, got "magic"/,
    ],
    [['--input', 'x', '--frobnicate'], /unknown option "--frobnicate"/],
    [['--input', 'x', '--model'], /--model needs a value/],
  ])('%j → a usage error naming the flag', (argv, message) => {
    expect(() => parseDetectArgs(argv)).toThrow(message);
  });
});

describe('runDetectCli', () => {
  it('exits 2 with usage on bad flags, 0 with --help', async () => {
    const c = capture();
    expect(await runDetectCli(['--threshold', 'x'], c.io, heuristic)).toBe(2);
    expect(c.err()).toMatch(/--threshold/);
    expect(c.err()).toMatch(/Usage: problemchild detect/);
    const h = capture();
    expect(await runDetectCli(['--help'], h.io, heuristic)).toBe(0);
    expect(h.out()).toMatch(/FILE\|DIR\.\.\.[\s\S]*--format F[\s\S]*--all/);
  });

  it('names a missing input, an unreadable model and a bad suppression file', async () => {
    const a = capture();
    expect(await runDetectCli(['--input', path.join(tmp, 'nope.ndjson')], a.io, heuristic)).toBe(1);
    expect(a.err()).toContain(`input not found: ${path.join(tmp, 'nope.ndjson')}`);

    const b = capture();
    const failing: DetectDeps = {
      loadScorer: async () => Promise.reject(new Error('no model.json')),
    };
    expect(await runDetectCli(['--input', data, '--model', 'models/missing'], b.io, failing)).toBe(
      1,
    );
    expect(b.err()).toContain('cannot load model from models/missing: no model.json');

    const rules = path.join(tmp, 'rules.ndjson');
    fs.writeFileSync(
      rules,
      '{"id":"r1","kind":"pair","parentName":"a","childName":"b","createdBy":"x","createdAt":"t","reason":"r"}\n{"id":"r2","kind":"weird"}\n',
    );
    const c = capture();
    expect(await runDetectCli(['--input', data, '--suppressions', rules], c.io, heuristic)).toBe(1);
    expect(c.err()).toMatch(
      new RegExp(`${rules.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 2: not a suppression rule`),
    );
  });

  it('reports a file without process-creation events', async () => {
    const junk = path.join(tmp, 'junk.ndjson');
    fs.writeFileSync(junk, '{"hello":"world"}\n{"event":{"code":"3"}}\n');
    const c = capture();
    expect(
      await runDetectCli(['--input', junk, '--out', path.join(tmp, 'o-junk')], c.io, heuristic),
    ).toBe(1);
    expect(c.err()).toContain(`${junk}: none of its 2 records is a process-creation event`);
  });

  it('writes ranked communities and a summary, the same on every run', async () => {
    const out1 = path.join(tmp, 'o1');
    const out2 = path.join(tmp, 'o2');
    const c = capture();
    expect(
      await runDetectCli(
        ['--input', data, '--out', out1, '--threshold', '0.6', '--seed', '5'],
        c.io,
        heuristic,
      ),
    ).toBe(0);
    expect(
      await runDetectCli(
        ['--input', data, '--out', out2, '--threshold', '0.6', '--seed', '5'],
        capture().io,
        heuristic,
      ),
    ).toBe(0);
    const text = fs.readFileSync(path.join(out1, 'communities.ndjson'), 'utf8');
    expect(fs.readFileSync(path.join(out2, 'communities.ndjson'), 'utf8')).toBe(text);
    const communities = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AnomalousCommunity);
    expect(communities.length).toBeGreaterThan(0);
    expect(communities.map((x) => x.rank)).toEqual(communities.map((_, i) => i + 1));
    expect(c.out()).toMatch(
      /^problemchild detect: 1 file, [\d,]+ events, 4 hosts, model test-heuristic, threshold 0.6, window 1d, seed 5\n/,
    );
    expect(c.out()).toMatch(/\nrank +host +score +max +chain/);
    expect(c.out()).toContain(`   1  ${communities[0]?.host}`);
    const summary = JSON.parse(fs.readFileSync(path.join(out1, 'run_summary.json'), 'utf8'));
    expect(summary.stats.flagged).toBe(communities.length);
    // The labels file in the folder was not read as events.
    expect(summary.options.inputs.every((f: string) => !f.includes('.labels.'))).toBe(true);
  }, 120_000);

  it.skipIf(!fs.existsSync(path.join(REPO, 'models/default/model.json')))(
    'runs end to end with the trained model',
    async () => {
      const c = capture();
      const out = path.join(tmp, 'o-model');
      const code = await runDetectCli(
        ['--input', data, '--out', out, '--model', path.join(REPO, 'models/default')],
        c.io,
      );
      expect(c.err()).toBe('');
      expect(code).toBe(0);
      expect(fs.existsSync(path.join(out, 'communities.ndjson'))).toBe(true);
      expect(c.out()).toMatch(/flagged \d+ of [\d,]+ communities/);
    },
    180_000,
  );

  it('--format json: summary, sources with file and line, --all covers every event once', async () => {
    const files = fs
      .readdirSync(data)
      .filter((f) => f.endsWith('.events.ndjson') || f.endsWith('.events.ndjson.gz'));
    const eventsFile = path.join(data, files[0] as string);
    const flaggedOut = path.join(tmp, 'flagged.json');
    const allOut = path.join(tmp, 'all.json');
    const c = capture();
    // Positional inputs; a non-terminal stderr gets no progress output.
    expect(
      await runDetectCli(
        [data, '--format', 'json', '--out', flaggedOut, '--threshold', '0.6'],
        c.io,
        heuristic,
      ),
    ).toBe(0);
    expect(c.err()).not.toMatch(/\r|normalising/);
    expect(
      await runDetectCli(
        ['--format', 'json', '--out', allOut, '--all', '--threshold', '0.6', data],
        capture().io,
        heuristic,
      ),
    ).toBe(0);
    const flagged = JSON.parse(fs.readFileSync(flaggedOut, 'utf8')) as DetectReport;
    const all = JSON.parse(fs.readFileSync(allOut, 'utf8')) as DetectReport;
    const s = all.summary;
    for (const k of [
      'records',
      'normalised',
      'twinsMerged',
      'rejected',
      'hosts',
      'communities',
      'flaggedCommunities',
      'flaggedEvents',
    ])
      expect(s).toHaveProperty(k);
    expect(s.hosts).toBe(4);
    expect(flagged.communities.every((x) => x.flagged)).toBe(true);
    expect(flagged.communities.length).toBe(s.flaggedCommunities);
    // The flagged communities are the same with and without --all, and come first.
    expect(all.communities.filter((x) => x.flagged).map((x) => x.id)).toEqual(
      flagged.communities.map((x) => x.id),
    );
    expect(all.communities.map((x) => x.rank)).toEqual(all.communities.map((_, i) => i + 1));
    const events = all.communities.flatMap((x) => x.events);
    expect(events.length).toBe(s.normalised);
    expect(new Set(events.map((e) => e.id)).size).toBe(s.normalised);
    const lines = new Set<number>();
    for (const e of events) {
      expect(e.sources.length).toBeGreaterThan(0);
      expect(e.score).toBeGreaterThanOrEqual(0);
      for (const src of e.sources) {
        expect(src.file).toBe(eventsFile);
        expect(src.line).toBeGreaterThanOrEqual(1);
        lines.add(src.line);
      }
    }
    // Every source line is distinct: no record was reported twice.
    expect(lines.size).toBe(events.reduce((n, e) => n + e.sources.length, 0));
    expect(s.flaggedEvents).toBe(
      all.communities.filter((x) => x.flagged).reduce((n, x) => n + x.events.length, 0),
    );
  }, 120_000);
});

describe('newestPlausibleTime', () => {
  const at = (ts: string): number => Date.parse(ts);
  const now = Date.parse('2026-06-01T00:00:00Z');

  it('ends the lookback at the newest event that is not dated in the future', () => {
    const events = [
      at('2026-05-01T00:00:00Z'),
      at('9999-12-31T00:00:00Z'),
      at('2026-05-20T10:00:00Z'),
    ];
    expect(newestPlausibleTime(events, now)).toBe(Date.parse('2026-05-20T10:00:00Z'));
    // A day of clock skew is tolerated.
    expect(newestPlausibleTime([...events, at('2026-06-01T20:00:00Z')], now)).toBe(
      Date.parse('2026-06-01T20:00:00Z'),
    );
  });

  it('falls back to the newest event when all are in the future, and to none without times', () => {
    expect(newestPlausibleTime([at('2030-01-01T00:00:00Z'), at('2031-01-01T00:00:00Z')], now)).toBe(
      Date.parse('2031-01-01T00:00:00Z'),
    );
    expect(newestPlausibleTime([at('not a time')], now)).toBeUndefined();
  });
});

describe('detectEvents: each window is judged by the lookback ending at its end', () => {
  // Day 1: a macro chain on one workstation. Day 20: the same chain on six hosts, several times
  // each (a red-team exercise, or the attack spreading). Counted over the whole input, day 20
  // would make day 1's chain look routine; the job running on day 1 had seen nothing like it.
  const day = (d: number, ms: number): string =>
    new Date(Date.parse('2026-04-01T00:00:00Z') + d * 86_400_000 + ms).toISOString();
  let n = 0;
  const chain = (host: string, d: number, at: number): ProcessEvent[] => {
    const id = n++;
    const mk = (
      entity: string,
      parent: string,
      parentName: string,
      name: string,
      cmd: string,
      ms: number,
    ): ProcessEvent =>
      processEvent({
        host,
        entity: `${entity}-${id}`,
        parent: parent === 'explorer' ? 'explorer' : `${parent}-${id}`,
        parentName,
        name,
        cmd,
        t: day(d, at + ms),
      });
    return [
      mk('word', 'explorer', 'explorer.exe', 'winword.exe', 'winword.exe /n invoice.docm', 0),
      mk('cmd', 'word', 'winword.exe', 'cmd.exe', 'cmd.exe /c powershell -enc SQBFAFgA', 2000),
      mk('ps', 'cmd', 'cmd.exe', 'powershell.exe', 'powershell -nop -w hidden -enc SQBFAFgA', 3000),
      mk('who', 'ps', 'powershell.exe', 'whoami.exe', 'whoami /all', 5000),
    ];
  };
  const events = [
    ...chain('ws01', 1, 3_600_000),
    ...['ws02', 'ws03', 'ws04', 'ws05', 'ws06', 'ws07'].flatMap((h) =>
      [0, 1, 2].flatMap((k) => chain(h, 20, 3_600_000 * (k + 1))),
    ),
  ];
  const firstDay = (r: DetectionRun): AnomalousCommunity | undefined =>
    [...r.result.communities, ...(r.result.unflagged ?? [])].find((c) => c.host === 'ws01');
  const flagged = (r: DetectionRun, c: AnomalousCommunity | undefined): boolean =>
    c !== undefined && r.result.communities.includes(c);
  const opts: DetectionOptions = {
    threshold: 0.75,
    seed: 42,
    window: '1d',
    lookbackDays: 30,
    includeUnflagged: true,
  };

  it('flags the first sighting, which later replays do not discount', async () => {
    const run = await detectEvents(events, new HeuristicTestScorer(), opts);
    const first = firstDay(run);
    expect(flagged(run, first)).toBe(true);
    // Its step was new when it happened: seen once (itself), on one host.
    const enc = first?.edges.find((e) => e.childName === 'powershell.exe');
    expect(enc?.prevalence.pair).toMatchObject({ pairCount: 1, distinctHosts: 1 });
    // By day 20 the same step has been seen 19 times on 7 hosts.
    const later = run.result.communities
      .concat(run.result.unflagged ?? [])
      .filter((c) => c.host !== 'ws01');
    const laterPair = later.flatMap((c) => c.edges).find((e) => e.childName === 'powershell.exe')
      ?.prevalence.pair;
    expect(laterPair).toMatchObject({ pairCount: 19, distinctHosts: 7 });
  });

  it('with window "all", judges everything by one lookback ending at the newest event', async () => {
    const run = await detectEvents(events, new HeuristicTestScorer(), { ...opts, window: 'all' });
    const first = firstDay(run);
    const enc = first?.edges.find((e) => e.childName === 'powershell.exe');
    expect(enc?.prevalence.pair).toMatchObject({ pairCount: 19, distinctHosts: 7 });
    expect(flagged(run, first)).toBe(false);
  });

  it('ages out what is older than the lookback', async () => {
    const run = await detectEvents(events, new HeuristicTestScorer(), {
      ...opts,
      lookbackDays: 10,
    });
    const later = [...run.result.communities, ...(run.result.unflagged ?? [])].filter(
      (c) => c.host !== 'ws01',
    );
    const laterPair = later.flatMap((c) => c.edges).find((e) => e.childName === 'powershell.exe')
      ?.prevalence.pair;
    expect(laterPair).toMatchObject({ pairCount: 18, distinctHosts: 6 });
  });
});

describe('detectFiles', () => {
  it('gives exactly the in-memory result while its events wait on disk, then deletes them', async () => {
    // Two inputs whose hosts overlap (the same generator environment, two seeds), so a host's
    // events come from both files, and a spill budget small enough that most events go to disk.
    const second = path.join(tmp, 'second');
    await writeDataset({
      out: second,
      hosts: 3,
      days: 1,
      attacks: 2,
      seed: 10,
      eventsPerHostDay: 200,
    });
    const files = await expandInputs([data, second]);
    expect(files.length).toBe(2);
    const { TfjsEdgeScorer } = await import('../model/scorer');
    const scorer = await TfjsEdgeScorer.load({ modelDir: path.join(REPO, 'models/default') });
    const opts: DetectionOptions = {
      threshold: 0.6,
      seed: 5,
      window: '1h',
      lookbackDays: 'all',
      includeUnflagged: true,
    };
    const meta = {
      model: 'm',
      threshold: 0.6,
      window: '1h',
      seed: 5,
      lookbackDays: 'all' as const,
    };
    const quiet = capture().io;

    const input = await normaliseAll(files, quiet);
    const referenceRun = await detectEvents(input.events, scorer, opts);
    const reference = buildReport(
      { perFile: input.perFile, normalised: input.events.length },
      referenceRun,
      meta,
    );
    // Whole communities too (edges, explanations, prevalence), not just the report's fields.
    const found = (r: { result: DetectionRun['result'] }): string =>
      JSON.stringify([r.result.communities, r.result.unflagged]);

    const spillDir = fs.mkdtempSync(path.join(tmp, 'spill-'));
    const spill = new HostSpill<ProcessEvent>({ memoryChars: 20_000, tmpDir: spillDir });
    const run = await detectFiles(files, scorer, opts, quiet, undefined, spill);
    expect(run).toBeDefined();
    expect(run?.spilledBytes).toBeGreaterThan(100_000);
    expect(run?.threads).toBe(1);
    expect(fs.readdirSync(spillDir)).toEqual([]);
    const streamed = buildReport(run as FileDetectionRun, run as FileDetectionRun, meta);
    expect(streamed.summary.normalised).toBe(input.events.length);
    expect(streamed.summary.flaggedCommunities).toBeGreaterThan(0);
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(reference));
    expect(found(run as FileDetectionRun)).toBe(found(referenceRun));
    expect(run?.result.communities.some((c) => c.edges.some((e) => e.topFeatures.length > 0))).toBe(
      true,
    );

    // The same with a normaliser thread and worker threads analysing the hosts (each loads the
    // model itself).
    const parallel = await detectFiles(
      files,
      scorer,
      opts,
      quiet,
      undefined,
      new HostSpill<ProcessEvent>({ memoryChars: 20_000, tmpDir: spillDir }),
      {
        modelDir: path.join(REPO, 'models/default'),
        mode: 'model',
        threads: 3,
        minEvents: 0,
        minBytes: 0,
      },
    );
    expect(parallel?.threads).toBe(3);
    expect(fs.readdirSync(spillDir)).toEqual([]);
    const threaded = buildReport(parallel as FileDetectionRun, parallel as FileDetectionRun, meta);
    expect(JSON.stringify(threaded)).toBe(JSON.stringify(reference));
    expect(found(parallel as FileDetectionRun)).toBe(found(referenceRun));
  }, 180_000);

  it('reports an unwritable temporary folder by name', async () => {
    const spill = new HostSpill<ProcessEvent>({
      memoryChars: 1,
      tmpDir: path.join(tmp, 'no', 'such', 'folder'),
    });
    await expect(
      detectFiles(
        await expandInputs([data]),
        new HeuristicTestScorer(),
        {
          threshold: 0.6,
          seed: 1,
          window: '1d',
          lookbackDays: 'all',
        },
        capture().io,
        undefined,
        spill,
      ),
    ).rejects.toThrow(/cannot create a temporary file .*no\/such\/folder.*TMPDIR/);
  });
});
