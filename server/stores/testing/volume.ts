/**
 * Deterministic synthetic process-creation events for volume tests and benchmarks: a skewed mix
 * of routine service, shell and browser activity over many hosts, with volatile command-line
 * parts (pids, GUIDs, temp names, user folders) so templates and prevalence have work to do.
 * It is deliberately simple and self-contained, so store benchmarks do not move when the
 * realistic generator in server/lib/generator changes.
 */
import type { ProcessEvent } from '../../../common/types/process_event';

export interface VolumeOptions {
  count: number;
  hosts?: number;
  /** First event time (ms); events are spread evenly over `spanMs`. */
  startMs?: number;
  spanMs?: number;
  seed?: number;
  /** Prefix of event ids, so two volumes can be told apart. */
  idPrefix?: string;
}

const STEPS: ReadonlyArray<
  readonly [parent: string, child: string, cmd: (r: () => number) => string, weight: number]
> = [
  [
    'C:\\Windows\\System32\\services.exe',
    'C:\\Windows\\System32\\svchost.exe',
    (r) =>
      `C:\\Windows\\system32\\svchost.exe -k ${['netsvcs', 'LocalService', 'NetworkService', 'DcomLaunch'][r() % 4]} -p -s ${['Schedule', 'BITS', 'Winmgmt', 'wuauserv', 'Dnscache'][r() % 5]}`,
    30,
  ],
  [
    'C:\\Windows\\System32\\svchost.exe',
    'C:\\Windows\\System32\\taskhostw.exe',
    (r) => `taskhostw.exe {${guid(r)}}`,
    10,
  ],
  [
    'C:\\Windows\\System32\\svchost.exe',
    'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe',
    () => 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
    8,
  ],
  [
    'C:\\Windows\\explorer.exe',
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    (r) =>
      `"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --renderer-client-id=${r() % 500} --field-trial-handle=${r() % 9999},i,${r()} /prefetch:1`,
    25,
  ],
  [
    'C:\\Windows\\explorer.exe',
    'C:\\Windows\\System32\\cmd.exe',
    (r) => `"C:\\Windows\\system32\\cmd.exe" /c dir C:\\Users\\user${r() % 300}\\Documents`,
    5,
  ],
  [
    'C:\\Windows\\System32\\cmd.exe',
    'C:\\Windows\\System32\\conhost.exe',
    (r) => `\\??\\C:\\Windows\\system32\\conhost.exe 0x${(r() % 0xffff).toString(16)} -ForceV1`,
    6,
  ],
  ['C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\whoami.exe', () => 'whoami /all', 1],
  [
    'C:\\Windows\\System32\\cmd.exe',
    'C:\\Windows\\System32\\net.exe',
    (r) => `net use \\\\fs${r() % 5}\\share /persistent:no`,
    2,
  ],
  [
    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    (r) =>
      `powershell.exe -NoProfile -File C:\\Users\\user${r() % 300}\\AppData\\Local\\Temp\\tmp${r() % 99999}.ps1`,
    3,
  ],
  [
    'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    () =>
      'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
    1,
  ],
  [
    'C:\\Windows\\System32\\svchost.exe',
    'C:\\Windows\\System32\\rundll32.exe',
    (r) => `rundll32.exe C:\\Windows\\system32\\shell32.dll,Control_RunDLL ${r() % 3}`,
    4,
  ],
  [
    'C:\\Windows\\System32\\wininit.exe',
    'C:\\Windows\\System32\\lsass.exe',
    () => 'C:\\Windows\\system32\\lsass.exe',
    1,
  ],
  [
    'C:\\Program Files\\App\\updater.exe',
    'C:\\Program Files\\App\\worker.exe',
    (r) =>
      `"C:\\Program Files\\App\\worker.exe" --job ${r() % 100000} --pipe \\\\.\\pipe\\app-${r() % 10000}`,
    4,
  ],
];
const TOTAL_WEIGHT = STEPS.reduce((s, x) => s + x[3], 0);

function guid(r: () => number): string {
  const h = (n: number, w: number): string => (n >>> 0).toString(16).padStart(w, '0').slice(-w);
  return `${h(r(), 8)}-${h(r(), 4)}-${h(r(), 4)}-${h(r(), 4)}-${h(r(), 8)}${h(r(), 4)}`;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('\\') + 1);
}

/** Events in timestamp order. */
export function* volumeEvents(opts: VolumeOptions): Generator<ProcessEvent> {
  const hosts = opts.hosts ?? 200;
  const start = opts.startMs ?? Date.parse('2024-03-01T00:00:00.000Z');
  const span = opts.spanMs ?? 86_400_000;
  const prefix = opts.idPrefix ?? 'vol';
  let seed = (opts.seed ?? 1) >>> 0 || 1;
  const r = (): number => {
    // xorshift32: fast, deterministic, good enough for test data.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const step = span / Math.max(1, opts.count);
  for (let i = 0; i < opts.count; i++) {
    let w = r() % TOTAL_WEIGHT;
    let s = STEPS[0] as (typeof STEPS)[number];
    for (const x of STEPS) {
      if (w < x[3]) {
        s = x;
        break;
      }
      w -= x[3];
    }
    // Skewed host spread: a few busy servers, a long tail of workstations.
    const hi = r() % 4 === 0 ? r() % Math.min(8, hosts) : r() % hosts;
    const host =
      hi < 8
        ? `SRV${String(hi).padStart(2, '0')}.corp.example.com`
        : `wks${String(hi).padStart(4, '0')}.corp.example.com`;
    const ts = new Date(Math.floor(start + i * step)).toISOString();
    const pid = (r() % 16000) * 4;
    yield {
      '@timestamp': ts,
      host: { name: host },
      event: {
        category: ['process'],
        type: ['start'],
        action: 'start',
        id: `${prefix}-${i}`,
        code: '1',
      },
      process: {
        entity_id: `{${guid(r)}}`,
        pid,
        name: basename(s[1]),
        executable: s[1],
        command_line: s[2](r),
        start: ts,
        parent: {
          entity_id: `{${guid(r)}}`,
          pid: (r() % 16000) * 4,
          name: basename(s[0]),
          executable: s[0],
        },
      },
      user: { name: r() % 3 === 0 ? 'SYSTEM' : `user${r() % 300}`, domain: 'CORP' },
      problemchild: { sources: [{ kind: 'file', file: 'volume', line: i + 1, format: 'ecs' }] },
    };
  }
}

/** The same events as ECS NDJSON lines (what an export from Elastic Defend looks like). */
export function* volumeLines(opts: VolumeOptions): Generator<string> {
  for (const e of volumeEvents(opts)) {
    const { problemchild: _pc, ...doc } = e;
    yield JSON.stringify(doc);
  }
}
