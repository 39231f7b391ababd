/**
 * Power and logon lifecycle of a host: the boot chain (System → smss → csrss/wininit/winlogon →
 * services/lsass → svchost groups and service executables), interactive and RDP sessions
 * (winlogon → userinit → explorer and the per-user startup fan-out), logoff and shutdown.
 */
import { BIN, appHost, type BinaryDef } from './catalog';
import {
  DAY_MS,
  LOCAL_SERVICE,
  NETWORK_SERVICE,
  SYSTEM,
  appPoolAccount,
  dayPlan,
  dwmAccount,
  umfdAccount,
  type Account,
  type SessionPlan,
} from './environment';
import type { BootState, HostSim, ProcNode, SessionState } from './host_sim';

const SVCHOST = 'C:\\Windows\\system32\\svchost.exe';

interface SvcDef {
  key: string;
  args: string;
  account: Account;
  /** Seconds after services.exe starts (delayed-start services come late). */
  delay: [number, number];
  only?: 'workstation' | 'server' | 'dc' | 'web' | 'notws';
}

/** The service-host split of a Windows 10 / Server 2019+ machine with enough memory. */
const SVCHOSTS: SvcDef[] = [
  { key: 'DcomLaunch', args: '-k DcomLaunch -p', account: SYSTEM, delay: [0.2, 0.6] },
  { key: 'RPCSS', args: '-k RPCSS -p', account: NETWORK_SERVICE, delay: [0.5, 1.2] },
  {
    key: 'lmhosts',
    args: '-k LocalServiceNetworkRestricted -p -s lmhosts',
    account: LOCAL_SERVICE,
    delay: [1, 3],
  },
  {
    key: 'EventLog',
    args: '-k LocalServiceNetworkRestricted -p -s EventLog',
    account: LOCAL_SERVICE,
    delay: [1, 3],
  },
  {
    key: 'Dhcp',
    args: '-k LocalServiceNetworkRestricted -p -s Dhcp',
    account: LOCAL_SERVICE,
    delay: [1, 3],
  },
  { key: 'nsi', args: '-k LocalService -p -s nsi', account: LOCAL_SERVICE, delay: [1, 3] },
  {
    key: 'EventSystem',
    args: '-k LocalService -p -s EventSystem',
    account: LOCAL_SERVICE,
    delay: [1, 4],
  },
  { key: 'Themes', args: '-k netsvcs -p -s Themes', account: SYSTEM, delay: [1, 4] },
  { key: 'SENS', args: '-k netsvcs -p -s SENS', account: SYSTEM, delay: [1, 4] },
  { key: 'ProfSvc', args: '-k netsvcs -p -s ProfSvc', account: SYSTEM, delay: [1, 4] },
  { key: 'UserManager', args: '-k netsvcs -p -s UserManager', account: SYSTEM, delay: [1, 4] },
  { key: 'Schedule', args: '-k netsvcs -p -s Schedule', account: SYSTEM, delay: [1, 4] },
  { key: 'gpsvc', args: '-k netsvcs -p -s gpsvc', account: SYSTEM, delay: [1, 4] },
  { key: 'Winmgmt', args: '-k netsvcs -p -s Winmgmt', account: SYSTEM, delay: [1, 5] },
  { key: 'Appinfo', args: '-k netsvcs -p -s Appinfo', account: SYSTEM, delay: [2, 6] },
  { key: 'iphlpsvc', args: '-k NetSvcs -p -s iphlpsvc', account: SYSTEM, delay: [2, 6] },
  { key: 'LanmanServer', args: '-k smbsvcs -s LanmanServer', account: SYSTEM, delay: [2, 6] },
  {
    key: 'ShellHWDetection',
    args: '-k netsvcs -p -s ShellHWDetection',
    account: SYSTEM,
    delay: [2, 6],
  },
  {
    key: 'Dnscache',
    args: '-k NetworkService -p -s Dnscache',
    account: NETWORK_SERVICE,
    delay: [1, 4],
  },
  {
    key: 'LanmanWorkstation',
    args: '-k NetworkService -p -s LanmanWorkstation',
    account: NETWORK_SERVICE,
    delay: [1, 4],
  },
  {
    key: 'CryptSvc',
    args: '-k NetworkService -p -s CryptSvc',
    account: NETWORK_SERVICE,
    delay: [1, 4],
  },
  {
    key: 'NlaSvc',
    args: '-k NetworkService -p -s NlaSvc',
    account: NETWORK_SERVICE,
    delay: [1, 4],
  },
  {
    key: 'BFE',
    args: '-k LocalServiceNoNetworkFirewall -p',
    account: LOCAL_SERVICE,
    delay: [1, 4],
  },
  { key: 'W32Time', args: '-k LocalService -s W32Time', account: LOCAL_SERVICE, delay: [2, 6] },
  {
    key: 'TrkWks',
    args: '-k LocalSystemNetworkRestricted -p -s TrkWks',
    account: SYSTEM,
    delay: [2, 6],
  },
  {
    key: 'SysMain',
    args: '-k LocalSystemNetworkRestricted -p -s SysMain',
    account: SYSTEM,
    delay: [2, 8],
    only: 'workstation',
  },
  {
    key: 'PcaSvc',
    args: '-k LocalSystemNetworkRestricted -p -s PcaSvc',
    account: SYSTEM,
    delay: [3, 9],
  },
  {
    key: 'FontCache',
    args: '-k LocalService -p -s FontCache',
    account: LOCAL_SERVICE,
    delay: [2, 6],
  },
  { key: 'DiagTrack', args: '-k utcsvc -p', account: SYSTEM, delay: [4, 12] },
  {
    key: 'StateRepository',
    args: '-k appmodel -p -s StateRepository',
    account: SYSTEM,
    delay: [2, 8],
  },
  {
    key: 'TabletInputService',
    args: '-k LocalSystemNetworkRestricted -p -s TabletInputService',
    account: SYSTEM,
    delay: [3, 9],
    only: 'workstation',
  },
  {
    key: 'AudioSrv',
    args: '-k LocalServiceNetworkRestricted -p -s AudioSrv',
    account: LOCAL_SERVICE,
    delay: [2, 6],
    only: 'workstation',
  },
  {
    key: 'WlanSvc',
    args: '-k LocalSystemNetworkRestricted -p -s WlanSvc',
    account: SYSTEM,
    delay: [2, 6],
    only: 'workstation',
  },
  {
    key: 'TermService',
    args: '-k termsvcs -s TermService',
    account: NETWORK_SERVICE,
    delay: [2, 6],
  },
  { key: 'SessionEnv', args: '-k netsvcs -p -s SessionEnv', account: SYSTEM, delay: [2, 6] },
  {
    key: 'WinRM',
    args: '-k NetworkService -p -s WinRM',
    account: NETWORK_SERVICE,
    delay: [5, 15],
    only: 'notws',
  },
  { key: 'CDPSvc', args: '-k LocalService -p -s CDPSvc', account: LOCAL_SERVICE, delay: [20, 60] },
  { key: 'WpnService', args: '-k netsvcs -p -s WpnService', account: SYSTEM, delay: [20, 60] },
  { key: 'iissvcs', args: '-k iissvcs', account: SYSTEM, delay: [5, 15], only: 'web' },
  { key: 'DsmSvc', args: '-k netsvcs -p -s DsmSvc', account: SYSTEM, delay: [60, 150] },
  { key: 'wuauserv', args: '-k netsvcs -p -s wuauserv', account: SYSTEM, delay: [90, 240] },
];

function applies(only: SvcDef['only'], sim: HostSim): boolean {
  const h = sim.host;
  switch (only) {
    case undefined:
      return true;
    case 'workstation':
      return h.role === 'workstation';
    case 'server':
      return h.role === 'server';
    case 'dc':
      return h.role === 'dc';
    case 'web':
      return h.serverKind === 'web';
    case 'notws':
      return h.role !== 'workstation';
  }
}

function keep(boot: BootState, key: string, node: ProcNode): ProcNode {
  boot.named.set(key, node);
  return node;
}

function smssInstance(sim: HostSim, parent: ProcNode, t: number, session: number): ProcNode {
  const smssHex = parent.pid.toString(16).padStart(8, '0');
  return sim.spawn(
    parent,
    t,
    {
      bin: BIN.smss,
      cmd: `\\SystemRoot\\System32\\smss.exe ${session.toString(16).padStart(8, '0')} ${smssHex} `,
      cwd: 'C:\\Windows\\',
    },
    true,
  );
}

const CSRSS_CMD =
  '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16';

/** csrss + winlogon (+ LogonUI, dwm, font host) for a new interactive session. */
function createSessionShell(
  sim: HostSim,
  t: number,
  session: number,
  bootPhase: boolean,
): ProcNode {
  const boot = sim.boot as BootState;
  const rng = sim.rng;
  const inst = smssInstance(sim, boot.smss, t, session);
  sim.spawn(
    inst,
    inst.start + rng.int(20, 120),
    { bin: BIN.csrss, cmd: CSRSS_CMD, session, persistent: true },
    bootPhase,
  );
  const winlogon = sim.spawn(
    inst,
    inst.start + rng.int(150, 600),
    { bin: BIN.winlogon, cmd: 'winlogon.exe', session, persistent: true },
    bootPhase,
  );
  sim.spawn(winlogon, winlogon.start + rng.int(100, 700), {
    bin: BIN.fontdrvhost,
    cmd: '"fontdrvhost.exe"',
    account: umfdAccount(session),
    integrity: 'AppContainer',
    persistent: true,
  });
  sim.spawn(winlogon, winlogon.start + rng.int(400, 1800), {
    bin: BIN.dwm,
    cmd: '"dwm.exe"',
    account: dwmAccount(session),
    integrity: 'System',
    persistent: true,
  });
  sim.spawn(winlogon, winlogon.start + rng.int(600, 2500), {
    bin: BIN.logonui,
    cmd: `"LogonUI.exe" /flags:0x2 /state0:0x${rng.hex(8)} /state1:0x41c64e6d`,
  });
  return winlogon;
}

function startService(
  sim: HostSim,
  services: ProcNode,
  t: number,
  bin: BinaryDef,
  cmd: string,
  account: Account,
  key: string,
): ProcNode {
  const boot = sim.boot as BootState;
  const node = sim.spawn(services, t, { bin, cmd, account, persistent: true });
  return keep(boot, key, node);
}

export function powerUp(sim: HostSim, t: number): void {
  const rng = sim.rng;
  const host = sim.host;
  const bootId = ++sim.bootCount;
  sim.resetBootPids();
  sim.activity = 'boot';
  sim.bootPhase = true;
  const system = sim.makeSystemRoot(t, bootId);
  const smss = sim.spawn(
    system,
    t + rng.int(1500, 4500),
    {
      bin: BIN.smss,
      cmd: '\\SystemRoot\\System32\\smss.exe',
      cwd: 'C:\\Windows\\',
      persistent: true,
      account: SYSTEM,
      integrity: 'System',
    },
    true,
  );
  const boot: BootState = {
    id: bootId,
    at: t,
    system,
    smss,
    svc: new Map(),
    named: new Map(),
    consoleSession: 1,
    nextSession: 2,
  };
  sim.boot = boot;
  sim.sessions = [];

  // Session 0: csrss + wininit → services, lsass.
  const inst0 = smssInstance(sim, smss, smss.start + rng.int(200, 900), 0);
  sim.spawn(
    inst0,
    inst0.start + rng.int(20, 150),
    { bin: BIN.csrss, cmd: CSRSS_CMD, persistent: true },
    true,
  );
  const wininit = sim.spawn(
    inst0,
    inst0.start + rng.int(150, 500),
    { bin: BIN.wininit, cmd: 'wininit.exe', persistent: true },
    true,
  );
  boot.wininit = wininit;
  const services = sim.spawn(
    wininit,
    wininit.start + rng.int(100, 400),
    { bin: BIN.services, cmd: 'C:\\Windows\\system32\\services.exe', persistent: true },
    true,
  );
  boot.services = services;
  boot.lsass = sim.spawn(
    wininit,
    wininit.start + rng.int(150, 500),
    { bin: BIN.lsass, cmd: 'C:\\Windows\\system32\\lsass.exe', persistent: true },
    true,
  );
  sim.spawn(wininit, wininit.start + rng.int(200, 700), {
    bin: BIN.fontdrvhost,
    cmd: '"fontdrvhost.exe"',
    account: umfdAccount(0),
    integrity: 'AppContainer',
    persistent: true,
  });

  // Session 1 (console) comes up in parallel.
  boot.consoleWinlogon = createSessionShell(sim, smss.start + rng.int(400, 1500), 1, true);

  for (const s of SVCHOSTS) {
    if (!applies(s.only, sim)) continue;
    const at = services.start + Math.round(rng.float(s.delay[0], s.delay[1]) * 1000);
    const node = sim.spawn(services, at, {
      bin: BIN.svchost,
      cmd: `${SVCHOST} ${s.args}`,
      account: s.account,
      persistent: true,
    });
    boot.svc.set(s.key, node);
  }

  const at = (lo: number, hi: number): number =>
    services.start + Math.round(rng.float(lo, hi) * 1000);
  startService(
    sim,
    services,
    at(3, 8),
    BIN.spoolsv,
    'C:\\Windows\\System32\\spoolsv.exe',
    SYSTEM,
    'spoolsv',
  );
  startService(sim, services, at(3, 10), BIN.msmpeng, `"${BIN.msmpeng.path}"`, SYSTEM, 'msmpeng');
  startService(
    sim,
    services,
    at(8, 20),
    BIN.nissrv,
    `"${BIN.nissrv.path}"`,
    LOCAL_SERVICE,
    'nissrv',
  );
  startService(
    sim,
    services,
    at(5, 15),
    BIN.securityhealthservice,
    'C:\\Windows\\system32\\SecurityHealthService.exe',
    SYSTEM,
    'securityhealth',
  );
  startService(
    sim,
    services,
    at(4, 12),
    BIN.vmtoolsd,
    `"${BIN.vmtoolsd.path}"`,
    SYSTEM,
    'vmtoolsd',
  );
  startService(
    sim,
    services,
    at(10, 40),
    BIN.ccmexec,
    'C:\\Windows\\CCM\\CcmExec.exe',
    SYSTEM,
    'ccmexec',
  );
  if (sim.rng.chance(0.9) || host.role !== 'workstation') {
    startService(
      sim,
      services,
      at(10, 40),
      BIN.invagent,
      `"${BIN.invagent.path}" -service`,
      SYSTEM,
      'invagent',
    );
  }
  if (host.role === 'workstation') {
    startService(
      sim,
      services,
      at(5, 15),
      BIN.searchindexer,
      'C:\\Windows\\system32\\SearchIndexer.exe /Embedding',
      SYSTEM,
      'searchindexer',
    );
    startService(
      sim,
      services,
      at(5, 15),
      BIN.officeclicktorun,
      `"${BIN.officeclicktorun.path}" /service`,
      SYSTEM,
      'officeclicktorun',
    );
  } else {
    const hs = startService(
      sim,
      services,
      at(10, 30),
      BIN.healthservice,
      `"${BIN.healthservice.path}"`,
      SYSTEM,
      'healthservice',
    );
    keep(
      boot,
      'monitoringhost',
      sim.spawn(hs, hs.start + rng.int(3000, 20_000), {
        bin: BIN.monitoringhost,
        cmd: `"${BIN.monitoringhost.path}" -Embedding`,
        cwd: 'C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\',
        account: sim.env.service.monitor,
        integrity: 'High',
        elevation: 'full',
        persistent: true,
      }),
    );
    startService(
      sim,
      services,
      at(10, 40),
      BIN.backupAgent,
      `"${BIN.backupAgent.path}"`,
      SYSTEM,
      'backup',
    );
  }
  if (host.role === 'dc') {
    startService(sim, services, at(2, 6), BIN.dns, 'C:\\Windows\\system32\\dns.exe', SYSTEM, 'dns');
    startService(
      sim,
      services,
      at(2, 6),
      BIN.dfsrs,
      'C:\\Windows\\system32\\DFSRs.exe',
      SYSTEM,
      'dfsrs',
    );
    startService(
      sim,
      services,
      at(2, 6),
      BIN.ismserv,
      'C:\\Windows\\System32\\ismserv.exe',
      SYSTEM,
      'ismserv',
    );
    startService(sim, services, at(5, 15), BIN.adws, BIN.adws.path, SYSTEM, 'adws');
    // Domain controllers upgraded in place from 2008 R2 still replicate SYSVOL with FRS.
    if (host.os === 'srv2019' && host.index % 2 === 0) {
      startService(
        sim,
        services,
        at(2, 6),
        BIN.ntfrs,
        'C:\\Windows\\system32\\ntfrs.exe',
        SYSTEM,
        'ntfrs',
      );
    }
  }
  if (host.serverKind === 'sql') {
    startService(
      sim,
      services,
      at(5, 15),
      BIN.sqlservr,
      `"${BIN.sqlservr.path}" -sMSSQLSERVER`,
      sim.env.service.sql,
      'sqlservr',
    );
    startService(
      sim,
      services,
      at(15, 40),
      BIN.sqlagent,
      `"${BIN.sqlagent.path}" -i MSSQLSERVER`,
      sim.env.service.sqlAgent,
      'sqlagent',
    );
    startService(
      sim,
      services,
      at(5, 15),
      BIN.sqlwriter,
      `"${BIN.sqlwriter.path}"`,
      SYSTEM,
      'sqlwriter',
    );
  }
  if (host.serverKind === 'app') {
    startService(
      sim,
      services,
      at(10, 30),
      BIN.orderservice,
      `"${BIN.orderservice.path}"`,
      NETWORK_SERVICE,
      'orderservice',
    );
  }
  if (host.serverKind === 'file') {
    startService(
      sim,
      services,
      at(5, 15),
      BIN.searchindexer,
      'C:\\Windows\\system32\\SearchIndexer.exe /Embedding',
      SYSTEM,
      'searchindexer',
    );
  }
  const iis = boot.svc.get('iissvcs');
  if (iis) {
    for (const pool of ['DefaultAppPool', 'Intranet', 'api']) {
      w3wpStart(sim, iis, iis.start + rng.int(20_000, 240_000), pool);
    }
  }
  // A WMI provider host and a scheduled-task host appear within the first minutes of every boot.
  const dcom = boot.svc.get('DcomLaunch');
  if (dcom) {
    const w = sim.spawn(dcom, services.start + rng.int(15_000, 60_000), {
      bin: BIN.wmiprvse,
      cmd: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
      account: NETWORK_SERVICE,
    });
    boot.wmiprvse = { node: w, until: w.start + rng.int(5, 20) * 60_000 };
  }
  const sched = boot.svc.get('Schedule');
  if (sched) {
    sim.spawn(sched, services.start + rng.int(30_000, 120_000), {
      bin: BIN.taskhostw,
      cmd: 'taskhostw.exe SYSTEM',
      account: SYSTEM,
    });
  }
  const wu = boot.svc.get('wuauserv');
  if (wu)
    sim.spawn(services, wu.start + rng.int(30_000, 200_000), {
      bin: BIN.sppsvc,
      cmd: 'C:\\Windows\\system32\\sppsvc.exe',
      account: NETWORK_SERVICE,
    });
  sim.bootPhase = false;
  sim.activity = 'background';
}

export function w3wpStart(sim: HostSim, iis: ProcNode, t: number, pool: string): ProcNode {
  const boot = sim.boot as BootState;
  const node = sim.spawn(iis, t, {
    bin: BIN.w3wp,
    cmd: `c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "${pool}" -v "v4.0" -l "webengine4.dll" -a \\\\.\\pipe\\iisipm${sim.rng.guid()} -h "C:\\inetpub\\temp\\apppools\\${pool}\\${pool}.config" -w "" -m 0 -t 20 -ta 0`,
    account: appPoolAccount(pool),
    integrity: 'High',
    cwd: 'C:\\Windows\\system32\\',
    persistent: true,
  });
  boot.named.set(`w3wp:${pool}`, node);
  return node;
}

export function powerDown(sim: HostSim, t: number): void {
  const boot = sim.boot;
  if (!boot) return;
  sim.discardPendingFrom(t, boot.id);
  sim.boot = null;
  sim.sessions = [];
}

function userServiceSuffix(sim: HostSim): string {
  return sim.rng.hex(5);
}

export function logon(sim: HostSim, plan: SessionPlan): void {
  const boot = sim.boot;
  if (!boot || !boot.services) return;
  const rng = sim.rng;
  sim.activity = 'logon';
  const t = plan.logon;
  let winlogon: ProcNode;
  let sessionId: number;
  if (plan.kind === 'console' && boot.consoleWinlogon) {
    winlogon = boot.consoleWinlogon;
    sessionId = boot.consoleSession;
    boot.consoleWinlogon = undefined;
  } else {
    sessionId = boot.nextSession++;
    winlogon = createSessionShell(sim, t - rng.int(3000, 9000), sessionId, false);
  }
  const account = plan.account;
  const logonInfo = sim.newLogon(t);
  const admin = plan.kind === 'rdp' || plan.person.it;
  const base = {
    account,
    session: sessionId,
    logon: logonInfo,
    integrity: 'Medium' as const,
    elevation: admin ? ('limited' as const) : ('default' as const),
  };
  const userinit = sim.spawn(winlogon, t + rng.int(800, 3000), {
    ...base,
    bin: BIN.userinit,
    cmd: 'C:\\Windows\\system32\\userinit.exe',
    cwd: 'C:\\Windows\\system32\\',
  });
  const explorer = sim.spawn(userinit, userinit.start + rng.int(250, 1200), {
    ...base,
    bin: BIN.explorer,
    cmd: 'C:\\Windows\\Explorer.EXE',
    cwd: 'C:\\Windows\\system32\\',
    persistent: true,
  });
  const session: SessionState = {
    id: sessionId,
    person: plan.person,
    account,
    kind: plan.kind,
    logon: logonInfo,
    logonAt: t,
    logoffAt: plan.logoff,
    winlogon,
    explorer,
    apps: new Map(),
    elevatedAccount: account,
  };
  sim.sessions.push(session);
  const userBase = { ...base, cwd: 'C:\\Windows\\system32\\' };
  const svc = (k: string): ProcNode | undefined => boot.svc.get(k);
  const um = svc('UserManager');
  if (um)
    sim.spawn(um, t + rng.int(500, 2500), {
      ...userBase,
      bin: BIN.sihost,
      cmd: 'sihost.exe',
      persistent: true,
    });
  const sched = svc('Schedule');
  if (sched) {
    sim.spawn(sched, t + rng.int(600, 3000), {
      ...userBase,
      bin: BIN.taskhostw,
      cmd: 'taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}',
      persistent: true,
    });
  }
  const suffix = userServiceSuffix(sim);
  for (const group of [
    '-k UnistackSvcGroup -s CDPUserSvc_',
    '-k ClipboardSvcGroup -p -s cbdhsvc_',
    '-k UnistackSvcGroup -s WpnUserService_',
  ]) {
    sim.spawn(boot.services, t + rng.int(1000, 4000), {
      ...userBase,
      bin: BIN.svchost,
      cmd: `${SVCHOST} ${group}${suffix}`,
      persistent: true,
    });
  }
  const tablet = svc('TabletInputService');
  if (tablet)
    sim.spawn(tablet, t + rng.int(1500, 5000), {
      ...userBase,
      bin: BIN.ctfmon,
      cmd: '"ctfmon.exe"',
      persistent: true,
    });
  const dcom = svc('DcomLaunch');
  if (dcom) {
    sim.spawn(dcom, explorer.start + rng.int(500, 3000), {
      ...userBase,
      bin: BIN.runtimebroker,
      cmd: 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding',
    });
    const appx: Array<[string, string, string]> = [
      [
        'C:\\Windows\\SystemApps\\Microsoft.Windows.StartMenuExperienceHost_cw5n1h2txyewy\\StartMenuExperienceHost.exe',
        '-ServerName:App.AppXywbrabmsek0gm3tkwpr5kwzbs55tkqay.mca',
        'StartMenuExperienceHost.exe',
      ],
      [
        'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\SearchHost.exe',
        '-ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca',
        'SearchHost.exe',
      ],
      [
        'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\TextInputHost.exe',
        '-ServerName:InputApp.AppXjd5de1g66v206tj52m9d0dtpppx4cgpn.mca',
        'TextInputHost.exe',
      ],
    ];
    for (const [path, args, orig] of appx) {
      sim.spawn(dcom, explorer.start + rng.int(800, 6000), {
        ...userBase,
        bin: appHost(path, orig),
        cmd: `"${path}" ${args}`,
        integrity: 'AppContainer',
        persistent: true,
      });
    }
  }
  const ex = { ...base, cwd: 'C:\\Windows\\system32\\' };
  sim.spawn(explorer, explorer.start + rng.int(2000, 8000), {
    ...ex,
    bin: BIN.securityhealthsystray,
    cmd: '"C:\\Windows\\System32\\SecurityHealthSystray.exe" ',
    persistent: true,
  });
  sim.spawn(explorer, explorer.start + rng.int(2000, 9000), {
    ...ex,
    bin: BIN.vmtoolsd,
    cmd: `"${BIN.vmtoolsd.path}" -n vmusr`,
    persistent: true,
  });
  if (plan.kind === 'rdp') {
    const term = svc('TermService');
    if (term) sim.spawn(term, t + rng.int(1500, 4000), { ...ex, bin: BIN.rdpclip, cmd: 'rdpclip' });
    if (sched && sim.host.role !== 'workstation') {
      session.apps.set(
        'servermanager',
        sim.spawn(sched, explorer.start + rng.int(4000, 15_000), {
          ...ex,
          bin: BIN.servermanager,
          cmd: '"C:\\Windows\\system32\\ServerManager.exe" ',
          persistent: true,
        }),
      );
    }
  } else {
    const onedrive = sim.spawn(explorer, explorer.start + rng.int(3000, 12_000), {
      ...ex,
      bin: BIN.onedrive,
      cmd: `"${BIN.onedrive.path.replace('%PROFILE%', account.profile ?? '')}" /background`,
      persistent: true,
    });
    session.apps.set('onedrive', onedrive);
    const upd = sim.spawn(explorer, explorer.start + rng.int(3000, 12_000), {
      ...ex,
      bin: BIN.teamsUpdate,
      cmd: `"${BIN.teamsUpdate.path.replace('%PROFILE%', account.profile ?? '')}" --processStart "Teams.exe" --process-start-args "--system-initiated"`,
    });
    const teams = sim.spawn(upd, upd.start + rng.int(200, 900), {
      ...ex,
      bin: BIN.teams,
      cmd: `"${BIN.teams.path.replace('%PROFILE%', account.profile ?? '')}" --system-initiated`,
      cwd: `${account.profile}\\AppData\\Local\\Microsoft\\Teams\\current\\`,
      persistent: true,
    });
    session.apps.set('teams', teams);
    sim.spawn(explorer, explorer.start + rng.int(3000, 12_000), {
      ...ex,
      bin: BIN.msedge,
      cmd: `"${BIN.msedge.path}" --no-startup-window --win-session-start /prefetch:5`,
    });
    // Group Policy logon script maps the department shares.
    const gp = svc('gpsvc');
    if (gp) {
      const gps = sim.spawn(gp, t + rng.int(2000, 6000), {
        ...ex,
        bin: BIN.gpscript,
        cmd: 'gpscript.exe /Logon',
      });
      const env = sim.env;
      const script = `\\\\${env.domain.fqdn}\\SysVol\\${env.domain.fqdn}\\Policies\\{${gpoGuid(env.seed)}}\\User\\Scripts\\Logon\\map_drives.cmd`;
      const c = sim.spawn(gps, gps.start + rng.int(300, 1500), {
        ...ex,
        bin: BIN.cmd,
        cmd: `C:\\Windows\\system32\\cmd.exe /c ""${script}" "`,
      });
      const fs = env.hosts.find((h) => h.serverKind === 'file');
      const share = fs ? fs.short.toLowerCase() : 'files';
      sim.spawn(c, c.start + rng.int(50, 400), {
        bin: BIN.net,
        cmd: `net  use H: \\\\${share}\\home$\\${account.name} /persistent:no`,
      });
      sim.spawn(c, c.start + rng.int(400, 1200), {
        bin: BIN.net,
        cmd: `net  use S: \\\\${share}\\shared /persistent:no`,
      });
    }
  }
  sim.activity = 'background';
  const hooks = sim.logonHooks.filter((h) => h.sid === account.sid);
  if (hooks.length > 0) {
    sim.logonHooks = sim.logonHooks.filter((h) => h.sid !== account.sid);
    for (const h of hooks) h.run(session);
  }
}

function gpoGuid(seed: string): string {
  // One GPO per simulated domain; derived from the seed so it is stable across hosts.
  let h = 0;
  for (let i = 0; i < seed.length; i++) h = (Math.imul(h, 31) + seed.charCodeAt(i)) >>> 0;
  const x = (h >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `${x}-5E2B-4B3C-9F1D-0C4F${x.slice(0, 8)}`;
}

export function logoff(sim: HostSim, plan: SessionPlan): void {
  const boot = sim.boot;
  const idx = sim.sessions.findIndex((s) => s.logonAt === plan.logon && s.account === plan.account);
  if (idx < 0) return;
  const session = sim.sessions[idx] as SessionState;
  sim.sessions.splice(idx, 1);
  if (session.explorer) sim.releasePid(session.explorer.pid);
  for (const app of session.apps.values()) sim.releasePid(app.pid);
  if (!boot) return;
  if (session.kind === 'console') {
    // Logging off tears the console session down; a fresh one waits at the logon screen.
    sim.activity = 'logon';
    boot.consoleSession = boot.nextSession++;
    boot.consoleWinlogon = createSessionShell(
      sim,
      plan.logoff + sim.rng.int(2000, 6000),
      boot.consoleSession,
      false,
    );
    sim.activity = 'background';
  }
}

export interface TimelinePart {
  t: number;
  run: (sim: HostSim) => void;
}

/**
 * Put each day's power transitions, sessions and planned parts (attack steps, admin jobs) on
 * the agenda at the start of that day, so the agenda never holds more than about a day.
 */
export function installLifecycle(sim: HostSim, partsForDay: (day: number) => TimelinePart[]): void {
  const env = sim.env;
  const planDay = (day: number): void => {
    const plan = dayPlan(env, sim.host, day);
    for (const p of plan.power) {
      sim.schedule(p.t, () =>
        p.up ? (sim.up ? undefined : powerUp(sim, p.t)) : powerDown(sim, p.t),
      );
    }
    for (const s of plan.sessions) {
      sim.schedule(s.logon, () => logon(sim, s));
      sim.schedule(s.logoff, () => logoff(sim, s));
    }
    for (const part of partsForDay(day)) {
      sim.schedule(part.t, () => {
        if (!sim.up) return;
        const saved = sim.activity;
        part.run(sim);
        sim.activity = saved;
      });
    }
    const next = plan.dayStart + DAY_MS;
    if (next < env.endMs) sim.schedule(next, () => planDay(day + 1));
  };
  sim.schedule(env.startMs, () => planDay(0));
}
