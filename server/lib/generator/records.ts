/** Turn simulated processes into output records: ECS ProcessEvent, flat Sysmon EID 1, label. */
import type { EventLabel, ProcessEvent } from '../../../common/types/process_event';
import { fileVersion } from './catalog';
import type { Integrity, ProcNode } from './host_sim';
import { splitArgs } from './text';

/** NXLog-style flat Sysmon Event ID 1 record (the shape of most OTRF atomic datasets). */
export interface SysmonFlatRecord {
  EventID: 1;
  SourceName: string;
  Channel: string;
  Hostname: string;
  RuleName: string;
  UtcTime: string;
  ProcessGuid: string;
  ProcessId: string;
  Image: string;
  FileVersion: string;
  Description: string;
  Product: string;
  Company: string;
  OriginalFileName: string;
  CommandLine: string;
  CurrentDirectory: string;
  User: string;
  LogonGuid: string;
  LogonId: string;
  TerminalSessionId: string;
  IntegrityLevel: string;
  Hashes: string;
  ParentProcessGuid: string;
  ParentProcessId: string;
  ParentImage: string;
  ParentCommandLine: string;
  ParentUser: string;
  _dataset: string;
  _rid: string;
}

export const DATASET = 'synthetic';

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let cachedDay = Number.NaN;
let cachedDate = '';

/** 'HH:MM:SS.mmm' plus the cached 'YYYY-MM-DD' of its day; Date formatting per event is costly. */
function split(ms: number): [string, string] {
  const day = Math.floor(ms / 86_400_000);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * 86_400_000).toISOString().slice(0, 10);
  }
  let r = ms - day * 86_400_000;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const sec = Math.floor(r / 1000);
  return [cachedDate, `${PAD2[h]}:${PAD2[m]}:${PAD2[sec]}.${PAD3[r - sec * 1000]}`];
}

export function isoTime(ms: number): string {
  const [d, t] = split(ms);
  return `${d}T${t}Z`;
}

/** Sysmon's UtcTime layout: 'YYYY-MM-DD HH:MM:SS.mmm'. */
export function sysmonTime(ms: number): string {
  const [d, t] = split(ms);
  return `${d} ${t}`;
}

function elevated(i: Integrity): boolean {
  return i === 'System' || i === 'High';
}

/** ECS has no AppContainer level: an AppContainer token runs at Low integrity. */
function integrityName(i: Integrity): string {
  return i === 'AppContainer' ? 'low' : i.toLowerCase();
}

/**
 * ECS entity id of a Sysmon ProcessGuid: the bare lower-case GUID, which is also what the
 * normaliser makes of the flat Sysmon output, so both formats join on the same ids.
 */
export function ecsEntityId(processGuid: string): string {
  return processGuid.slice(1, -1);
}

export function toEcs(n: ProcNode, sourceFile: string, line: number): ProcessEvent {
  const p = n.parent as ProcNode;
  const ts = isoTime(n.start);
  const signed = n.bin.signer !== null;
  const event: ProcessEvent = {
    '@timestamp': ts,
    host: { name: n.host.name },
    event: { category: ['process'], type: ['start'], action: 'start', id: n.rid, code: '1' },
    process: {
      entity_id: ecsEntityId(n.entityId),
      pid: n.pid,
      name: n.name,
      executable: n.exe,
      command_line: n.cmd,
      args: splitArgs(n.cmd),
      working_directory: n.cwd,
      start: ts,
      pe: n.bin.originalFileName === '-' ? {} : { original_file_name: n.bin.originalFileName },
      code_signature: signed
        ? { exists: true, trusted: n.bin.trusted, subject_name: n.bin.signer as string }
        : { exists: false, trusted: false },
      hash: n.hashes.lower,
      Ext: {
        token: {
          elevation: elevated(n.integrity),
          elevation_type: n.elevation,
          integrity_level_name: integrityName(n.integrity),
        },
      },
      parent:
        p.parent === null
          ? {
              entity_id: ecsEntityId(p.entityId),
              pid: p.pid,
              name: 'System',
              start: isoTime(p.start),
            }
          : {
              entity_id: ecsEntityId(p.entityId),
              pid: p.pid,
              name: p.name,
              executable: p.exe,
              command_line: p.cmd,
              start: isoTime(p.start),
            },
    },
    user: { name: n.account.name, id: n.account.sid, domain: n.account.domain },
    problemchild: { sources: [{ kind: 'file', file: sourceFile, line, format: 'ecs' }] },
  };
  return event;
}

export function toSysmon(n: ProcNode): SysmonFlatRecord {
  const p = n.parent as ProcNode;
  const h = n.hashes;
  const dropped = n.bin.originalFileName === '-';
  return {
    EventID: 1,
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: n.host.name,
    RuleName: '-',
    UtcTime: sysmonTime(n.start),
    ProcessGuid: n.entityId,
    ProcessId: String(n.pid),
    Image: n.exe,
    FileVersion: dropped ? '-' : fileVersion(n.bin, n.host.os),
    Description: n.bin.description,
    Product: n.bin.product,
    Company: n.bin.company,
    OriginalFileName: n.bin.originalFileName,
    CommandLine: n.cmd,
    CurrentDirectory: n.cwd,
    User: `${n.account.domain}\\${n.account.name}`,
    LogonGuid: n.logon.guid,
    LogonId: n.logon.id,
    TerminalSessionId: String(n.session),
    IntegrityLevel: n.integrity,
    Hashes: `SHA1=${h.sha1},MD5=${h.md5},SHA256=${h.sha256},IMPHASH=${h.imphash}`,
    ParentProcessGuid: p.entityId,
    ParentProcessId: String(p.pid),
    ParentImage: p.parent === null ? 'System' : p.exe,
    ParentCommandLine: p.cmd,
    ParentUser: `${p.account.domain}\\${p.account.name}`,
    _dataset: DATASET,
    _rid: n.rid,
  };
}

export function toLabel(n: ProcNode): EventLabel {
  const p = n.parent as ProcNode;
  const l = n.label;
  const label: EventLabel = {
    _rid: n.rid,
    dataset: DATASET,
    kind: 'sysmon1',
    host: n.host.name,
    utc_time: sysmonTime(n.start),
    pid: n.pid,
    ppid: p.pid,
    process_guid: n.entityId,
    parent_process_guid: p.entityId,
    image: n.exe,
    parent_image: p.parent === null ? 'System' : p.exe,
    command_line: n.cmd.slice(0, 400),
    user: `${n.account.domain}\\${n.account.name}`,
    malicious: l.malicious,
    role: l.role,
    reason: l.reason ?? (l.malicious ? undefined : `benign: ${l.activity}`),
    root_rid: l.rootRid ?? null,
    matched_sysmon_rid: null,
    activity: l.activity,
  };
  if (l.scenarioId !== undefined) {
    label.scenario_id = l.scenarioId;
    label.template = l.template;
    label.technique = l.technique;
    label.techniques = l.techniques ? [...l.techniques] : undefined;
  }
  return label;
}

const str = JSON.stringify;

/**
 * JSON line of an ECS event built by toEcs, about twice as fast as JSON.stringify on the whole
 * object because the long, fixed top-level layout is written directly. Byte-identical to
 * JSON.stringify(event) for events from toEcs (a unit test holds it to that).
 */
export function ecsLine(e: ProcessEvent): string {
  const p = e.process;
  return (
    `{"@timestamp":${str(e['@timestamp'])},"host":{"name":${str(e.host.name)}},` +
    `"event":{"category":["process"],"type":["start"],"action":${str(e.event.action)},"id":${str(e.event.id)},"code":${str(e.event.code)}},` +
    `"process":{"entity_id":${str(p.entity_id)},"pid":${str(p.pid)},"name":${str(p.name)},"executable":${str(p.executable)},` +
    `"command_line":${str(p.command_line)},"args":${str(p.args)},"working_directory":${str(p.working_directory)},"start":${str(p.start)},` +
    `"pe":${str(p.pe)},"code_signature":${str(p.code_signature)},"hash":${str(p.hash)},"Ext":${str(p.Ext)},"parent":${str(p.parent)}},` +
    `"user":${str(e.user)},"problemchild":${str(e.problemchild)}}`
  );
}
