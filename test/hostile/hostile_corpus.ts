/**
 * A hostile input corpus, generated at test time (never committed): every supported record
 * shape broken in every way an attacker, a crashed collector or a bad export can break it.
 * Each line carries what the normaliser must make of it, written down here from the record
 * layout rather than computed by the code under test, so a test can check the accounting
 * line by line: records = normalised + merged twins + skipped + rejected, by reason.
 *
 * Hosts are chosen so that no two records twin by accident: Sysmon and ECS records use the
 * `ws-*` hosts, Security 4688 records the `sec-*` hosts, and the one intended twin pair has a
 * host of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RejectReason } from '../../server/lib/normalise/normalise_record';
import {
  defendStart,
  evtxSysmon,
  nxlog4688,
  nxlogSysmon,
  wlb64688,
  wlb6Sysmon,
  wlb7Sysmon,
} from '../../server/lib/normalise/test_fixtures';

export type Expect =
  | { kind: 'event' }
  /** The Security half of a twin pair: folded into its Sysmon twin (counted as merged). */
  | { kind: 'merged' }
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: RejectReason }
  /** Not a record at all (blank line). */
  | { kind: 'blank' };

/**
 * The layout a record was made from. Elasticsearch maps fields from the first document that
 * has them, so a store keeps each family in its own index, as agents do.
 */
export type Family = 'ecs' | 'winlogbeat6' | 'flat' | 'none';

export interface HostileRecord {
  /** What is hostile about it, for failure messages. */
  label: string;
  /** The line's bytes, without the newline. */
  bytes: Buffer;
  expect: Expect;
  family: Family;
}

function familyOf(bytes: Buffer): Family {
  const s = bytes.toString('latin1');
  if (s.includes('"event_data":')) return 'winlogbeat6';
  if (s.includes('"process":') || s.includes('"event":') || s.includes('"winlog":')) return 'ecs';
  if (s.includes('"EventID":') || s.includes('"Hostname":') || s.includes('"Computer":'))
    return 'flat';
  return 'none';
}

export interface CorpusOptions {
  /** Children of the one fan-out parent (default 2,000). */
  children?: number;
  /** Records with a 1 MiB field (default all 16 kinds; fewer keeps a run short). */
  megabyteRecords?: number;
  /** Nesting depth of the deeply nested records (default 10,000). */
  depth?: number;
}

const EVENT: Expect = { kind: 'event' };
const SKIPPED: Expect = { kind: 'skipped' };
const rejected = (reason: RejectReason): Expect => ({ kind: 'rejected', reason });

/** All corpus times fall inside this UTC day, so one daily graph window holds them. */
export const CORPUS_DAY = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' };
const T0 = Date.parse('2024-05-01T08:00:00.000Z');
const MIB = 1 << 20;

/** `YYYY-MM-DD HH:MM:SS.fff`, Sysmon's UtcTime layout. */
function sysmonTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function guid(n: number, tag = 0): string {
  const hex = n.toString(16).padStart(12, '0');
  return `{${tag.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}}`;
}

/**
 * Builds records with unique ids, pids and times; `ws`/`sec` hosts rotate over a small set so
 * the graphs are not all singletons.
 */
class Builder {
  private n = 0;
  readonly out: HostileRecord[] = [];

  next(): number {
    return ++this.n;
  }

  time(i: number): number {
    return T0 + i * 100;
  }

  wsHost(i: number): string {
    return `ws-${i % 23}.hostile.example`;
  }

  secHost(i: number): string {
    return `sec-${i % 11}.hostile.example`;
  }

  line(label: string, text: Buffer | string, expect: Expect): void {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    this.out.push({ label, bytes, expect, family: familyOf(bytes) });
  }

  json(label: string, value: unknown, expect: Expect): void {
    this.line(label, JSON.stringify(value), expect);
  }

  // Valid records of every shape, each unique, before any hostile edit.

  flatSysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const t = this.time(i);
    return nxlogSysmon({
      Hostname: this.wsHost(i),
      UtcTime: sysmonTime(t),
      EventTime: sysmonTime(t),
      '@timestamp': new Date(t + 500).toISOString(),
      ProcessGuid: guid(i, 1),
      ProcessId: String(10_000 + i),
      ParentProcessGuid: guid(i % 23, 2),
      ParentProcessId: String(500 + (i % 23)),
      ...over,
    });
  }

  flat4688(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    return nxlog4688({
      Hostname: this.secHost(i),
      EventTime: sysmonTime(this.time(i)).slice(0, 19),
      NewProcessId: `0x${(10_000 + i).toString(16)}`,
      ProcessId: `0x${(500 + (i % 11)).toString(16)}`,
      ...over,
    });
  }

  wlb6Sysmon(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const t = this.time(i);
    const base = wlb6Sysmon();
    return {
      ...base,
      '@timestamp': new Date(t + 50).toISOString(),
      computer_name: this.wsHost(i),
      event_data: {
        ...(base.event_data as Record<string, unknown>),
        UtcTime: sysmonTime(t),
        ProcessGuid: guid(i, 3),
        ProcessId: String(10_000 + i),
      },
      ...over,
    };
  }

  wlb64688(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const base = wlb64688();
    return {
      ...base,
      '@timestamp': new Date(this.time(i)).toISOString(),
      computer_name: this.secHost(i),
      event_data: {
        ...(base.event_data as Record<string, unknown>),
        NewProcessId: `0x${(10_000 + i).toString(16)}`,
      },
      ...over,
    };
  }

  evtx(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const t = this.time(i);
    return evtxSysmon({
      Computer: this.wsHost(i),
      EventRecordID: String(i),
      TimeCreated: sysmonTime(t) + '123',
      UtcTime: sysmonTime(t),
      ProcessGuid: guid(i, 4),
      ProcessId: String(10_000 + i),
      ...over,
    });
  }

  defend(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const base = defendStart();
    return {
      ...base,
      '@timestamp': new Date(this.time(i)).toISOString(),
      event: { ...(base.event as Record<string, unknown>), id: `defend-${i}` },
      host: { name: this.wsHost(i), hostname: this.wsHost(i).split('.')[0] },
      process: {
        ...(base.process as Record<string, unknown>),
        entity_id: `defend-entity-${i}`,
        pid: 10_000 + i,
      },
      ...over,
    };
  }

  wlb7(over: Record<string, unknown> = {}): Record<string, unknown> {
    const i = this.next();
    const base = wlb7Sysmon();
    const winlog = base.winlog as Record<string, unknown>;
    return {
      ...base,
      '@timestamp': new Date(this.time(i)).toISOString(),
      winlog: { ...winlog, computer_name: this.wsHost(i) },
      process: {
        ...(base.process as Record<string, unknown>),
        entity_id: guid(i, 5),
        pid: 10_000 + i,
      },
      ...over,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Wrong types for every field the normaliser reads

/** Values of the wrong type; `float` stands for a number where a string is expected. */
const BAD_VALUES = {
  null: null,
  bool: true,
  emptyArray: [],
  emptyObject: {},
  mixedArray: ['x', 1],
  nestedObject: { k: { k: 'v' } },
  float: 1.5,
} as const;
type BadKind = keyof typeof BAD_VALUES;

/** Outcome when a field holds a bad value: one outcome, or one per kind of bad value. */
type FieldRule = Expect | (Partial<Record<BadKind, Expect>> & { otherwise: Expect });

interface ShapeSpec {
  name: string;
  make: (b: Builder) => Record<string, unknown>;
  /** Dotted paths of every field the normaliser reads; unlisted outcomes are `event`. */
  fields: Record<string, FieldRule>;
}

const NO_ID = rejected('unknown_kind');
/** An EventID of 1.5 is no event id; a numeric code read as text is a different event. */
const eventIdRule: FieldRule = NO_ID;

const SHAPES: ShapeSpec[] = [
  {
    name: 'flat Sysmon',
    make: (b) => b.flatSysmon(),
    fields: {
      EventID: eventIdRule,
      SourceName: EVENT,
      Channel: EVENT,
      Hostname: { float: EVENT, otherwise: rejected('missing_host') },
      Image: { float: EVENT, otherwise: rejected('missing_image') },
      UtcTime: EVENT,
      EventTime: EVENT,
      '@timestamp': EVENT,
      ProcessGuid: EVENT,
      ProcessId: EVENT,
      CommandLine: EVENT,
      CurrentDirectory: EVENT,
      User: EVENT,
      IntegrityLevel: EVENT,
      Hashes: EVENT,
      FileVersion: EVENT,
      Description: EVENT,
      Product: EVENT,
      Company: EVENT,
      OriginalFileName: EVENT,
      ParentProcessGuid: EVENT,
      ParentProcessId: EVENT,
      ParentImage: EVENT,
      ParentCommandLine: EVENT,
      _rid: EVENT,
      _dataset: EVENT,
      _source_file: EVENT,
    },
  },
  {
    name: 'flat 4688',
    make: (b) => b.flat4688(),
    fields: {
      EventID: eventIdRule,
      SourceName: EVENT,
      Channel: EVENT,
      Hostname: { float: EVENT, otherwise: rejected('missing_host') },
      NewProcessName: { float: EVENT, otherwise: rejected('missing_image') },
      // The only clock of this layout.
      EventTime: { float: EVENT, otherwise: rejected('missing_time') },
      NewProcessId: EVENT,
      ProcessId: EVENT,
      ParentProcessName: EVENT,
      CommandLine: EVENT,
      SubjectUserName: EVENT,
      SubjectDomainName: EVENT,
      SubjectUserSid: EVENT,
      TargetUserName: EVENT,
      TargetDomainName: EVENT,
      TargetUserSid: EVENT,
      TokenElevationType: EVENT,
      MandatoryLabel: EVENT,
    },
  },
  {
    name: 'Winlogbeat 6 Sysmon',
    make: (b) => b.wlb6Sysmon(),
    fields: {
      event_id: eventIdRule,
      source_name: EVENT,
      log_name: EVENT,
      computer_name: { float: EVENT, otherwise: rejected('missing_host') },
      '@timestamp': EVENT,
      // Without event_data the record is read as a flat one, which has no Image.
      event_data: rejected('missing_image'),
      'event_data.Image': { float: EVENT, otherwise: rejected('missing_image') },
      'event_data.UtcTime': EVENT,
      'event_data.ProcessGuid': EVENT,
      'event_data.ProcessId': EVENT,
      'event_data.CommandLine': EVENT,
      'event_data.User': EVENT,
      'event_data.ParentProcessGuid': EVENT,
      'event_data.ParentProcessId': EVENT,
      'event_data.ParentImage': EVENT,
      'event_data.ParentCommandLine': EVENT,
      'event_data.IntegrityLevel': EVENT,
      'event_data.Hashes': EVENT,
    },
  },
  {
    name: 'Winlogbeat 6 4688',
    make: (b) => b.wlb64688(),
    fields: {
      event_id: eventIdRule,
      source_name: EVENT,
      log_name: EVENT,
      computer_name: { float: EVENT, otherwise: rejected('missing_host') },
      '@timestamp': { float: EVENT, otherwise: rejected('missing_time') },
      event_data: rejected('missing_image'),
      'event_data.NewProcessName': { float: EVENT, otherwise: rejected('missing_image') },
      'event_data.NewProcessId': EVENT,
      'event_data.ProcessId': EVENT,
      'event_data.ParentProcessName': EVENT,
      'event_data.CommandLine': EVENT,
      'event_data.SubjectUserName': EVENT,
      'event_data.TargetUserName': EVENT,
      'event_data.TargetUserSid': EVENT,
      'event_data.TokenElevationType': EVENT,
      'event_data.MandatoryLabel': EVENT,
    },
  },
  {
    name: 'EVTX Sysmon',
    make: (b) => b.evtx(),
    fields: {
      EventID: eventIdRule,
      Provider: EVENT,
      Channel: EVENT,
      Computer: { float: EVENT, otherwise: rejected('missing_host') },
      Image: { float: EVENT, otherwise: rejected('missing_image') },
      UtcTime: EVENT,
      TimeCreated: EVENT,
      ProcessGuid: EVENT,
      ProcessId: EVENT,
      CommandLine: EVENT,
      ParentProcessGuid: EVENT,
      ParentProcessId: EVENT,
      ParentImage: EVENT,
      ParentCommandLine: EVENT,
      User: EVENT,
      IntegrityLevel: EVENT,
      Hashes: EVENT,
    },
  },
  {
    name: 'Elastic Defend',
    make: (b) => b.defend(),
    fields: {
      '@timestamp': { float: EVENT, otherwise: rejected('missing_time') },
      // Without event.* it is a bare process document, still a creation.
      event: EVENT,
      'event.category': { mixedArray: SKIPPED, otherwise: EVENT },
      'event.type': EVENT,
      'event.action': EVENT,
      'event.id': EVENT,
      host: rejected('missing_host'),
      'host.name': EVENT,
      'host.hostname': EVENT,
      process: rejected('missing_image'),
      'process.entity_id': EVENT,
      'process.pid': EVENT,
      'process.name': EVENT,
      'process.executable': EVENT,
      'process.command_line': EVENT,
      'process.args': EVENT,
      'process.working_directory': EVENT,
      'process.pe': EVENT,
      'process.code_signature': EVENT,
      'process.hash': EVENT,
      'process.Ext': EVENT,
      'process.parent': EVENT,
      'process.parent.entity_id': EVENT,
      'process.parent.pid': EVENT,
      'process.parent.name': EVENT,
      'process.parent.executable': EVENT,
      user: EVENT,
      'user.name': EVENT,
      'user.domain': EVENT,
      'user.id': EVENT,
    },
  },
  {
    name: 'Winlogbeat 7 Sysmon',
    make: (b) => b.wlb7(),
    fields: {
      '@timestamp': { float: EVENT, otherwise: rejected('missing_time') },
      event: EVENT,
      // A code of 1.5 read as text names another Sysmon event.
      'event.code': { float: SKIPPED, otherwise: EVENT },
      'event.provider': EVENT,
      'event.category': EVENT,
      'event.type': EVENT,
      'event.module': EVENT,
      winlog: EVENT,
      'winlog.computer_name': EVENT,
      'winlog.channel': EVENT,
      'winlog.event_id': EVENT,
      'winlog.event_data': EVENT,
      host: EVENT,
      process: rejected('missing_image'),
      'process.executable': EVENT,
      'process.name': EVENT,
      'process.entity_id': EVENT,
      'process.pid': EVENT,
      'process.command_line': EVENT,
      'process.parent': EVENT,
      'process.parent.entity_id': EVENT,
      user: EVENT,
    },
  },
];

function setPath(o: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    // Copy on the way down: templates share nested objects.
    const copy = { ...(next as Record<string, unknown>) };
    cur[p] = copy;
    cur = copy;
  }
  cur[parts[parts.length - 1] as string] = value;
}

function ruleFor(rule: FieldRule, bad: BadKind): Expect {
  if ('kind' in rule) return rule as Expect;
  const r = rule as Partial<Record<BadKind, Expect>> & { otherwise: Expect };
  return r[bad] ?? r.otherwise;
}

function wrongTypes(b: Builder): void {
  for (const shape of SHAPES) {
    for (const [field, rule] of Object.entries(shape.fields)) {
      for (const bad of Object.keys(BAD_VALUES) as BadKind[]) {
        const rec = shape.make(b);
        setPath(rec, field, BAD_VALUES[bad]);
        b.json(`${shape.name}: ${field} = ${bad}`, rec, ruleFor(rule, bad));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The other hostile families

function baseline(b: Builder): void {
  for (const shape of SHAPES) b.json(`${shape.name}: valid`, shape.make(b), EVENT);
}

function truncated(b: Builder): void {
  for (const shape of SHAPES) {
    const s = JSON.stringify(shape.make(b));
    // Any proper prefix of an object is unbalanced, hence invalid (length ≥ 1: not blank).
    for (const cut of [1, 2, 17, s.length >> 2, s.length >> 1, s.length - 2, s.length - 1]) {
      b.line(`${shape.name}: truncated at ${cut}`, s.slice(0, cut), rejected('invalid_json'));
    }
  }
  b.line('unterminated string', '{"EventID":1,"Image":"C:\\\\x', rejected('invalid_json'));
  b.line('trailing garbage', `${JSON.stringify(b.flatSysmon())}}`, rejected('invalid_json'));
  b.line(
    'two records on one line',
    `${JSON.stringify(b.flatSysmon())}{}`,
    rejected('invalid_json'),
  );
}

function notObjects(b: Builder, depth: number): void {
  for (const v of ['[]', '42', '-0', '"str"', 'null', 'true', '[{"EventID":1}]', '1e999']) {
    b.line(`not an object: ${v}`, v, rejected('not_an_object'));
  }
  b.line(
    `array nested ${depth} deep`,
    '['.repeat(depth) + ']'.repeat(depth),
    rejected('not_an_object'),
  );
}

function deep(depth: number): string {
  return '{"a":'.repeat(depth) + '"bottom"' + '}'.repeat(depth);
}

function deepNesting(b: Builder, depth: number): void {
  const nest = deep(depth);
  // Spliced in as text: JSON.stringify itself overflows the stack on such a value.
  const splice = (rec: Record<string, unknown>, field: string): string => {
    const s = JSON.stringify({ ...rec, [field]: '\u0000SPLICE' });
    return s.replace('"\\u0000SPLICE"', nest);
  };
  b.line(`CommandLine nested ${depth} deep`, splice(b.flatSysmon(), 'CommandLine'), EVENT);
  b.line(`unread field nested ${depth} deep`, splice(b.flatSysmon(), 'Extra'), EVENT);
  b.line(`Image nested ${depth} deep`, splice(b.flatSysmon(), 'Image'), rejected('missing_image'));
  b.line(`process nested ${depth} deep`, splice(b.defend(), 'process'), rejected('missing_image'));
  b.line(`user nested ${depth} deep`, splice(b.defend(), 'user'), EVENT);
  b.line(
    `event_data nested ${depth} deep`,
    splice(b.wlb6Sysmon(), 'event_data'),
    rejected('missing_image'),
  );
  b.line(`record nested ${depth} deep`, nest, rejected('unknown_kind'));
}

/** Command lines and fields of 1 MiB, shaped to stress every linear-time claim downstream. */
function megabyte(b: Builder, limit: number): void {
  const fill = (unit: string): string => unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB);
  const cmds: Array<[string, string]> = [
    ['one letter', fill('A')],
    ['dots inside a token', `x${fill('.')}a`],
    ['base64 alphabet', fill('QWxh+/Zm9v')],
    ['backslashes', fill('\\')],
    ['quotes', fill('"')],
    ['-enc and blanks', `powershell -enc ${fill(' ')}x`],
    ['digits and dots', fill('1.')],
    ['hex run', fill('deadbeef0')],
    ['many arguments', fill('a ')],
    ['HTML entities', fill('&gt;')],
    ['right-to-left overrides', fill('\u202e')],
    ['user folders', fill('\\users\\x')],
  ];
  let made = 0;
  for (const [what, cmd] of cmds) {
    if (made++ >= limit) return;
    b.json(`1 MiB command line: ${what}`, b.flatSysmon({ CommandLine: cmd }), EVENT);
  }
  const other: Array<[string, () => Record<string, unknown>, Expect]> = [
    [
      '1 MiB ECS command line',
      () => b.defend({ process: { name: 'x.exe', command_line: fill('-w hidden ') } }),
      EVENT,
    ],
    ['1 MiB host name', () => b.flatSysmon({ Hostname: fill('h') }), rejected('missing_host')],
    ['1 MiB image path', () => b.flatSysmon({ Image: fill('C:\\a') }), EVENT],
    ['1 MiB process GUID', () => b.flatSysmon({ ProcessGuid: fill('{') }), EVENT],
  ];
  for (const [what, make, expect] of other) {
    if (made++ >= limit) return;
    b.json(what, make(), expect);
  }
}

function controlCharacters(b: Builder): void {
  const all = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join('');
  b.json(
    'C0 controls in the command line',
    b.flatSysmon({ CommandLine: `cmd ${all} /c x` }),
    EVENT,
  );
  b.json('C0 controls in the image', b.flatSysmon({ Image: `C:\\${all}\\a.exe` }), EVENT);
  b.json('C0 controls in the host', b.flatSysmon({ Hostname: `ws${all}x` }), EVENT);
  b.json(
    'ANSI escapes',
    b.flatSysmon({ CommandLine: '\u001b[2J\u001b[31mcmd /c\u001b[0m' }),
    EVENT,
  );
  b.json(
    'DEL, C1, line separators',
    b.flatSysmon({ CommandLine: '\u007f\u0085\u2028\u2029 x' }),
    EVENT,
  );
  b.json('bidi overrides', b.defend({ host: { name: 'ws-\u202eexe.cod' } }), EVENT);
  // Raw (unescaped) control characters are not allowed inside JSON strings.
  for (const c of [1, 9, 13, 27]) {
    const s = JSON.stringify(b.flatSysmon({ CommandLine: 'a@b' })).replace(
      'a@b',
      `a${String.fromCharCode(c)}b`,
    );
    b.line(`raw control 0x${c.toString(16)} inside a string`, s, rejected('invalid_json'));
  }
  b.line('CRLF line ending', `${JSON.stringify(b.flatSysmon())}\r`, EVENT);
}

function nulBytes(b: Builder): void {
  b.json('escaped NUL in the command line', b.flatSysmon({ CommandLine: 'cmd\u0000/c x' }), EVENT);
  b.json('escaped NUL in the host', b.flatSysmon({ Hostname: 'ws\u0000evil' }), EVENT);
  b.json('escaped NUL in the image', b.flatSysmon({ Image: 'C:\\a\u0000.exe' }), EVENT);
  const s = JSON.stringify(b.flatSysmon({ CommandLine: 'a@b' }));
  b.line('raw NUL inside a string', s.replace('a@b', 'a\u0000b'), rejected('invalid_json'));
  b.line('raw NUL between tokens', s.replace('{', '{\u0000'), rejected('invalid_json'));
  b.line('a line of NULs', Buffer.alloc(4096), rejected('invalid_json'));
  // A NUL in an entity id must not collide with the graph's internal key separator.
  b.json(
    'entity id with NUL (child side)',
    b.flatSysmon({
      Hostname: 'keys.hostile.example',
      ProcessGuid: 'b\u0000c',
      ParentProcessGuid: 'a',
    }),
    EVENT,
  );
  b.json(
    'entity id with NUL (parent side)',
    b.flatSysmon({
      Hostname: 'keys.hostile.example',
      ProcessGuid: 'c',
      ParentProcessGuid: 'a\u0000b',
    }),
    EVENT,
  );
  b.json(
    'entity id shaped like an internal node key',
    b.flatSysmon({
      Hostname: 'keys.hostile.example',
      ProcessGuid: '\u0001hub:0:x',
      ParentProcessGuid: 'c',
    }),
    EVENT,
  );
}

function encodings(b: Builder): void {
  const withBytes = (
    label: string,
    rec: Record<string, unknown>,
    bytes: number[],
    expect: Expect,
  ) => {
    const [head, tail] = JSON.stringify(rec).split('@@') as [string, string];
    b.line(
      label,
      Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]),
      expect,
    );
  };
  // Invalid UTF-8 inside a string decodes to U+FFFD: still a record.
  withBytes(
    '0xFF byte in a string',
    b.flatSysmon({ CommandLine: 'cmd @@ x' }),
    [0xff, 0xfe],
    EVENT,
  );
  withBytes('overlong encoding', b.flatSysmon({ CommandLine: 'cmd @@ x' }), [0xc0, 0xaf], EVENT);
  withBytes(
    'lone continuation bytes',
    b.flatSysmon({ Image: 'C:\\@@.exe' }),
    [0x80, 0xbf, 0x80],
    EVENT,
  );
  withBytes(
    'truncated multibyte sequence',
    b.flatSysmon({ Hostname: 'ws-@@' }),
    [0xe2, 0x82],
    EVENT,
  );
  withBytes('CESU-8 surrogate', b.flatSysmon({ CommandLine: '@@' }), [0xed, 0xa0, 0x80], EVENT);
  withBytes('latin-1 é', b.flatSysmon({ Image: 'C:\\caf@@\\a.exe' }), [0xe9], EVENT);
  withBytes('latin-1 host', b.evtx({ Computer: 'M@@NCHEN' }), [0xdc], EVENT);
  // Outside a string, a replacement character is a syntax error.
  b.line(
    'invalid UTF-8 between tokens',
    Buffer.concat([Buffer.from('{"EventID":1,'), Buffer.from([0xff]), Buffer.from('"x":0}')]),
    rejected('invalid_json'),
  );
  // A UTF-16 record: every other byte is NUL.
  const utf16 = Buffer.from(JSON.stringify(b.flatSysmon()), 'utf16le');
  b.line(
    'UTF-16LE record with BOM',
    Buffer.concat([Buffer.from([0xff, 0xfe]), utf16]),
    rejected('invalid_json'),
  );
  b.line('UTF-16LE record', utf16, rejected('invalid_json'));
  withBytes(
    'UTF-16 fragment in a string',
    b.flatSysmon({ CommandLine: '@@' }),
    [...Buffer.from('cmd', 'utf16le')],
    rejected('invalid_json'),
  );
  // Lone surrogates arrive as JSON escapes; JSON.stringify writes them so.
  b.json('lone high surrogate', b.flatSysmon({ CommandLine: 'a\ud800b' }), EVENT);
  b.json('lone low surrogate in the image', b.flatSysmon({ Image: 'C:\\\udc00.exe' }), EVENT);
  b.json('lone surrogate host', b.flatSysmon({ Hostname: '\udbff' }), EVENT);
  b.json('reversed surrogate pair', b.defend({ user: { name: '\udc00\ud800' } }), EVENT);
  b.line('UTF-8 BOM mid-file', `\ufeff${JSON.stringify(b.flatSysmon())}`, rejected('invalid_json'));
}

function timestamps(b: Builder): void {
  const sysmonOnly = (utc: unknown): Record<string, unknown> => {
    const r = b.flatSysmon({ UtcTime: utc });
    delete r.EventTime;
    delete r['@timestamp'];
    return r;
  };
  const utc: Array<[string, unknown, Expect]> = [
    ['year 9999', '9999-12-31 23:59:59.999', EVENT],
    ['year 275760 (past the Date range)', '+275760-09-13 00:00:00.001', rejected('missing_time')],
    ['epoch zero', '1970-01-01 00:00:00.000', EVENT],
    ['before the epoch', '1969-12-31 23:59:59.999', EVENT],
    ['year 0099', '0099-06-01 00:00:00.000', EVENT],
    ['month 0', '2024-00-10 00:00:00.000', rejected('missing_time')],
    ['February 30th', '2024-02-30 00:00:00.000', EVENT],
    ['leap second', '2016-12-31 23:59:60.000', EVENT],
    ['NaN', 'NaN', rejected('missing_time')],
    ['empty', '', rejected('missing_time')],
    ['epoch ms as a number', 0, EVENT],
  ];
  for (const [what, v, expect] of utc) b.json(`UtcTime ${what}`, sysmonOnly(v), expect);

  const ecs: Array<[string, unknown, Expect]> = [
    ['epoch zero', 0, EVENT],
    ['negative', -1, EVENT],
    ['last representable ms', 8.64e15 - 1, EVENT],
    ['first unrepresentable ms', 8.64e15, rejected('missing_time')],
    ['earliest representable ms', -8.64e15 + 1, EVENT],
    ['1e300', 1e300, rejected('missing_time')],
    ['-1e300', -1e300, rejected('missing_time')],
    ['year 9999 ISO', '9999-12-31T23:59:59.999Z', EVENT],
    ['year 275760 ISO', '+275760-09-13T00:00:00.000Z', rejected('missing_time')],
    ['NaN', 'NaN', rejected('missing_time')],
    ['Infinity', 'Infinity', rejected('missing_time')],
    ['offset +14:00', '2024-05-01T23:30:00.000+14:00', EVENT],
  ];
  for (const [what, v, expect] of ecs)
    b.json(`ECS @timestamp ${what}`, b.defend({ '@timestamp': v }), expect);
}

/**
 * A Sysmon/4688 twin pair teaches a four-hour clock offset for its host; later Security
 * records of that host whose corrected time leaves the Date range must not break the stream.
 */
function clockEdges(b: Builder): void {
  const host = 'twin.hostile.example';
  b.json('twin pair: Sysmon half', nxlogSysmon({ Hostname: host }), EVENT);
  b.json('twin pair: Security half', nxlog4688({ Hostname: host }), { kind: 'merged' });
  for (const [what, t] of [
    ['latest', 8.64e15 - 1],
    ['earliest', -8.64e15 + 1],
  ] as const) {
    b.json(
      `4688 at the ${what} representable time on a host with a learnt clock offset`,
      nxlog4688({
        Hostname: host,
        EventTime: t,
        NewProcessId: '0x77',
        NewProcessName: 'C:\\Windows\\System32\\whoami.exe',
      }),
      EVENT,
    );
  }
}

/** Parent links that form cycles, self-parents and reused PIDs and GUIDs. */
function lineage(b: Builder): void {
  const host = 'cycle.hostile.example';
  const link = (label: string, id: string, parent: string) =>
    b.json(
      label,
      b.flatSysmon({ Hostname: host, ProcessGuid: id, ParentProcessGuid: parent }),
      EVENT,
    );
  link('cycle A→B→A: A', 'cyc-a', 'cyc-b');
  link('cycle A→B→A: B', 'cyc-b', 'cyc-a');
  link('cycle of three: C', 'cyc-c', 'cyc-e');
  link('cycle of three: D', 'cyc-d', 'cyc-c');
  link('cycle of three: E', 'cyc-e', 'cyc-d');
  link('own parent', 'self', 'self');
  link('child of its own parent', 'self-kid', 'self');
  // The same creation recorded twice.
  link('duplicate creation (first)', 'dup', 'cyc-a');
  link('duplicate creation (second)', 'dup', 'cyc-a');
  // GUID-less records linked by PID only, in a cycle.
  const noGuid = (pid: string, ppid: string) => {
    const r = b.flatSysmon({
      Hostname: 'pidcycle.hostile.example',
      ProcessId: pid,
      ParentProcessId: ppid,
    });
    delete r.ProcessGuid;
    delete r.ParentProcessGuid;
    return r;
  };
  b.json('PID cycle: 100 → 200', noGuid('100', '200'), EVENT);
  b.json('PID cycle: 200 → 100', noGuid('200', '100'), EVENT);
  b.json('PID own parent', noGuid('300', '300'), EVENT);
  // One PID reused by 60 processes, each naming the previous holder as parent (4688: PIDs only).
  for (let k = 0; k < 60; k++) {
    b.json(
      `PID 4 reused (${k})`,
      b.flat4688({ Hostname: 'pidreuse.hostile.example', NewProcessId: '0x4', ProcessId: '0x4' }),
      EVENT,
    );
  }
  // One GUID reused for different images.
  for (const img of ['cmd.exe', 'powershell.exe', 'rundll32.exe']) {
    b.json(
      `GUID reused for ${img}`,
      b.flatSysmon({
        Hostname: host,
        ProcessGuid: 'reused',
        Image: `C:\\Windows\\System32\\${img}`,
      }),
      EVENT,
    );
  }
}

function fanOut(b: Builder, children: number): void {
  const host = 'fanout.hostile.example';
  const parent = '{fa0fa0fa-0000-4000-8000-000000000000}';
  for (let k = 0; k < children; k++) {
    if (k % 2 === 0) {
      b.json(
        `child ${k} of one parent (Sysmon)`,
        b.flatSysmon({
          Hostname: host,
          ParentProcessGuid: parent,
          ParentProcessId: '4',
          CommandLine: `cmd.exe /c echo ${k}`,
        }),
        EVENT,
      );
      continue;
    }
    const rec = b.defend();
    const proc = rec.process as Record<string, unknown>;
    // Elastic Defend children in bursts of 50 stamped with one millisecond.
    rec['@timestamp'] = new Date(T0 + 3_600_000 + Math.floor(k / 100)).toISOString();
    rec.host = { name: host };
    rec.process = {
      ...proc,
      command_line: `certutil.exe -urlcache -f http://x/${k} y.exe`,
      parent: { entity_id: parent, pid: 4, name: 'powershell.exe' },
    };
    b.json(`child ${k} of one parent (Elastic Defend)`, rec, EVENT);
  }
}

function oddities(b: Builder): void {
  const proto = b.flatSysmon();
  delete proto.Image;
  b.line(
    '__proto__ carrying the image',
    JSON.stringify(proto).replace('{', '{"__proto__":{"Image":"C:\\\\evil.exe"},'),
    rejected('missing_image'),
  );
  b.json('host named __proto__', b.flatSysmon({ Hostname: '__proto__' }), EVENT);
  b.json('host named constructor', b.flatSysmon({ Hostname: 'constructor' }), EVENT);
  b.json('image named hasOwnProperty', b.flatSysmon({ Image: 'hasOwnProperty' }), EVENT);
  const dup = JSON.stringify(proto);
  b.line(
    'duplicate keys, the last one of the wrong type',
    `{"Image":"C:\\\\a.exe",${dup.slice(1, -1)},"Image":{}}`,
    rejected('missing_image'),
  );
  const wide: Record<string, unknown> = b.flatSysmon();
  for (let k = 0; k < 50_000; k++) wide[`k${k}`] = k;
  b.json('50,000 keys', wide, EVENT);
  b.json('unknown Sysmon event', b.flatSysmon({ EventID: 3 }), SKIPPED);
  b.json('unknown Security event', b.flat4688({ EventID: 4624 }), SKIPPED);
  b.json('ECS process end', b.defend({ event: { category: ['process'], type: ['end'] } }), SKIPPED);
  b.json(
    'no EventID, no provider',
    { Image: 'C:\\a.exe', Hostname: 'x' },
    rejected('unknown_kind'),
  );
  b.json('empty object', {}, rejected('unknown_kind'));
  b.json('same _rid twice (first)', b.flatSysmon({ _rid: 'rid-twice' }), EVENT);
  b.json('same _rid twice (second)', b.flatSysmon({ _rid: 'rid-twice' }), EVENT);
  b.json('PID past 2^32', b.flatSysmon({ ProcessId: '4294967296', ParentProcessId: 1e300 }), EVENT);
  b.json('negative PIDs', b.flatSysmon({ ProcessId: -1, ParentProcessId: '-5' }), EVENT);
  b.json('hex PID of 64 bits', b.flat4688({ NewProcessId: '0xFFFFFFFFFFFFFFFF' }), EVENT);
}

function blanks(b: Builder): void {
  for (const s of ['', '   ', '\t', '\r'])
    b.line(`blank ${JSON.stringify(s)}`, s, { kind: 'blank' });
}

/** The corpus, records in a fixed order (fan-out last: it is the bulk). */
export function hostileCorpus(opts: CorpusOptions = {}): HostileRecord[] {
  const depth = opts.depth ?? 10_000;
  const b = new Builder();
  baseline(b);
  clockEdges(b);
  truncated(b);
  notObjects(b, depth);
  wrongTypes(b);
  deepNesting(b, depth);
  megabyte(b, opts.megabyteRecords ?? Infinity);
  controlCharacters(b);
  nulBytes(b);
  encodings(b);
  timestamps(b);
  lineage(b);
  oddities(b);
  blanks(b);
  fanOut(b, opts.children ?? 2_000);
  return b.out;
}

export interface Tally {
  /** Non-blank lines: what the normaliser counts as records. */
  records: number;
  /** Records that become events of their own. */
  events: number;
  merged: number;
  skipped: number;
  rejected: Record<string, number>;
}

export function tally(records: readonly HostileRecord[]): Tally {
  const t: Tally = { records: 0, events: 0, merged: 0, skipped: 0, rejected: {} };
  for (const r of records) {
    const e = r.expect;
    if (e.kind === 'blank') continue;
    t.records++;
    if (e.kind === 'event') t.events++;
    else if (e.kind === 'merged') t.merged++;
    else if (e.kind === 'skipped') t.skipped++;
    else t.rejected[e.reason] = (t.rejected[e.reason] ?? 0) + 1;
  }
  return t;
}

/** NDJSON bytes of the records, one per line, with a final newline. */
export function toNdjson(records: readonly HostileRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) parts.push(r.bytes, Buffer.from('\n'));
  return Buffer.concat(parts);
}

export interface CorpusFiles {
  plain: string;
  gz: string;
  /** The gzip file cut short: the reader must count the damage, not throw. */
  truncatedGz: string;
  /** 96 MiB without a newline in a 100 KB gzip: longer than any line the reader accepts. */
  bomb: string;
}

export function writeCorpusFiles(dir: string, records: readonly HostileRecord[]): CorpusFiles {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = toNdjson(records);
  const files: CorpusFiles = {
    plain: path.join(dir, 'hostile.ndjson'),
    gz: path.join(dir, 'hostile.ndjson.gz'),
    truncatedGz: path.join(dir, 'hostile-truncated.ndjson.gz'),
    bomb: path.join(dir, 'bomb.ndjson.gz'),
  };
  fs.writeFileSync(files.plain, bytes);
  const gz = gzipSync(bytes);
  fs.writeFileSync(files.gz, gz);
  fs.writeFileSync(files.truncatedGz, gz.subarray(0, Math.floor(gz.length * 0.6)));
  fs.writeFileSync(files.bomb, gzipSync(Buffer.alloc(96 * MIB, 0x61)));
  return files;
}
