import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainArgs, runTrainCli } from './train_cli';

const temp: string[] = [];
afterAll(async () => {
  for (const d of temp) await fs.rm(d, { recursive: true, force: true });
});

function sysmon(
  rid: string,
  host: string,
  image: string,
  cmd: string,
  parent: string,
  i: number,
): object {
  const guid = (n: number) => `{11111111-0000-0000-0000-${String(n).padStart(12, '0')}}`;
  return {
    EventID: 1,
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: host,
    Image: image,
    CommandLine: cmd,
    ProcessGuid: guid(i * 2 + 1),
    ParentProcessGuid: guid(i * 2),
    ParentImage: parent,
    UtcTime: `2024-01-01 10:00:${String(i % 60).padStart(2, '0')}.000`,
    User: 'LAB\\bob',
    IntegrityLevel: 'Medium',
    _rid: rid,
  };
}

/** A folder in the ../shared/data layout with a few tiny labelled datasets. */
async function makeDataDir(): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-cli-'));
  temp.push(root);
  const dir = path.join(root, 'otrf');
  await fs.mkdir(dir);
  for (let d = 0; d < 4; d++) {
    const events: object[] = [];
    const labels: object[] = [];
    for (let i = 0; i < 12; i++) {
      const bad = i % 4 === 0;
      const rid = `ds${d}:${i}`;
      events.push(
        bad
          ? sysmon(
              rid,
              `h${d}`,
              'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
              'powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABp',
              'C:\\Program Files\\Microsoft Office\\WINWORD.EXE',
              i,
            )
          : sysmon(
              rid,
              `h${d}`,
              'C:\\Windows\\System32\\svchost.exe',
              'svchost.exe -k netsvcs -p',
              'C:\\Windows\\System32\\services.exe',
              i,
            ),
      );
      labels.push({ _rid: rid, malicious: bad });
    }
    await fs.writeFile(
      path.join(dir, `ds${d}.events.ndjson.gz`),
      gzipSync(events.map((e) => JSON.stringify(e)).join('\n')),
    );
    await fs.writeFile(
      path.join(dir, `ds${d}.labels.ndjson.gz`),
      gzipSync(labels.map((e) => JSON.stringify(e)).join('\n')),
    );
  }
  return root;
}

describe('parseTrainArgs', () => {
  it('parses the documented flags and defaults the name from --out', () => {
    const a = parseTrainArgs(
      [
        'train',
        '--data',
        'a',
        'b',
        '--data',
        'c',
        '--synthetic-hosts',
        '20',
        '--seed',
        '7',
        '--out',
        'models/x',
      ],
      () => new Date('2024-02-03T00:00:00Z'),
    );
    expect(a).toMatchObject({
      data: ['a', 'b', 'c'],
      syntheticHosts: 20,
      seed: 7,
      out: 'models/x',
      name: 'x',
      trainedAt: '2024-02-03T00:00:00.000Z',
      evaluate: 'compare',
    });
  });

  it.each([
    [['--data', 'a'], /--out is required/],
    [['--out', 'm'], /no training data/],
    [['--out', 'm', '--data', 'a', '--seed', 'x'], /--seed needs an integer, got "x"/],
    [['--out', 'm', '--data', 'a', '--synthetic-days', '0'], /--synthetic-days must be at least 1/],
    [['--out', 'm', '--data', 'a', '--eval', 'maybe'], /--eval must be compare, chosen or none/],
    [['--out', 'm', '--data', 'a', '--bogus'], /unknown argument "--bogus"/],
    [['--out'], /--out needs a value/],
    [
      ['--out', 'm', '--data', 'a', '--kind', 'svm', '--eval', 'none'],
      /--kind must be one of logreg, mlp, widedeep, ensemble, got "svm"/,
    ],
    [['--out', 'm', '--data', 'a', '--kind', 'mlp'], /--kind needs --eval chosen or --eval none/],
  ])('%j → clear error', (argv, msg) => {
    expect(() => parseTrainArgs(argv)).toThrow(msg);
  });
});

describe('runTrainCli', () => {
  it('trains from a data folder and writes the bundle and model card', async () => {
    const data = await makeDataDir();
    const out = path.join(data, 'models', 'unit');
    const lines: string[] = [];
    const errs: string[] = [];
    const code = await runTrainCli(
      [
        'train',
        '--data',
        data,
        '--seed',
        '5',
        '--out',
        out,
        '--eval',
        'chosen',
        '--folds',
        '2',
        '--trained-at',
        '2024-01-01T00:00:00Z',
        '--quiet',
      ],
      {
        out: (l) => lines.push(l),
        err: (l) => errs.push(l),
      },
    );
    expect(errs).toEqual([]);
    expect(code).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual([
      'MODEL_CARD.md',
      'features.json',
      'meta.json',
      'model.json',
      'weights.bin',
    ]);
    const meta = JSON.parse(await fs.readFile(path.join(out, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ name: 'unit', trainedAt: '2024-01-01T00:00:00Z', seed: 5 });
    expect(meta.data).toEqual([
      expect.objectContaining({ source: 'otrf_sysmon', events: 48, malicious: 12 }),
    ]);
    const card = await fs.readFile(path.join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('## Data used');
    expect(card).toContain('dataset_kfold');
  });

  it('returns 2 with the message for usage errors and 1 naming the bad data path', async () => {
    const errs: string[] = [];
    const io = { out: () => undefined, err: (l: string) => errs.push(l) };
    expect(await runTrainCli(['train', '--out', 'x'], io)).toBe(2);
    expect(
      await runTrainCli(
        ['train', '--data', '/nonexistent/dir', '--out', path.join(os.tmpdir(), 'pc-x')],
        io,
      ),
    ).toBe(1);
    expect(errs.join('\n')).toMatch(
      /no training data[\s\S]*data path not found: \/nonexistent\/dir/,
    );
  });
});
