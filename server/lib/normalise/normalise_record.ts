/**
 * Stateless mapping of one parsed record (any supported shape) to a ProcessEvent. Everything
 * that needs context from other records — clock-offset correction, Sysmon/4688 twin merging,
 * parent linkage by PID — lives in the streaming Normaliser, which builds on this.
 */
import type { ProcessEvent, SourceFormat, SourceRef } from '../../../common/types/process_event';
import { parseWindowsCommandLine } from './command_line';
import { decodeHtmlEntities } from './html_entities';
import {
  basename,
  hash64,
  isObject,
  isoTime,
  normaliseEntityId,
  normaliseHost,
  parsePid,
  parseTimeMs,
  splitUser,
  text,
} from './values';

/** Which side of a Sysmon/Security twin pair a record can be. */
export type TwinRole = 'sysmon' | 'security' | 'none';

/** A normalised event plus what the streaming stage needs to place it in time and merge it. */
export interface Candidate {
  event: ProcessEvent;
  role: TwinRole;
  /** Start time in the record's own clock (ms since epoch). */
  rawMs: number;
  /** Whether rawMs is real UTC (Sysmon UtcTime, ECS @timestamp) or a possibly skewed clock. */
  trusted: boolean;
  /** The field rawMs came from; records read from different fields never share an offset. */
  clock: string;
  /** Dataset the record belongs to (`_dataset`, `_source_file`, else file or index). */
  scope: string;
}

export type RecordOutcome =
  | { status: 'event'; candidate: Candidate }
  | { status: 'skipped'; kind: string }
  | { status: 'rejected'; reason: RejectReason; detail: string };

export type RejectReason =
  | 'invalid_json'
  | 'not_an_object'
  | 'unknown_kind'
  | 'missing_image'
  | 'missing_time'
  | 'missing_host'
  | 'line_too_long'
  | 'corrupt_input';

export interface RecordOptions {
  /** Cap on `process.args` length (the command line itself is kept whole). */
  maxArgs?: number;
}

/** Public single-record result, for readers (e.g. Elasticsearch) that bring their own records. */
export type RecordResult =
  | { status: 'event'; event: ProcessEvent }
  | { status: 'skipped'; kind: string }
  | { status: 'rejected'; reason: RejectReason; detail: string };

/**
 * Normalises one already-parsed record. No clock correction, twin merging or PID-based parent
 * linkage happens here (those need neighbouring records: use `Normaliser.pushRecord`). A
 * Security 4688 event therefore carries its raw, possibly skewed, time.
 */
export function normaliseRecord(
  record: unknown,
  ref: SourceRef,
  opts: RecordOptions = {},
): RecordResult {
  const out = toCandidate(record, ref, opts.maxArgs ?? DEFAULT_MAX_ARGS);
  if (out.status !== 'event') {
    return out;
  }
  return { status: 'event', event: out.candidate.event };
}

export const DEFAULT_MAX_ARGS = 1024;

/** Internal entry point: classify the record's shape and map it. */
export function toCandidate(record: unknown, ref: SourceRef, maxArgs: number): RecordOutcome {
  if (!isObject(record)) {
    return reject(
      'not_an_object',
      `expected a JSON object, got ${record === null ? 'null' : Array.isArray(record) ? 'array' : typeof record}`,
    );
  }
  // Winlogbeat 6 nests the event fields under `event_data`; check it before the ECS test
  // because Winlogbeat 6.7 also has a `host` object (the collector).
  if (isObject(record.event_data)) {
    return fromWinlogbeat6(record, record.event_data, ref, maxArgs);
  }
  const nested = nestedEvtx(record);
  if (nested !== undefined) {
    return fromFlatLike(nested.system, nested.data, record, ref, maxArgs, 'sysmon_evtx');
  }
  if (looksEcs(record)) {
    return fromEcs(record, ref, maxArgs);
  }
  return fromFlatLike(record, record, record, ref, maxArgs, undefined);
}

function reject(reason: RejectReason, detail: string): RecordOutcome {
  return { status: 'rejected', reason, detail };
}

// ---------------------------------------------------------------------------------------------
// Shape detection

function looksEcs(r: Record<string, unknown>): boolean {
  return (
    isObject(r.process) ||
    isObject(r.event) ||
    isObject(r.winlog) ||
    r['event.category'] !== undefined ||
    r['process.executable'] !== undefined ||
    r['process.name'] !== undefined
  );
}

/** EVTX-to-JSON exports that keep the XML structure: `{Event:{System,EventData}}` or `{System,EventData}`. */
function nestedEvtx(
  r: Record<string, unknown>,
): { system: Record<string, unknown>; data: Record<string, unknown> } | undefined {
  const root = isObject(r.Event) ? r.Event : r;
  const sys = root.System;
  if (!isObject(sys)) {
    return undefined;
  }
  const flatSystem: Record<string, unknown> = {
    EventID: unwrapText(sys.EventID),
    Computer: unwrapText(sys.Computer),
    Channel: unwrapText(sys.Channel),
    Provider: isObject(sys.Provider) ? (sys.Provider['@Name'] ?? sys.Provider.Name) : sys.Provider,
    TimeCreated: isObject(sys.TimeCreated)
      ? (sys.TimeCreated['@SystemTime'] ?? sys.TimeCreated.SystemTime)
      : sys.TimeCreated,
  };
  const data: Record<string, unknown> = {};
  const ed = root.EventData;
  if (isObject(ed)) {
    const items = ed.Data;
    if (Array.isArray(items)) {
      for (const item of items) {
        if (isObject(item)) {
          const name = text(item['@Name'] ?? item.Name);
          if (name !== undefined && name !== '__proto__') {
            data[name] = item['#text'] ?? item.text ?? item.Value ?? null;
          }
        }
      }
    } else {
      for (const [k, v] of Object.entries(ed)) {
        if (k !== '__proto__') {
          data[k] = v;
        }
      }
    }
  }
  return { system: flatSystem, data };
}

function unwrapText(v: unknown): unknown {
  return isObject(v) ? (v['#text'] ?? v.text ?? v.Value) : v;
}

type Family = 'sysmon' | 'security' | 'other';

let lastProvider = '';
let lastFamily: Family = 'other';

function familyOf(provider: string | undefined): Family {
  if (provider === undefined) {
    return 'other';
  }
  // Every record of a stream names the same provider; skip re-deriving it.
  if (provider === lastProvider) {
    return lastFamily;
  }
  const p = provider.toLowerCase();
  let f: Family = 'other';
  if (p.includes('sysmon')) {
    f = 'sysmon';
  } else if (
    p === 'security' ||
    p.includes('security-auditing') ||
    p.includes('security auditing')
  ) {
    f = 'security';
  }
  lastProvider = provider;
  lastFamily = f;
  return f;
}

function eventIdOf(v: unknown): number | undefined {
  const n =
    typeof v === 'number'
      ? v
      : typeof v === 'string' && /^\s*\d{1,6}\s*$/.test(v)
        ? Number(v)
        : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

// ---------------------------------------------------------------------------------------------
// Raw Windows shapes (NXLog flat, flat 2023, EVTX-flattened, nested EVTX, Winlogbeat 6)

function fromWinlogbeat6(
  r: Record<string, unknown>,
  data: Record<string, unknown>,
  ref: SourceRef,
  maxArgs: number,
): RecordOutcome {
  // In Winlogbeat 6, `host.name` is the beat's machine (the WEC collector); the endpoint is
  // `computer_name`. `@timestamp` is the event's own (UTC) time.
  const meta: Record<string, unknown> = {
    EventID: r.event_id,
    Channel: r.log_name,
    SourceName: r.source_name,
    Computer: r.computer_name,
    '@timestamp': r['@timestamp'],
    _dataset: r._dataset,
    _source_file: r._source_file,
    _rid: r._rid,
  };
  return fromFlatLike(meta, data, r, ref, maxArgs, 'sysmon_winlogbeat6');
}

/**
 * `meta` holds event-level fields (id, provider, computer, times), `data` the EventData
 * fields; for flat shapes both are the record itself. `top` is the original record (for
 * `_rid`/`_dataset`).
 */
function fromFlatLike(
  meta: Record<string, unknown>,
  data: Record<string, unknown>,
  top: Record<string, unknown>,
  ref: SourceRef,
  maxArgs: number,
  shape: SourceFormat | undefined,
): RecordOutcome {
  const eid = eventIdOf(meta.EventID ?? meta.EventId ?? meta.event_id ?? meta.EventCode);
  const provider =
    text(meta.SourceName) ??
    text(meta.Provider) ??
    text(meta.ProviderName) ??
    text(meta.Provider_Name) ??
    text(meta.Channel) ??
    text(meta.log_name);
  let family = familyOf(provider);
  if (family === 'other') {
    family = familyOf(text(meta.Channel));
  }
  if (eid === undefined) {
    return reject('unknown_kind', 'no EventID and no ECS event/process fields');
  }
  if (family === 'other' && provider === undefined) {
    // No provider at all: accept only records that unmistakably carry the process fields.
    if (eid === 1 && data.Image !== undefined && data.ProcessGuid !== undefined) {
      family = 'sysmon';
    } else if (eid === 4688 && data.NewProcessName !== undefined) {
      family = 'security';
    } else {
      return reject('unknown_kind', `EventID ${eid} without provider or channel`);
    }
  }
  if (family === 'sysmon' && eid === 1) {
    const format: SourceFormat =
      shape ??
      (meta.Hostname === undefined && meta.Computer !== undefined ? 'sysmon_evtx' : 'sysmon_flat');
    return fromSysmon(meta, data, top, withFormat(ref, format), maxArgs);
  }
  if (family === 'security' && eid === 4688) {
    return fromSecurity4688(meta, data, top, withFormat(ref, 'security_4688'), maxArgs, shape);
  }
  const fam = family === 'other' ? (provider ?? 'unknown').toLowerCase() : family;
  return { status: 'skipped', kind: `${fam}:${eid}` };
}

function withFormat(ref: SourceRef, format: SourceFormat): SourceRef {
  return ref.format === format ? ref : { ...ref, format };
}

/** Endpoint name: never NXLog's `host` or Winlogbeat's `host.name` (both are the collector). */
function endpointHost(meta: Record<string, unknown>): string | undefined {
  return (
    normaliseHost(meta.Hostname) ??
    normaliseHost(meta.Computer) ??
    normaliseHost(meta.computer_name)
  );
}

function scopeOf(top: Record<string, unknown>, ref: SourceRef): string {
  return (
    text(top._dataset) ??
    text(top._source_file) ??
    (ref.kind === 'file' ? fileBase(ref.file) : ref.index)
  );
}

/**
 * Stable event id: the dataset's own record id when present, else the ES `_id`, else
 * `<file name>:<line>` (readable, and stable across re-imports of the same file).
 */
function eventIdFor(top: Record<string, unknown>, ref: SourceRef): string {
  const rid = text(top._rid);
  if (rid !== undefined) {
    return rid;
  }
  if (ref.kind === 'es') {
    return ref.id;
  }
  return `${fileBase(ref.file)}:${ref.line}`;
}

let lastFile = '';
let lastFileBase = '';

function fileBase(file: string): string {
  if (file !== lastFile) {
    lastFile = file;
    lastFileBase = basename(file);
  }
  return lastFileBase;
}

/** Process identity when the source has no GUID: host + pid + start time, so PID reuse stays apart. */
export function syntheticEntityId(
  host: string,
  pid: number | undefined,
  rawMs: number,
  clock: string,
  fallback: string,
): string {
  return pid === undefined
    ? `pc-${hash64(`${host}\u0000${fallback}`)}`
    : `pc-${hash64(`${host}\u0000${pid}\u0000${rawMs}\u0000${clock}`)}`;
}

function firstTime(
  meta: Record<string, unknown>,
  fields: readonly string[],
): { ms: number; field: string } | undefined {
  for (const f of fields) {
    const v = meta[f];
    if (v !== undefined && v !== null) {
      const ms = parseTimeMs(v);
      if (ms !== undefined) {
        return { ms, field: f };
      }
    }
  }
  return undefined;
}

const SYSMON_FALLBACK_TIMES = ['TimeCreated', '@timestamp', 'EventTime'] as const;
const SECURITY_TIMES = ['TimeCreated', 'EventTime', '@timestamp'] as const;

function fromSysmon(
  meta: Record<string, unknown>,
  d: Record<string, unknown>,
  top: Record<string, unknown>,
  ref: SourceRef,
  maxArgs: number,
): RecordOutcome {
  const executable = text(d.Image);
  if (executable === undefined) {
    return reject('missing_image', 'Sysmon event 1 without Image');
  }
  const host = endpointHost(meta);
  if (host === undefined) {
    return reject(
      'missing_host',
      'no Hostname/Computer/computer_name (collector host fields are not the endpoint)',
    );
  }
  // UtcTime is Sysmon's own UTC clock; the envelope times are only a fallback.
  const utc = parseTimeMs(d.UtcTime);
  const time =
    utc !== undefined ? { ms: utc, field: 'UtcTime' } : firstTime(meta, SYSMON_FALLBACK_TIMES);
  if (time === undefined) {
    return reject('missing_time', 'Sysmon event 1 without a parsable UtcTime');
  }
  const pid = parsePid(d.ProcessId);
  const commandLine = text(d.CommandLine);
  const scope = scopeOf(top, ref);
  const entityId =
    normaliseEntityId(d.ProcessGuid) ??
    syntheticEntityId(host, pid, time.ms, time.field, `${scope}:${eventIdFor(top, ref)}`);
  const user = text(d.User);
  const u = user === undefined ? undefined : splitUser(user);
  const parentExe = text(d.ParentImage);
  const integrity = integrityName(d.IntegrityLevel);
  const hashes = splitHashes(d.Hashes);
  const ts = isoTime(time.ms, time.field === 'UtcTime' ? d.UtcTime : undefined);

  const event: ProcessEvent = {
    '@timestamp': ts,
    host: { name: host },
    event: {
      category: ['process'],
      type: ['start'],
      action: 'start',
      id: eventIdFor(top, ref),
      code: '1',
    },
    process: {
      entity_id: entityId,
      pid,
      name: basename(executable),
      executable,
      command_line: commandLine,
      args: commandLine === undefined ? undefined : parseWindowsCommandLine(commandLine, maxArgs),
      working_directory: text(d.CurrentDirectory),
      start: ts,
      pe: peInfo(d, hashes?.imphash),
      hash: hashesOf(hashes),
      Ext: integrity === undefined ? undefined : { token: { integrity_level_name: integrity } },
      parent: {
        entity_id: normaliseEntityId(d.ParentProcessGuid),
        pid: parsePid(d.ParentProcessId),
        name: parentExe === undefined ? undefined : basename(parentExe),
        executable: parentExe,
        command_line: text(d.ParentCommandLine),
      },
    },
    user: u === undefined ? {} : { name: u.name, domain: u.domain },
    problemchild: { sources: [ref] },
  };
  finishToken(event);
  return {
    status: 'event',
    candidate: { event, role: 'sysmon', rawMs: time.ms, trusted: true, clock: time.field, scope },
  };
}

function fromSecurity4688(
  meta: Record<string, unknown>,
  d: Record<string, unknown>,
  top: Record<string, unknown>,
  ref: SourceRef,
  maxArgs: number,
  shape: SourceFormat | undefined,
): RecordOutcome {
  const rawExe = text(d.NewProcessName);
  if (rawExe === undefined) {
    return reject('missing_image', 'Security 4688 without NewProcessName');
  }
  const host = endpointHost(meta);
  if (host === undefined) {
    return reject(
      'missing_host',
      'no Hostname/Computer/computer_name (collector host fields are not the endpoint)',
    );
  }
  // Winlogbeat 6 puts the event's UTC time in @timestamp; other shapes prefer TimeCreated, then
  // NXLog's local EventTime. Whatever is read, its offset to Sysmon is estimated downstream.
  const time =
    shape === 'sysmon_winlogbeat6'
      ? firstTime(meta, ['@timestamp'])
      : firstTime(meta, SECURITY_TIMES);
  if (time === undefined) {
    return reject(
      'missing_time',
      'Security 4688 without a parsable TimeCreated/EventTime/@timestamp',
    );
  }
  const executable = decodeHtmlEntities(rawExe);
  const pid = parsePid(d.NewProcessId);
  const rawCmd = text(d.CommandLine);
  const commandLine = rawCmd === undefined ? undefined : decodeHtmlEntities(rawCmd);
  const rawParent = text(d.ParentProcessName);
  const parentExe = rawParent === undefined ? undefined : decodeHtmlEntities(rawParent);
  const scope = scopeOf(top, ref);
  const eventId = eventIdFor(top, ref);
  const elevationType = elevationTypeName(d.TokenElevationType);
  const integrity = integrityName(d.MandatoryLabel);
  const ts = new Date(time.ms).toISOString();

  const event: ProcessEvent = {
    '@timestamp': ts,
    host: { name: host },
    event: { category: ['process'], type: ['start'], action: 'start', id: eventId, code: '4688' },
    process: {
      entity_id: syntheticEntityId(host, pid, time.ms, `4688:${time.field}`, `${scope}:${eventId}`),
      pid,
      name: basename(executable),
      executable,
      command_line: commandLine,
      args: commandLine === undefined ? undefined : parseWindowsCommandLine(commandLine, maxArgs),
      start: ts,
      Ext:
        elevationType === undefined && integrity === undefined
          ? undefined
          : { token: { elevation_type: elevationType, integrity_level_name: integrity } },
      parent: {
        // The creator ProcessId of a 4688 is the parent's pid (NewProcessId is the child's).
        pid: parsePid(d.ProcessId),
        name: parentExe === undefined ? undefined : basename(parentExe),
        executable: parentExe,
      },
    },
    user: securityUser(d),
    problemchild: { sources: [ref] },
  };
  finishToken(event);
  return {
    status: 'event',
    candidate: {
      event,
      role: 'security',
      rawMs: time.ms,
      trusted: false,
      clock: `4688:${time.field}`,
      scope,
    },
  };
}

/**
 * The new process runs as the Target subject when the log has one (Windows 10+); older logs
 * and `-` targets mean the process inherited the creator (Subject) account.
 */
function securityUser(d: Record<string, unknown>): ProcessEvent['user'] {
  const targetName = text(d.TargetUserName);
  if (targetName !== undefined) {
    const sid = text(d.TargetUserSid);
    return {
      name: targetName,
      domain: text(d.TargetDomainName),
      id: sid === undefined || sid === 'S-1-0-0' ? undefined : sid,
    };
  }
  const name = text(d.SubjectUserName);
  if (name === undefined) {
    return {};
  }
  return { name, domain: text(d.SubjectDomainName), id: text(d.SubjectUserSid) };
}

// ---------------------------------------------------------------------------------------------
// Shared field decoders

function peInfo(
  d: Record<string, unknown>,
  imphash: string | undefined,
): ProcessEvent['process']['pe'] {
  const ofn = peText(d.OriginalFileName);
  const company = peText(d.Company);
  const product = peText(d.Product);
  const description = peText(d.Description);
  const fileVersion = peText(d.FileVersion);
  if (
    ofn === undefined &&
    imphash === undefined &&
    company === undefined &&
    product === undefined &&
    description === undefined &&
    fileVersion === undefined
  ) {
    return undefined;
  }
  return {
    original_file_name: ofn,
    imphash,
    company,
    product,
    description,
    file_version: fileVersion,
  };
}

/** Sysmon writes `?` for version-resource fields it could not read. */
function peText(v: unknown): string | undefined {
  const s = text(v);
  return s === '?' ? undefined : s;
}

const KNOWN_ALGOS = new Set(['SHA256', 'SHA1', 'MD5', 'IMPHASH']);

interface ParsedHashes {
  sha256?: string;
  sha1?: string;
  md5?: string;
  imphash?: string;
}

/**
 * Sysmon `Hashes`: `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` (any subset, any order, any case), one
 * pass. Values are lower-cased (ECS convention); unknown algorithms are ignored.
 */
function splitHashes(v: unknown): ParsedHashes | undefined {
  const s = text(v);
  if (s === undefined || s.length > 4096) {
    return undefined;
  }
  let out: ParsedHashes | undefined;
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf(',', start);
    if (end < 0) {
      end = s.length;
    }
    const eq = s.indexOf('=', start);
    if (eq > start && eq < end) {
      // Sysmon writes exact upper-case names without blanks; normalise only other spellings.
      let algo = s.slice(start, eq);
      if (!KNOWN_ALGOS.has(algo)) {
        algo = algo.trim().toUpperCase();
      }
      let value = s.slice(eq + 1, end);
      if (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32) {
        value = value.trim();
      }
      value = value.toLowerCase();
      if (value.length > 0) {
        if (algo === 'SHA256') {
          (out ??= {}).sha256 = value;
        } else if (algo === 'SHA1') {
          (out ??= {}).sha1 = value;
        } else if (algo === 'MD5') {
          (out ??= {}).md5 = value;
        } else if (algo === 'IMPHASH') {
          (out ??= {}).imphash = value;
        }
      }
    }
    start = end + 1;
  }
  return out;
}

function hashesOf(h: ParsedHashes | undefined): ProcessEvent['process']['hash'] {
  if (h === undefined || (h.sha256 === undefined && h.sha1 === undefined && h.md5 === undefined)) {
    return undefined;
  }
  return { sha256: h.sha256, sha1: h.sha1, md5: h.md5 };
}

/** Sysmon `Hashes` to ECS `process.hash` (IMPHASH goes to `process.pe.imphash` instead). */
export function parseHashes(v: unknown): ProcessEvent['process']['hash'] {
  return hashesOf(splitHashes(v));
}

const INTEGRITY_WORDS = new Map([
  ['System', 'system'],
  ['High', 'high'],
  ['Medium', 'medium'],
  ['Low', 'low'],
  ['AppContainer', 'low'],
  ['Untrusted', 'untrusted'],
]);

/**
 * Integrity level in Elastic Defend's spelling (lower-case). Accepts Sysmon's `IntegrityLevel`
 * words and Security's `MandatoryLabel` SIDs (S-1-16-<rid>).
 */
export function integrityName(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) {
    return undefined;
  }
  const sid =
    s.length > 7 && (s.charCodeAt(0) === 83 || s.charCodeAt(0) === 115)
      ? /^S-1-16-(\d{1,6})$/i.exec(s.trim())
      : null;
  if (sid !== null) {
    const rid = Number(sid[1]);
    if (rid >= 0x5000) return 'protected';
    if (rid >= 0x4000) return 'system';
    if (rid >= 0x3000) return 'high';
    if (rid >= 0x2000) return 'medium';
    if (rid >= 0x1000) return 'low';
    return 'untrusted';
  }
  // Sysmon's own spellings first; anything else is matched loosely.
  const exact = INTEGRITY_WORDS.get(s);
  if (exact !== undefined) {
    return exact;
  }
  const w = s.toLowerCase();
  if (w.includes('system')) return 'system';
  if (w.includes('high')) return 'high';
  if (w.includes('medium')) return 'medium';
  // AppContainer processes run at low integrity.
  if (w.includes('low') || w.includes('appcontainer')) return 'low';
  if (w.includes('untrusted')) return 'untrusted';
  if (w.includes('protected')) return 'protected';
  return undefined;
}

/** 4688 TokenElevationType: %%1936 Type 1 (default), %%1937 Type 2 (full), %%1938 Type 3 (limited). */
export function elevationTypeName(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) {
    return undefined;
  }
  const w = s.toLowerCase();
  if (w.includes('1936') || w.includes('default') || w === '1') return 'default';
  if (w.includes('1937') || w.includes('full') || w === '2') return 'full';
  if (w.includes('1938') || w.includes('limited') || w === '3') return 'limited';
  return undefined;
}

/**
 * `elevation` (is the token elevated) follows from the elevation type when known: a full token
 * is elevated, a limited one is not, and a default (unsplit) token is elevated exactly when it
 * runs at high or system integrity (SYSTEM services, the built-in Administrator). Values given
 * by the source are kept.
 */
export function finishToken(e: ProcessEvent): void {
  const tok = e.process.Ext?.token;
  if (tok === undefined || tok.elevation !== undefined) {
    return;
  }
  const il = tok.integrity_level_name;
  const ilKnown = il !== undefined;
  const ilHigh = il === 'high' || il === 'system' || il === 'protected';
  if (tok.elevation_type === 'full') {
    tok.elevation = true;
  } else if (tok.elevation_type === 'limited') {
    tok.elevation = false;
  } else if (ilKnown) {
    tok.elevation = ilHigh;
  }
}

// ---------------------------------------------------------------------------------------------
// ECS (Elastic Defend / Endpoint, Winlogbeat 7+, our own generator)

/** Reads a path through nested objects, also accepting dotted keys (`{"process.pid": 1}`). */
function dig(o: unknown, path: readonly string[]): unknown {
  let cur: unknown = o;
  outer: for (let i = 0; i < path.length; i++) {
    if (!isObject(cur)) {
      return undefined;
    }
    const key = path[i] as string;
    const v = cur[key];
    if (v !== undefined) {
      cur = v;
      continue;
    }
    for (let j = path.length; j > i + 1; j--) {
      const dotted = path.slice(i, j).join('.');
      const dv = cur[dotted];
      if (dv !== undefined) {
        cur = dv;
        i = j - 1;
        continue outer;
      }
    }
    return undefined;
  }
  return cur;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') {
    return [v];
  }
  if (Array.isArray(v)) {
    return v.filter((x): x is string => typeof x === 'string');
  }
  return [];
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;
}

const START_ACTIONS = new Set([
  'start',
  'exec',
  'fork',
  'process_started',
  'process_start',
  'creation',
  'created-process',
]);

function fromEcs(r: Record<string, unknown>, refIn: SourceRef, maxArgs: number): RecordOutcome {
  const ref = withFormat(refIn, 'ecs');
  const categories = strings(dig(r, ['event', 'category']));
  const types = strings(dig(r, ['event', 'type']));
  const action = text(dig(r, ['event', 'action']));
  const code = text(dig(r, ['event', 'code'])) ?? text(dig(r, ['winlog', 'event_id']));
  const provider =
    text(dig(r, ['event', 'provider'])) ??
    text(dig(r, ['winlog', 'provider_name'])) ??
    text(dig(r, ['winlog', 'channel'])) ??
    text(dig(r, ['event', 'module']));
  const family = familyOf(provider);
  const ed = dig(r, ['winlog', 'event_data']);
  const d: Record<string, unknown> = isObject(ed) ? ed : {};

  let isStart: boolean;
  if (family === 'sysmon') {
    isStart = code === '1';
  } else if (family === 'security') {
    isStart = code === '4688';
  } else if (categories.length > 0) {
    isStart =
      categories.includes('process') &&
      (types.includes('start') ||
        (action !== undefined && START_ACTIONS.has(action.toLowerCase())));
  } else {
    // No event.* at all: a bare process document (e.g. an export of process.* only).
    isStart =
      dig(r, ['process', 'executable']) !== undefined || dig(r, ['process', 'name']) !== undefined;
  }
  if (!isStart) {
    if (family !== 'other') {
      return { status: 'skipped', kind: `${family}:${code ?? 'unknown'}` };
    }
    if (categories.length === 0 && types.length === 0 && code === undefined) {
      return reject(
        'unknown_kind',
        'ECS-like record without event.category/event.code or process fields',
      );
    }
    return {
      status: 'skipped',
      kind: `ecs:${categories[0] ?? 'none'}${types[0] === undefined ? '' : ':' + types[0]}`,
    };
  }

  const sec = family === 'security';
  const decode = (s: string | undefined): string | undefined =>
    s !== undefined && sec ? decodeHtmlEntities(s) : s;
  const executable = decode(
    text(dig(r, ['process', 'executable'])) ?? text(sec ? d.NewProcessName : d.Image),
  );
  const name =
    text(dig(r, ['process', 'name'])) ??
    (executable === undefined ? undefined : basename(executable));
  if (name === undefined) {
    return reject('missing_image', 'process event without process.executable/process.name');
  }
  // Winlogbeat on a WEC collector: host.name is the collector, winlog.computer_name the endpoint.
  const host =
    normaliseHost(dig(r, ['winlog', 'computer_name'])) ??
    normaliseHost(dig(r, ['host', 'name'])) ??
    normaliseHost(dig(r, ['host', 'hostname']));
  if (host === undefined) {
    return reject('missing_host', 'no winlog.computer_name/host.name/host.hostname');
  }
  const utcField = family === 'sysmon' ? parseTimeMs(d.UtcTime) : undefined;
  const tsMs =
    utcField ?? parseTimeMs(r['@timestamp']) ?? parseTimeMs(dig(r, ['process', 'start']));
  if (tsMs === undefined) {
    return reject('missing_time', 'no parsable @timestamp/process.start');
  }
  const clock = utcField !== undefined ? 'UtcTime' : 'ecs:@timestamp';
  const scope = scopeOf(r, ref);
  const pid = parsePid(dig(r, ['process', 'pid'])) ?? parsePid(sec ? d.NewProcessId : d.ProcessId);
  const commandLine = decode(text(dig(r, ['process', 'command_line'])) ?? text(d.CommandLine));
  const rawArgs = dig(r, ['process', 'args']);
  const args =
    Array.isArray(rawArgs) && rawArgs.every((a) => typeof a === 'string')
      ? (rawArgs as string[]).slice(0, maxArgs)
      : commandLine === undefined
        ? undefined
        : parseWindowsCommandLine(commandLine, maxArgs);
  const eventId = text(dig(r, ['event', 'id'])) ?? eventIdFor(r, ref);
  const entityId =
    normaliseEntityId(dig(r, ['process', 'entity_id'])) ??
    normaliseEntityId(d.ProcessGuid) ??
    syntheticEntityId(host, pid, tsMs, clock, `${scope}:${eventId}`);

  const parentExe = decode(
    text(dig(r, ['process', 'parent', 'executable'])) ??
      text(sec ? d.ParentProcessName : d.ParentImage),
  );
  const parentStart = parseTimeMs(dig(r, ['process', 'parent', 'start']));
  const rawHashes = splitHashes(d.Hashes);
  const hash = ecsHash(dig(r, ['process', 'hash'])) ?? hashesOf(rawHashes);
  const pe = ecsPe(r, d, rawHashes?.imphash);
  const sig = dig(r, ['process', 'code_signature']);
  const token = ecsToken(r, d);
  const ts = new Date(tsMs).toISOString();

  const event: ProcessEvent = {
    '@timestamp': ts,
    host: { name: host },
    event: {
      category: ['process'],
      type: ['start'],
      action: action ?? 'start',
      id: eventId,
      code: code ?? (family === 'sysmon' ? '1' : sec ? '4688' : undefined),
    },
    process: {
      entity_id: entityId,
      pid,
      name,
      executable,
      command_line: commandLine,
      args,
      working_directory: text(dig(r, ['process', 'working_directory'])) ?? text(d.CurrentDirectory),
      start: ts,
      pe,
      code_signature: isObject(sig)
        ? dropUndefined({
            exists: bool(sig.exists),
            trusted: bool(sig.trusted),
            subject_name: text(sig.subject_name),
          })
        : undefined,
      hash,
      Ext: token === undefined ? undefined : { token },
      parent: {
        entity_id:
          normaliseEntityId(dig(r, ['process', 'parent', 'entity_id'])) ??
          normaliseEntityId(d.ParentProcessGuid),
        pid:
          parsePid(dig(r, ['process', 'parent', 'pid'])) ??
          parsePid(sec ? d.ProcessId : d.ParentProcessId),
        name:
          text(dig(r, ['process', 'parent', 'name'])) ??
          (parentExe === undefined ? undefined : basename(parentExe)),
        executable: parentExe,
        command_line:
          text(dig(r, ['process', 'parent', 'command_line'])) ?? text(d.ParentCommandLine),
        start: parentStart === undefined ? undefined : new Date(parentStart).toISOString(),
      },
    },
    user: ecsUser(r, d, sec),
    problemchild: { sources: [ref] },
  };
  const prob = dig(r, ['problemchild', 'prediction_probability']);
  if (typeof prob === 'number' && Number.isFinite(prob)) {
    event.problemchild.prediction_probability = prob;
  }
  finishToken(event);
  const role: TwinRole = family === 'sysmon' ? 'sysmon' : sec ? 'security' : 'none';
  return {
    status: 'event',
    candidate: {
      event,
      role,
      rawMs: tsMs,
      // Beats convert the Security log's time to UTC, but an offset is still estimated for it
      // (it converges to ~0), so both sides of a twin are treated alike.
      trusted: role !== 'security',
      clock: sec ? '4688:ecs' : clock,
      scope,
    },
  };
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T | undefined {
  let any = false;
  for (const k of Object.keys(o)) {
    if (o[k] === undefined) {
      delete o[k];
    } else {
      any = true;
    }
  }
  return any ? o : undefined;
}

function ecsHash(v: unknown): ProcessEvent['process']['hash'] {
  if (!isObject(v)) {
    return undefined;
  }
  return dropUndefined({
    sha256: text(v.sha256)?.toLowerCase(),
    sha1: text(v.sha1)?.toLowerCase(),
    md5: text(v.md5)?.toLowerCase(),
  });
}

function ecsPe(
  r: Record<string, unknown>,
  d: Record<string, unknown>,
  imphash: string | undefined,
): ProcessEvent['process']['pe'] {
  const pe = dig(r, ['process', 'pe']);
  const p = isObject(pe) ? pe : {};
  const raw = peInfo(d, imphash) ?? {};
  return dropUndefined({
    original_file_name: text(p.original_file_name) ?? raw.original_file_name,
    imphash: text(p.imphash)?.toLowerCase() ?? raw.imphash,
    company: text(p.company) ?? raw.company,
    product: text(p.product) ?? raw.product,
    description: text(p.description) ?? raw.description,
    file_version: text(p.file_version) ?? raw.file_version,
  });
}

function ecsToken(
  r: Record<string, unknown>,
  d: Record<string, unknown>,
): NonNullable<ProcessEvent['process']['Ext']>['token'] {
  const t = dig(r, ['process', 'Ext', 'token']);
  const tok = isObject(t) ? t : {};
  return dropUndefined({
    elevation: bool(tok.elevation),
    elevation_type:
      elevationTypeName(tok.elevation_type) ?? elevationTypeName(d.TokenElevationType),
    integrity_level_name:
      integrityName(tok.integrity_level_name) ??
      integrityName(d.IntegrityLevel) ??
      integrityName(d.MandatoryLabel),
  });
}

function ecsUser(
  r: Record<string, unknown>,
  d: Record<string, unknown>,
  sec: boolean,
): ProcessEvent['user'] {
  const name = text(dig(r, ['user', 'name']));
  if (name !== undefined) {
    const split = splitUser(name);
    return (
      dropUndefined({
        name: split.name,
        domain: text(dig(r, ['user', 'domain'])) ?? split.domain,
        id: text(dig(r, ['user', 'id'])),
      }) ?? {}
    );
  }
  if (sec) {
    return securityUser(d);
  }
  const u = text(d.User);
  if (u === undefined) {
    return {};
  }
  const split = splitUser(u);
  return split.domain === undefined
    ? { name: split.name }
    : { name: split.name, domain: split.domain };
}
