/**
 * Every public function that runs regular expressions over attacker-controlled text (command
 * lines, paths, names, hosts, times, ids, API parameters) stays linear on input built to make a
 * backtracking engine blow up: long runs of each character class a pattern repeats, near misses
 * that fail at the very end, and a seeded mix of every special character.
 *
 * Linearity is measured here, on this machine: CPU time at 128 KiB and at 1 MiB (8×). Quadratic
 * work gives a ratio near 64. Linear work gives 8 in theory but up to ~26 here: at 1 MiB the
 * input and the strings a replacement builds no longer fit a core's cache (a lone
 * `s.replace(/\\/g, '\\\\')` measures 3.3 ms at 128 KiB and 58 ms at 1 MiB). The bound of 32
 * sits between the two. An absolute cap per 1 MiB call turns a hang into a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { communityIdParams, runDetectionBody, suppressionIdParams } from '../../common/schemas';
import { buildCommunityKql, quoteKqlValue } from '../../common/discover';
import type { ProcessEvent } from '../../common/types/process_event';
import { techniquesForEvent } from '../../server/lib/detection/attack_mapping';
import {
  commandLineTemplate,
  eventCommandLineTemplate,
} from '../../server/lib/detection/command_line_template';
import { hostKey, processName } from '../../server/lib/detection/names';
import { FeatureSpace, type FeatureSpaceJson, parseTime } from '../../server/lib/model/features';
import {
  commandLineSignals,
  normaliseCommandLine,
  normaliseName,
  normalisePath,
  pathClass,
  tokeniseCommandLine,
} from '../../server/lib/model/text_normalise';
import { parseWindowsCommandLine } from '../../server/lib/normalise/command_line';
import { decodeHtmlEntities } from '../../server/lib/normalise/html_entities';
import {
  elevationTypeName,
  integrityName,
  normaliseRecord,
} from '../../server/lib/normalise/normalise_record';
import {
  normaliseEntityId,
  normaliseHost,
  parsePid,
  parseTimeMs,
} from '../../server/lib/normalise/values';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = 128 * 1024;
const RATIO_LIMIT = 32;
/** Below this, CPU time is mostly timer noise: ratios are taken against it instead. */
const FLOOR_MS = 1;
/** CPU time allowed for one call on 1 MiB: linear work takes a few tens of ms. */
const CAP_MS = 3_000;

/** Input of about `n` characters. */
type Attack = (n: number) => string;

const rep = (unit: string, n: number): string =>
  unit.repeat(Math.max(1, Math.ceil(n / unit.length)));

function seededMix(n: number): string {
  const alphabet = 'aA0 .-/\\:=+"\'^&#;%<>{}|,@$~!?()[]*`\t\u2013xfF9sS_';
  let s = 7;
  let out = '';
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out += alphabet[s % alphabet.length];
  }
  return out;
}

/** Runs of what each pattern repeats, and near misses that fail only at the end. */
const ATTACKS: Record<string, Attack> = {
  letters: (n) => rep('a', n),
  'base64 alphabet': (n) => rep('Ab1+/', n),
  'base64 then too much padding': (n) => `${rep('A', n)}===x`,
  'padding inside runs': (n) => rep('A=', n),
  digits: (n) => `${rep('1', n)}x`,
  'digits and separators': (n) => `${rep('1.', n)}1x`,
  'mixed separators': (n) => rep('1,1:1.', n),
  'IPv4 near misses': (n) => rep('1.2.3.', n),
  'blanks then a letter': (n) => `${rep(' ', n)}x`,
  '-e then blanks': (n) => ` -e${rep(' ', n)}!`,
  '-EncodedCommand prefixes': (n) => rep(' -encodedcomman', n),
  'hidden-window near misses': (n) => ` -w${rep(' :', n)}x -windowstyle showwindow${rep(' ', n)}=1`,
  backslashes: (n) => rep('\\', n),
  'UNC starts': (n) => rep('\\\\a', n),
  'double quotes': (n) => rep('"', n),
  'unclosed double quote': (n) => `"${rep('a', n)}`,
  'unclosed single quote': (n) => `'${rep('a b', n)}`,
  'dots inside a token': (n) => `x${rep('.', n)}a`,
  '0x then no end': (n) => `0x${rep('f', n)}g`,
  'hex runs': (n) => `${rep('deadbeef', n)}g`,
  'repeated 0x': (n) => rep('0x', n),
  'SID near miss': (n) => `s-1-${rep('1-', n)}x`,
  'GUID near misses': (n) => rep('{aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa ', n),
  'URL scheme near misses': (n) => rep('aaaaaaaaa:/', n),
  'URL schemes': (n) => rep('http://', n),
  'user folders': (n) => rep('\\users\\', n),
  'system folders': (n) => rep('c:\\windows\\%systemroot%\\', n),
  'profile folders': (n) => rep('c:\\users\\<user>\\appdata\\', n),
  'temp and pipes': (n) => rep('\\temp\\%tmp%\\\\\\.\\pipe\\', n),
  'HTML entities': (n) => rep('&gt;', n),
  'entity near misses': (n) => `&#${rep('1', n)}&#x${rep('f', n)}&${rep('a', n)}`,
  carets: (n) => rep('^', n),
  dashes: (n) => rep('\u2013-', n),
  'FQDN near miss': (n) => `${rep('a.', n)}com1`,
  'zone offsets': (n) => rep('+00:00', n),
  'Sysmon times': (n) => rep('2024-01-01 0', n),
  'integrity SID': (n) => `S-1-16-${rep('1', n)}`,
  'rundll32 and IEX words': (n) => `shell32.dll,${rep(' ', n)}x ${rep('iex ', n)}`,
  placeholders: (n) => rep('<num>', n),
  'every special character': seededMix,
};

let model: FeatureSpace | undefined;
function shippedFeatures(): FeatureSpace {
  model ??= FeatureSpace.fromJSON(
    JSON.parse(
      fs.readFileSync(path.join(REPO, 'models/default/features.json'), 'utf8'),
    ) as FeatureSpaceJson,
  );
  return model;
}

function event(s: string, name = 'powershell.exe'): ProcessEvent {
  return {
    '@timestamp': '2024-05-01T00:00:00.000Z',
    host: { name: 'ws1.corp.example' },
    event: { category: ['process'], type: ['start'], action: 'start', id: 'e1' },
    process: {
      entity_id: 'p1',
      name,
      executable: `C:\\Windows\\System32\\${name}`,
      command_line: s,
      pe: { original_file_name: name },
      parent: { name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe', command_line: s },
    },
    user: { name: 'alice', domain: 'CORP' },
    problemchild: { sources: [] },
  };
}

const GATED_CHILDREN = [
  'powershell.exe',
  'regsvr32.exe',
  'ntdsutil.exe',
  'reg.exe',
  'certutil.exe',
  'bitsadmin.exe',
  'schtasks.exe',
  'sc.exe',
  'bcdedit.exe',
  'net.exe',
  'wevtutil.exe',
  'auditpol.exe',
  'netsh.exe',
  'rundll32.exe',
  'wscript.exe',
];

const ref = { kind: 'file' as const, file: 'x.ndjson', line: 1, format: 'sysmon_flat' as const };

/** The public entry points, each fed the attack string where attacker text goes. */
const TARGETS: Record<string, (s: string) => unknown> = {
  normaliseCommandLine: (s) => normaliseCommandLine(s),
  'tokeniseCommandLine (normalised)': (s) =>
    tokeniseCommandLine(normaliseCommandLine(s), {
      userName: 'alice',
      hostName: 'ws1.corp',
      domain: 'corp',
    }),
  'tokeniseCommandLine (raw)': (s) => tokeniseCommandLine(s),
  commandLineSignals: (s) => commandLineSignals(s, true),
  'normalisePath, pathClass': (s) => pathClass(normalisePath(s)),
  'normaliseName, pathClass (raw)': (s) => [normaliseName(s), pathClass(s.toLowerCase())],
  commandLineTemplate: (s) => commandLineTemplate(s, { userName: 'alice' }),
  eventCommandLineTemplate: (s) => eventCommandLineTemplate(event(s)),
  'techniquesForEvent (command line)': (s) =>
    GATED_CHILDREN.map((c) => techniquesForEvent(event(s, c))),
  'techniquesForEvent (names)': (s) => techniquesForEvent(event('x', s)),
  'FeatureSpace.extract (shipped model)': (s) => {
    const e = event(s);
    e.process.executable = s;
    e.user.name = s.slice(0, 64);
    return shippedFeatures().extract(e);
  },
  'features parseTime': (s) => parseTime(s),
  decodeHtmlEntities: (s) => decodeHtmlEntities(s),
  parseWindowsCommandLine: (s) => parseWindowsCommandLine(s),
  'normaliseRecord (Sysmon fields)': (s) =>
    normaliseRecord(
      {
        EventID: 1,
        SourceName: 'Microsoft-Windows-Sysmon',
        Hostname: 'ws1',
        UtcTime: s,
        '@timestamp': '2024-05-01T00:00:00Z',
        Image: s,
        CommandLine: s,
        ProcessId: s,
        ProcessGuid: s,
        ParentImage: s,
        User: s,
        IntegrityLevel: s,
        Hashes: s,
      },
      ref,
    ),
  'normaliseRecord (EventID, 4688 fields)': (s) => [
    normaliseRecord({ EventID: s, SourceName: 'Microsoft-Windows-Sysmon', Image: 'a' }, ref),
    normaliseRecord(
      {
        EventID: 4688,
        Channel: 'Security',
        Hostname: s,
        EventTime: '2024-05-01 00:00:00',
        NewProcessName: s,
        CommandLine: s,
        NewProcessId: s,
        TokenElevationType: s,
        MandatoryLabel: s,
      },
      ref,
    ),
  ],
  'value parsers': (s) => [
    parseTimeMs(s),
    parsePid(s),
    normaliseHost(s),
    normaliseEntityId(s),
    integrityName(s),
    elevationTypeName(s),
    processName(s),
    hostKey(s),
  ],
  'API parameter schemas': (s) => [
    communityIdParams.safeParse({ id: s }).success,
    suppressionIdParams.safeParse({ id: s }).success,
    runDetectionBody.safeParse({ from: s }).success,
  ],
  'Discover KQL quoting': (s) => [
    quoteKqlValue(s),
    buildCommunityKql({ hosts: [s], entityIds: [s] }),
  ],
};

/** CPU ms of one call. */
function cpuMs(fn: (s: string) => unknown, s: string): number {
  const t = process.cpuUsage();
  fn(s);
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

let calls = 0;
/**
 * A distinct prefix per call, so no cache answers a repeat. Latin-1 letters: outside every
 * pattern's classes (which are ASCII), and the string stays one byte per character, as real
 * command lines are (a two-byte string doubles the memory traffic at 1 MiB, not the work).
 */
function fresh(attack: Attack, n: number): string {
  const k = calls++;
  const tag = String.fromCharCode(0xc0 + (k % 23), 0xd8 + ((k >> 5) % 7), 0xe0 + ((k >> 8) % 23));
  return `${tag}${attack(n)}`;
}

interface Measure {
  small: number;
  large: number;
}

/** Fastest of `runs` calls at each size: a garbage collection lands in one call, not all. */
function measure(fn: (s: string) => unknown, attack: Attack, runs: number): Measure {
  let small = Infinity;
  for (let i = 0; i < runs + 1; i++) small = Math.min(small, cpuMs(fn, fresh(attack, N)));
  // Already too slow at 128 KiB: do not wait for 1 MiB (quadratic work would take minutes).
  if (small > CAP_MS / 8) return { small, large: Infinity };
  let large = Infinity;
  for (let i = 0; i < runs; i++) large = Math.min(large, cpuMs(fn, fresh(attack, 8 * N)));
  return { small, large };
}

function linear(m: Measure): boolean {
  return m.large < CAP_MS && m.large < RATIO_LIMIT * Math.max(m.small, FLOOR_MS);
}

describe('regular expressions over attacker-controlled text', () => {
  for (const [name, fn] of Object.entries(TARGETS)) {
    it(`${name}: linear in the input on every adversarial shape`, () => {
      for (const attack of Object.values(ATTACKS)) fn(attack(256));
      for (const [shape, attack] of Object.entries(ATTACKS)) {
        let m = measure(fn, attack, 1);
        // A closer look absorbs a hiccup of a shared machine; a real blow-up fails it too.
        if (!linear(m)) m = measure(fn, attack, 3);
        expect(
          linear(m),
          `${shape}: ${m.small.toFixed(1)} ms at 128 KiB, ${m.large.toFixed(1)} ms at 1 MiB`,
        ).toBe(true);
      }
    }, 120_000);
  }
});
