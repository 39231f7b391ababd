import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliUsageError, parseGenerateArgs, runGenerateCli } from './cli';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capture(): {
  io: { stdout: (t: string) => void; stderr: (t: string) => void };
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, out, err };
}

function flagOf(argv: string[]): string {
  try {
    parseGenerateArgs(argv);
  } catch (e) {
    if (e instanceof CliUsageError) return e.flag;
    throw e;
  }
  return '';
}

describe('parseGenerateArgs', () => {
  it('parses every option, in both --flag value and --flag=value forms', () => {
    const p = parseGenerateArgs([
      '--hosts',
      '7',
      '--days=2',
      '--attacks',
      '3',
      '--seed',
      'abc',
      '--out',
      '/tmp/x',
      '--format',
      'sysmon',
      '--gzip',
      '--events-per-host-day',
      '50',
      '--start',
      '2026-02-02',
      '--max-events=10',
    ]);
    expect(p.help).toBe(false);
    expect(p.options).toEqual({
      hosts: 7,
      days: 2,
      attacks: 3,
      seed: 'abc',
      out: '/tmp/x',
      format: 'sysmon',
      gzip: true,
      eventsPerHostDay: 50,
      start: '2026-02-02',
      maxEvents: 10,
    });
  });

  it('names the offending flag in errors', () => {
    expect(flagOf(['--hosts', 'ten', '--out', 'd'])).toBe('--hosts');
    expect(flagOf(['--hosts', '0', '--out', 'd'])).toBe('--hosts');
    expect(flagOf(['--days', '-1', '--out', 'd'])).toBe('--days');
    expect(flagOf(['--format', 'csv', '--out', 'd'])).toBe('--format');
    expect(flagOf(['--start', 'someday', '--out', 'd'])).toBe('--start');
    expect(flagOf(['--bogus', '1', '--out', 'd'])).toBe('--bogus');
    expect(flagOf(['--hosts', '3'])).toBe('--out');
    expect(flagOf(['--out'])).toBe('--out');
    expect(flagOf(['--seed', '--out', 'd'])).toBe('--seed');
    expect(flagOf(['--out', 'a', '--out', 'b'])).toBe('--out');
    expect(flagOf(['--gzip=yes', '--out', 'a'])).toBe('--gzip');
    expect(flagOf(['stray', '--out', 'a'])).toBe('stray');
  });
});

describe('runGenerateCli', () => {
  it('prints help and exits 0', async () => {
    const c = capture();
    expect(await runGenerateCli(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toContain('--events-per-host-day');
  });

  it('exits 2 with a message naming the flag on bad input', async () => {
    const c = capture();
    expect(await runGenerateCli(['--hosts', 'x', '--out', 'd'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/--hosts/);
  });

  it('writes the dataset files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-cli-'));
    dirs.push(dir);
    const c = capture();
    const code = await runGenerateCli(
      [
        '--hosts',
        '3',
        '--days',
        '1',
        '--attacks',
        '2',
        '--seed',
        '9',
        '--events-per-host-day',
        '60',
        '--out',
        dir,
      ],
      c.io,
    );
    expect(code).toBe(0);
    for (const f of ['synthetic.events.ndjson', 'synthetic.labels.ndjson', 'manifest.json'])
      expect(existsSync(join(dir, f))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      totals: { events: number };
    };
    expect(c.out.join('')).toContain(`wrote ${manifest.totals.events} events`);
  });
});
