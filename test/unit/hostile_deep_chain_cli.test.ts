/**
 * `problemchild detect` (the real command, its own process, the shipped model) on a fleet with
 * attacks beside hostile hosts: a 100,000-deep process chain, a 6 MB command line, and names
 * carrying right-to-left overrides and terminal escape sequences. Each of these failed the
 * whole run before (stack overflow in the chain rendering, regex stack overflow on the long
 * line); now the run completes, every fleet host with an attack has it flagged, every hostile
 * event is analysed, and the table printed for a terminal carries no control or bidi character.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasHiddenText } from '../../common/display_text';
import type { DetectReport } from '../../server/lib/detection/detect_cli';
import {
  DEEP_HOST,
  deepChain,
  fleet,
  type Fleet,
  LONG_HOST,
  longCommandLine,
  SPOOF_HOST,
  spoofedChain,
  writeNdjson,
} from '../hostile/deep_chain';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPTH = 100_000;
const TIME_LIMIT_MS = 240_000;

let tmp: string;
let f: Fleet;
let fleetFile: string;
let hostileFile: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-hostile-deep-'));
  f = fleet();
  fleetFile = path.join(tmp, 'fleet.ndjson');
  hostileFile = path.join(tmp, 'hostile.ndjson');
  writeNdjson(fleetFile, f.records);
  writeNdjson(hostileFile, deepChain(DEPTH), [longCommandLine(6)], spoofedChain());
}, 60_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/problemchild.mjs'), ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fleet hosts with a flagged community holding one of their malicious events (by source line). */
function hostsWithAttackFlagged(report: DetectReport): Set<string> {
  const out = new Set<string>();
  for (const c of report.communities) {
    if (!c.flagged) continue;
    for (const e of c.events)
      for (const s of e.sources)
        if (s.file === fleetFile && f.labels[s.line - 1]?.malicious) out.add(c.host.toLowerCase());
  }
  return out;
}

describe('detect with hostile hosts beside a fleet', () => {
  it(
    `with --all: completes, flags the fleet's attacks and analyses every hostile event`,
    async () => {
      const out = path.join(tmp, 'all.json');
      const run = await runCli([
        'detect',
        fleetFile,
        hostileFile,
        '--all',
        '--format',
        'json',
        '--out',
        out,
      ]);
      expect(run.code, run.stderr.slice(-2_000)).toBe(0);
      const report = JSON.parse(fs.readFileSync(out, 'utf8')) as DetectReport;
      expect(hostsWithAttackFlagged(report)).toEqual(f.attackedHosts);
      const byHost = new Map<string, number>();
      for (const c of report.communities)
        byHost.set(c.host, (byHost.get(c.host) ?? 0) + c.events.length);
      expect(byHost.get(DEEP_HOST)).toBe(DEPTH);
      expect(byHost.get(LONG_HOST)).toBe(1);
      expect(byHost.get(SPOOF_HOST.toLowerCase()) ?? byHost.get(SPOOF_HOST)).toBe(2);
      // JSON stays exact: the 6 MB command line and the escape sequences are all there.
      const long = report.communities.find((c) => c.host === LONG_HOST);
      expect(JSON.stringify(long).length).toBeGreaterThan(6 * 1024 * 1024);
      expect(JSON.stringify(report)).toContain('\\u001b]0;owned');
      // The deep chain's text is cut with a marker, not rendered 100,000 steps long.
      const deep = report.communities.find((c) => c.host === DEEP_HOST && c.events.length > 1000);
      expect(deep?.chain.endsWith('…')).toBe(true);
    },
    TIME_LIMIT_MS + 10_000,
  );

  it(
    'prints a table with no control or bidi character, the hostile names escaped',
    async () => {
      const run = await runCli([
        'detect',
        fleetFile,
        hostileFile,
        '--out',
        path.join(tmp, 'table'),
      ]);
      expect(run.code, run.stderr.slice(-2_000)).toBe(0);
      // Nothing a terminal would act on or reorder: C0 but LF, DEL, C1, bidi, zero-width, BOM.
      const bad = [...run.stdout].filter((ch) => ch !== '\n' && hasHiddenText(ch));
      expect(bad.map((ch) => ch.charCodeAt(0).toString(16))).toEqual([]);
      expect(run.stdout).toContain('spoof-\\u{202E}exe.lld\\u{202C}');
      expect(run.stdout).toContain('\\u{202E}exe.lld');
      for (const h of f.attackedHosts) expect(run.stdout).toContain(h);
    },
    TIME_LIMIT_MS + 10_000,
  );
});
