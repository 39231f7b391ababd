/**
 * MITRE ATT&CK techniques suggested by single process-creation events. A small, explicit table:
 * it labels what an analyst is looking at, it does not detect anything (scores come from the model
 * and prevalence). Rules match the lower-cased basenames and the lower-cased command line; every
 * regex is a literal with bounded gaps so matching stays linear in the command-line length.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import { textBudget } from '../text_scan';
import { processName } from './names';

export interface TechniqueRef {
  id: string;
  name: string;
}

interface MatchContext {
  parent: string;
  child: string;
  cmd: string;
}

interface MappingRule {
  techniques: TechniqueRef[];
  reason: string;
  test: (c: MatchContext) => boolean;
}

const T = (id: string, name: string): TechniqueRef => ({ id, name });

const POWERSHELL = new Set(['powershell.exe', 'pwsh.exe', 'powershell_ise.exe']);
const SHELLS = new Set([
  'cmd.exe',
  'powershell.exe',
  'pwsh.exe',
  'wscript.exe',
  'cscript.exe',
  'mshta.exe',
  'rundll32.exe',
  'regsvr32.exe',
  'certutil.exe',
  'bitsadmin.exe',
  'schtasks.exe',
  'wmic.exe',
  'msbuild.exe',
  'installutil.exe',
  'hh.exe',
]);
const OFFICE = new Set([
  'winword.exe',
  'excel.exe',
  'powerpnt.exe',
  'outlook.exe',
  'msaccess.exe',
  'mspub.exe',
  'onenote.exe',
  'visio.exe',
]);
const UAC_BYPASS_HOSTS = new Set([
  'fodhelper.exe',
  'eventvwr.exe',
  'computerdefaults.exe',
  'sdclt.exe',
  'slui.exe',
]);
const NET = new Set(['net.exe', 'net1.exe']);

const has = (s: string, ...parts: string[]): boolean => parts.every((p) => s.includes(p));

// PowerShell accepts any unambiguous prefix of -EncodedCommand, down to -e / -ec.
const ENCODED =
  /(?:^|\s)[-/]e(?:c|n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?\s+[a-z0-9+/=]{16,}/;

export const ATTACK_RULES: readonly MappingRule[] = [
  {
    techniques: [T('T1027', 'Obfuscated Files or Information'), T('T1059.001', 'PowerShell')],
    reason: 'PowerShell with an encoded command',
    test: (c) => POWERSHELL.has(c.child) && ENCODED.test(c.cmd),
  },
  {
    techniques: [T('T1059.001', 'PowerShell'), T('T1105', 'Ingress Tool Transfer')],
    reason: 'PowerShell downloading content',
    test: (c) =>
      POWERSHELL.has(c.child) &&
      /downloadstring|downloadfile|downloaddata|invoke-webrequest|\biwr\b|start-bitstransfer|net\.webclient/.test(
        c.cmd,
      ),
  },
  {
    techniques: [T('T1059.001', 'PowerShell')],
    reason: 'PowerShell evaluating a string (IEX)',
    test: (c) => POWERSHELL.has(c.child) && /\biex\b|invoke-expression/.test(c.cmd),
  },
  {
    techniques: [T('T1566.001', 'Spearphishing Attachment'), T('T1204.002', 'Malicious File')],
    reason: 'Office application starting a shell or script host',
    test: (c) => OFFICE.has(c.parent) && SHELLS.has(c.child),
  },
  {
    techniques: [T('T1218.005', 'Mshta')],
    reason: 'mshta.exe executing script or HTA content',
    test: (c) => c.child === 'mshta.exe',
  },
  {
    techniques: [T('T1218.010', 'Regsvr32')],
    reason: 'regsvr32 loading a scriptlet (scrobj / /i:)',
    test: (c) => c.child === 'regsvr32.exe' && (c.cmd.includes('scrobj') || /[/-]i:/.test(c.cmd)),
  },
  {
    techniques: [T('T1003.001', 'LSASS Memory')],
    reason: 'rundll32 comsvcs.dll MiniDump (LSASS dump)',
    test: (c) => c.child === 'rundll32.exe' && has(c.cmd, 'comsvcs', 'minidump'),
  },
  {
    techniques: [T('T1003.001', 'LSASS Memory')],
    reason: 'process dump of lsass',
    test: (c) => /procdump|sqldumper|createdump/.test(c.child) && c.cmd.includes('lsass'),
  },
  {
    techniques: [T('T1003.003', 'NTDS')],
    reason: 'ntdsutil IFM / NTDS copy',
    test: (c) =>
      (c.child === 'ntdsutil.exe' && /ifm|create full|ntds/.test(c.cmd)) ||
      (c.child === 'vssadmin.exe' && has(c.cmd, 'create', 'shadow')),
  },
  {
    techniques: [T('T1003.002', 'Security Account Manager')],
    reason: 'saving the SAM/SYSTEM hive',
    test: (c) =>
      c.child === 'reg.exe' &&
      /\bsave\b/.test(c.cmd) &&
      /hklm\\(sam|system|security)\b/.test(c.cmd),
  },
  {
    techniques: [T('T1105', 'Ingress Tool Transfer')],
    reason: 'certutil downloading a file',
    test: (c) =>
      c.child === 'certutil.exe' && (c.cmd.includes('urlcache') || c.cmd.includes('verifyctl')),
  },
  {
    techniques: [T('T1140', 'Deobfuscate/Decode Files or Information')],
    reason: 'certutil decoding a file',
    test: (c) => c.child === 'certutil.exe' && /[-/]decode/.test(c.cmd),
  },
  {
    techniques: [T('T1197', 'BITS Jobs'), T('T1105', 'Ingress Tool Transfer')],
    reason: 'bitsadmin transfer job',
    test: (c) => c.child === 'bitsadmin.exe' && /\/transfer|\/addfile|\/create/.test(c.cmd),
  },
  {
    techniques: [T('T1047', 'Windows Management Instrumentation')],
    reason: 'wmic process call create',
    test: (c) => c.child === 'wmic.exe' && has(c.cmd, 'process', 'call', 'create'),
  },
  {
    techniques: [T('T1047', 'Windows Management Instrumentation')],
    reason: 'shell started by the WMI provider host',
    test: (c) => c.parent === 'wmiprvse.exe' && SHELLS.has(c.child),
  },
  {
    techniques: [T('T1053.005', 'Scheduled Task')],
    reason: 'schtasks creating or changing a task',
    test: (c) => c.child === 'schtasks.exe' && /\/create|\/change/.test(c.cmd),
  },
  {
    techniques: [T('T1569.002', 'Service Execution'), T('T1021.002', 'SMB/Windows Admin Shares')],
    reason: 'PsExec service',
    test: (c) => c.child === 'psexesvc.exe' || c.parent === 'psexesvc.exe',
  },
  {
    techniques: [T('T1569.002', 'Service Execution')],
    reason: 'sc.exe creating or starting a service',
    test: (c) => c.child === 'sc.exe' && /\bcreate\b|\bstart\b|\bconfig\b/.test(c.cmd),
  },
  {
    techniques: [T('T1490', 'Inhibit System Recovery')],
    reason: 'deleting shadow copies or disabling recovery',
    test: (c) =>
      (c.child === 'vssadmin.exe' && has(c.cmd, 'delete', 'shadows')) ||
      (c.child === 'wmic.exe' && has(c.cmd, 'shadowcopy', 'delete')) ||
      (c.child === 'bcdedit.exe' && /recoveryenabled|bootstatuspolicy/.test(c.cmd)) ||
      (c.child === 'wbadmin.exe' && c.cmd.includes('delete')),
  },
  {
    techniques: [T('T1136.001', 'Local Account')],
    reason: 'net user /add',
    test: (c) => NET.has(c.child) && /\buser\b/.test(c.cmd) && c.cmd.includes('/add'),
  },
  {
    techniques: [T('T1087', 'Account Discovery')],
    reason: 'net user/group/localgroup enumeration',
    test: (c) =>
      NET.has(c.child) &&
      /\b(user|group|localgroup|accounts)\b/.test(c.cmd) &&
      !c.cmd.includes('/add'),
  },
  {
    techniques: [T('T1069', 'Permission Groups Discovery')],
    reason: 'net group/localgroup',
    test: (c) =>
      NET.has(c.child) && /\b(group|localgroup)\b/.test(c.cmd) && !c.cmd.includes('/add'),
  },
  {
    techniques: [T('T1018', 'Remote System Discovery')],
    reason: 'net view',
    test: (c) => NET.has(c.child) && /\bview\b/.test(c.cmd),
  },
  {
    techniques: [T('T1033', 'System Owner/User Discovery')],
    reason: 'whoami',
    test: (c) => c.child === 'whoami.exe',
  },
  {
    techniques: [T('T1482', 'Domain Trust Discovery')],
    reason: 'nltest',
    test: (c) => c.child === 'nltest.exe',
  },
  {
    techniques: [T('T1082', 'System Information Discovery')],
    reason: 'systeminfo',
    test: (c) => c.child === 'systeminfo.exe',
  },
  {
    techniques: [T('T1016', 'System Network Configuration Discovery')],
    reason: 'ipconfig / route / arp',
    test: (c) => c.child === 'ipconfig.exe' || c.child === 'route.exe' || c.child === 'arp.exe',
  },
  {
    techniques: [T('T1049', 'System Network Connections Discovery')],
    reason: 'netstat',
    test: (c) => c.child === 'netstat.exe',
  },
  {
    techniques: [T('T1057', 'Process Discovery')],
    reason: 'tasklist',
    test: (c) => c.child === 'tasklist.exe',
  },
  {
    techniques: [T('T1547.001', 'Registry Run Keys / Startup Folder')],
    reason: 'reg add to a Run key',
    test: (c) => c.child === 'reg.exe' && /\badd\b/.test(c.cmd) && /\\run(once)?\b/.test(c.cmd),
  },
  {
    techniques: [T('T1112', 'Modify Registry')],
    reason: 'reg add',
    test: (c) => c.child === 'reg.exe' && /\badd\b/.test(c.cmd),
  },
  {
    techniques: [T('T1070.001', 'Clear Windows Event Logs')],
    reason: 'wevtutil clearing a log',
    test: (c) => c.child === 'wevtutil.exe' && /\b(cl|clear-log)\b/.test(c.cmd),
  },
  {
    techniques: [T('T1562.002', 'Disable Windows Event Logging')],
    reason: 'audit policy or event-log service change',
    test: (c) =>
      (c.child === 'auditpol.exe' && /\/set|\/clear|\/remove/.test(c.cmd)) ||
      (c.child === 'wevtutil.exe' && /\bsl\b/.test(c.cmd)) ||
      (c.cmd.includes('eventlog') &&
        (/\bstop\b|start= ?disabled/.test(c.cmd) ||
          (c.cmd.includes('/v start') && /\/d 4\b/.test(c.cmd)))),
  },
  {
    techniques: [T('T1562.004', 'Disable or Modify System Firewall')],
    reason: 'netsh firewall change',
    test: (c) =>
      c.child === 'netsh.exe' &&
      c.cmd.includes('firewall') &&
      /\badd\b|\bset\b|\bdelete\b/.test(c.cmd),
  },
  {
    techniques: [T('T1562.001', 'Disable or Modify Tools')],
    reason: 'Defender preferences changed',
    test: (c) => POWERSHELL.has(c.child) && /set-mppreference|add-mppreference/.test(c.cmd),
  },
  {
    techniques: [T('T1548.002', 'Bypass User Account Control')],
    reason: 'auto-elevating binary starting a shell (UAC bypass)',
    test: (c) => UAC_BYPASS_HOSTS.has(c.parent) && SHELLS.has(c.child),
  },
  {
    techniques: [T('T1218.003', 'CMSTP')],
    reason: 'cmstp.exe with an INF',
    test: (c) => c.child === 'cmstp.exe',
  },
  {
    techniques: [T('T1218.004', 'InstallUtil')],
    reason: 'InstallUtil',
    test: (c) => c.child === 'installutil.exe',
  },
  {
    techniques: [T('T1127.001', 'MSBuild')],
    reason: 'MSBuild',
    test: (c) => c.child === 'msbuild.exe',
  },
  {
    techniques: [T('T1218.001', 'Compiled HTML File')],
    reason: 'hh.exe',
    test: (c) => c.child === 'hh.exe',
  },
  {
    techniques: [T('T1218.002', 'Control Panel')],
    reason: 'control.exe loading a .cpl',
    test: (c) => c.child === 'control.exe' && c.cmd.includes('.cpl'),
  },
  {
    techniques: [T('T1218.011', 'Rundll32')],
    reason: 'rundll32 running script or an unusual entry point',
    test: (c) =>
      c.child === 'rundll32.exe' &&
      /javascript:|vbscript:|url\.dll|advpack|ieadvpack|shell32\.dll,\s*control_rundll/.test(c.cmd),
  },
  {
    techniques: [T('T1059.005', 'Visual Basic')],
    reason: 'Windows Script Host running VBScript',
    test: (c) =>
      (c.child === 'wscript.exe' || c.child === 'cscript.exe') && /\.vb[se]\b/.test(c.cmd),
  },
  {
    techniques: [T('T1059.007', 'JavaScript')],
    reason: 'Windows Script Host running JScript',
    test: (c) =>
      (c.child === 'wscript.exe' || c.child === 'cscript.exe') && /\.js[e]?\b/.test(c.cmd),
  },
  {
    techniques: [T('T1021.006', 'Windows Remote Management')],
    reason: 'started by the PowerShell remoting host',
    test: (c) => c.parent === 'wsmprovhost.exe',
  },
  {
    techniques: [T('T1021.003', 'Distributed Component Object Model')],
    reason: 'shell started by a DCOM-activated application',
    test: (c) =>
      (c.parent === 'mmc.exe' || OFFICE.has(c.parent)) &&
      SHELLS.has(c.child) &&
      c.cmd.includes('embedding'),
  },
];

export interface TechniqueMatch extends TechniqueRef {
  reason: string;
}

/** Techniques suggested by one event (deduplicated by id; first reason wins). */
export function techniquesForEvent(e: ProcessEvent): TechniqueMatch[] {
  const ctx: MatchContext = {
    parent: processName(e.process.parent.name ?? e.process.parent.executable),
    child: processName(e.process.name ?? e.process.executable),
    // Within the text budget: a 6 MB forged command line overflowed the regex engine here.
    cmd: textBudget(e.process.command_line ?? e.process.args?.join(' ') ?? '').toLowerCase(),
  };
  const out = new Map<string, TechniqueMatch>();
  for (const rule of ATTACK_RULES) {
    if (!rule.test(ctx)) continue;
    for (const t of rule.techniques)
      if (!out.has(t.id)) out.set(t.id, { ...t, reason: rule.reason });
  }
  return [...out.values()];
}
