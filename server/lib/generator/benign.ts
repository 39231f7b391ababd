/**
 * Benign background activity: recurring sources that fire as Poisson arrivals shaped by time
 * of day, each producing one small process tree. The mix includes benign uses of the same
 * LOLBins the attack scenarios use (encoded PowerShell from monitoring agents, ExecutionPolicy
 * Bypass scripts from Configuration Manager, net/ipconfig/systeminfo from inventory and logon
 * scripts, vssadmin/wbadmin from backups, Office opened from Outlook attachments) so a model
 * cannot separate the classes by image name alone.
 */
import { BIN, type BinaryDef } from './catalog';
import { HOUR_MS, LOCAL_SERVICE, NETWORK_SERVICE, SYSTEM, type HostInfo } from './environment';
import { w3wpStart } from './lifecycle';
import type { BootState, HostSim, ProcNode, SessionState, SpawnSpec } from './host_sim';
import { docName, encodePowerShell, outlookCachePath, q, url, userDocPath } from './text';

type Shape = (t: number) => number;

const flat: Shape = () => 1;

function hourOf(t: number): number {
  return (t % 86_400_000) / HOUR_MS;
}

function isWeekend(t: number): boolean {
  const d = new Date(t).getUTCDay();
  return d === 0 || d === 6;
}

/** Business-hours load on servers: busy by day, quieter at night and weekends. */
const business: Shape = (t) => {
  const h = hourOf(t);
  const base = h >= 7 && h < 19 ? 1 : 0.35;
  return isWeekend(t) ? base * 0.5 : base;
};

/** Maintenance work clusters at night. */
const nightly: Shape = (t) => {
  const h = hourOf(t);
  return h >= 0 && h < 5 ? 1 : 0.1;
};

interface Source {
  name: string;
  applies: (host: HostInfo) => boolean;
  /** Episodes per hour at peak for eventsPerHostDay = 1000. */
  perHour: (host: HostInfo) => number;
  shape: Shape;
  /** Needs an interactive session with a desktop. */
  session?: boolean;
  run: (sim: HostSim, t: number, session: SessionState | undefined) => void;
}

const isWs = (h: HostInfo): boolean => h.role === 'workstation';
const notWs = (h: HostInfo): boolean => h.role !== 'workstation';
const always = (): boolean => true;
const roleRate =
  (ws: number, server: number, dc: number) =>
  (h: HostInfo): number =>
    h.role === 'workstation' ? ws : h.role === 'dc' ? dc : server;

function boot(sim: HostSim): BootState {
  return sim.boot as BootState;
}

/** Services that start on demand (trigger-start) and stop again when idle. */
const TRIGGER_SERVICES = [
  '-k netsvcs -p -s BITS',
  '-k LocalSystemNetworkRestricted -p -s DeviceAssociationService',
  '-k netsvcs -p -s lfsvc',
  '-k netsvcs -p -s TokenBroker',
  '-k LocalServiceNetworkRestricted -p -s TimeBrokerSvc',
  '-k wsappx -p -s AppXSvc',
  '-k wsappx -p -s ClipSVC',
  '-k netsvcs -p -s UsoSvc',
  '-k NetworkService -p -s DoSvc',
  '-k LocalService -p -s LicenseManager',
  '-k LocalSystemNetworkRestricted -p -s StorSvc',
  '-k netsvcs -p -s InstallService',
  '-k LocalService -s WdiServiceHost',
  '-k LocalSystemNetworkRestricted -p -s WdiSystemHost',
  '-k netsvcs -p -s DsSvc',
  '-k LocalServiceNoNetwork -p -s DPS',
  '-k rpcss -p -s RpcEptMapper',
  '-k netsvcs -p -s wlidsvc',
  '-k NetworkService -p -s KeyIso',
  '-k LocalService -p -s SSDPSRV',
];

const DLLHOST_CLSIDS = [
  '{3EB3C877-1F16-487C-9050-104DBCD66683}',
  '{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}',
  '{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}',
  '{E10F6C3A-F1AE-4ADC-AA9D-2FE65525666E}',
  '{776DBC8D-7347-478C-8D71-791E12EF49D8}',
  '{338B40F9-9B61-4E0C-9B2E-2DBE8A2E1E59}',
];

const BG_TASK_SERVERS = [
  '-ServerName:BackgroundTaskHost.WebAccountProvider',
  '-ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca',
  '-ServerName:App.AppXmtcan0h2tfbfy7k9kmg1w2rt1zb8v8e8.mca',
  '-ServerName:Microsoft.Windows.ShellExperienceHost.BackgroundTask',
];

function dcomChild(sim: HostSim, t: number, session: SessionState | undefined): void {
  const b = boot(sim);
  const dcom = b.svc.get('DcomLaunch');
  if (!dcom) return;
  const rng = sim.rng;
  const user = session
    ? {
        account: session.account,
        session: session.id,
        logon: session.logon,
        integrity: 'Medium' as const,
      }
    : {};
  const kind = rng.weightedPairs<string>([
    ['wmiprvse', 3],
    ['dllhost', 3],
    ['bgtask', session ? 3 : 0],
    ['runtimebroker', session ? 2 : 0],
    ['smartscreen', session ? 1 : 0],
    ['mousocore', 1],
    ['tiworker', 0.3],
  ]);
  switch (kind) {
    case 'wmiprvse': {
      // Reuse a live provider host; a new one starts only when the last has idled out.
      if (b.wmiprvse && b.wmiprvse.until > t) {
        b.wmiprvse.until = t + rng.int(2, 10) * 60_000;
        return;
      }
      const node = sim.spawn(dcom, t, {
        bin: BIN.wmiprvse,
        cmd: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
        account: rng.chance(0.7) ? NETWORK_SERVICE : SYSTEM,
      });
      b.wmiprvse = { node, until: node.start + rng.int(2, 10) * 60_000 };
      return;
    }
    case 'dllhost':
      sim.spawn(dcom, t, {
        ...user,
        bin: BIN.dllhost,
        cmd: `C:\\Windows\\system32\\DllHost.exe /Processid:${rng.pick(DLLHOST_CLSIDS)}`,
      });
      return;
    case 'bgtask':
      sim.spawn(dcom, t, {
        ...user,
        bin: BIN.backgroundtaskhost,
        cmd: `"C:\\Windows\\system32\\backgroundTaskHost.exe" ${rng.pick(BG_TASK_SERVERS)}`,
        integrity: 'AppContainer',
      });
      return;
    case 'runtimebroker':
      sim.spawn(dcom, t, {
        ...user,
        bin: BIN.runtimebroker,
        cmd: 'C:\\Windows\\System32\\RuntimeBroker.exe -Embedding',
      });
      return;
    case 'smartscreen':
      sim.spawn(dcom, t, {
        ...user,
        bin: BIN.smartscreen,
        cmd: 'C:\\Windows\\System32\\smartscreen.exe -Embedding',
      });
      return;
    case 'mousocore':
      sim.spawn(dcom, t, {
        bin: BIN.mousocoreworker,
        cmd: 'C:\\Windows\\System32\\mousocoreworker.exe -Embedding',
        account: SYSTEM,
      });
      return;
    default:
      sim.spawn(dcom, t, {
        bin: BIN.tiworker,
        cmd: `${BIN.tiworker.path} -Embedding`,
        account: SYSTEM,
      });
  }
}

function scheduledTask(sim: HostSim, t: number, session: SessionState | undefined): void {
  const b = boot(sim);
  const sched = b.svc.get('Schedule');
  if (!sched) return;
  const rng = sim.rng;
  const ws = sim.host.role === 'workstation';
  const sys = { account: SYSTEM };
  const task = rng.weightedPairs<string>([
    ['defender', 3],
    ['compattel', 1],
    ['usoclient', 2],
    ['wermgr', 1],
    ['dsregcmd', 1],
    ['edgeupdate', 2],
    ['googleupdate', ws ? 2 : 0],
    ['officec2r', ws ? 1.5 : 0],
    ['sdxhelper', ws && session ? 1 : 0],
    ['onedrive', ws && session ? 1.5 : 0],
    ['ccmeval', 1],
    ['defrag', 0.3],
    ['sc_wuauserv', 1],
    ['gpupdate', 0.5],
    ['taskhostw', 2],
    ['certutil_sync', 0.4],
    ['rundll32_task', 1],
  ]);
  switch (task) {
    case 'defender': {
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.mpcmdrun,
        cmd: `"${BIN.mpcmdrun.path}" ${rng.pick(['-IdleTask -TaskName WdCacheMaintenance', '-IdleTask -TaskName WdCleanup', '-IdleTask -TaskName WdVerification', 'SignatureUpdate -ScheduleJob -RestrictPrivileges', '-wdenable'])}`,
      });
      return;
    }
    case 'compattel': {
      const c = sim.spawn(sched, t, {
        ...sys,
        bin: BIN.compattelrunner,
        cmd: 'C:\\Windows\\system32\\compattelrunner.exe',
      });
      for (let i = rng.int(1, 3); i > 0; i--) {
        sim.spawn(c, c.start + rng.int(500, 20_000), {
          bin: BIN.compattelrunner,
          cmd: `C:\\Windows\\system32\\CompatTelRunner.exe -m:${rng.pick(['appraiser.dll -f:DoScheduledTelemetryRun', 'invagent.dll -f:RunUpdate', 'devinv.dll -f:CreateDeviceInventory', 'generaltel.dll -f:DoCensusRun'])} -cv:${rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+')}.${rng.int(1, 9)}`,
        });
      }
      return;
    }
    case 'usoclient':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.usoclient,
        cmd: `C:\\Windows\\system32\\usoclient.exe ${rng.pick(['StartScan', 'StartDownload', 'StartInstall', 'StartOobeAppsScanAfterUpdate', 'RefreshSettings'])}`,
      });
      return;
    case 'wermgr':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.wermgr,
        cmd: 'C:\\Windows\\system32\\wermgr.exe -upload',
      });
      return;
    case 'dsregcmd':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.dsregcmd,
        cmd: 'C:\\Windows\\System32\\dsregcmd.exe $(Arg0) $(Arg1) $(Arg2)',
      });
      return;
    case 'edgeupdate':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.msedgeupdate,
        cmd: `"${BIN.msedgeupdate.path}" ${rng.pick(['/ua /installsource scheduler', '/c', '/ua /installsource scheduler'])}`,
      });
      return;
    case 'googleupdate':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.googleupdate,
        cmd: `"${BIN.googleupdate.path}" /ua /installsource scheduler`,
      });
      return;
    case 'officec2r':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.officec2rclient,
        cmd: `"${BIN.officec2rclient.path}" /frequentupdate SCHEDULEDTASK displaylevel=False`,
      });
      return;
    case 'sdxhelper':
      if (session) {
        sim.spawn(sched, t, {
          account: session.account,
          session: session.id,
          logon: session.logon,
          integrity: 'Medium',
          bin: BIN.sdxhelper,
          cmd: `"${BIN.sdxhelper.path}" /onlogon`,
        });
      }
      return;
    case 'onedrive':
      if (session) {
        sim.spawn(sched, t, {
          account: session.account,
          session: session.id,
          logon: session.logon,
          integrity: 'Medium',
          bin: BIN.onedriveUpdater,
          cmd: `"${BIN.onedriveUpdater.path.replace('%PROFILE%', session.account.profile ?? '')}" /reporting`,
        });
      }
      return;
    case 'ccmeval':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.ccmeval,
        cmd: '"C:\\Windows\\CCM\\CcmEval.exe"',
        cwd: 'C:\\Windows\\CCM\\',
      });
      return;
    case 'defrag':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.defrag,
        cmd: 'C:\\Windows\\system32\\defrag.exe -c -h -o -$',
      });
      return;
    case 'sc_wuauserv':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.sc,
        cmd: 'C:\\Windows\\system32\\sc.exe start wuauserv',
      });
      return;
    case 'gpupdate':
      sim.spawn(sched, t, {
        account: NETWORK_SERVICE,
        bin: BIN.gpupdate,
        cmd: 'gpupdate.exe /target:computer',
      });
      return;
    case 'certutil_sync':
      // Root certificate auto-update: a benign certutil network fetch.
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.certutil,
        cmd: `C:\\Windows\\system32\\certutil.exe -syncWithWU ${rng.pick(['-f', ''])} C:\\Windows\\Temp\\RootCerts`.replace(
          '  ',
          ' ',
        ),
      });
      return;
    case 'rundll32_task':
      sim.spawn(sched, t, {
        ...sys,
        bin: BIN.rundll32,
        cmd: rng.pick([
          'C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\Windows.StateRepositoryClient.dll,StateRepositoryDoMaintenanceTasks',
          'C:\\Windows\\system32\\rundll32.exe Startupscan.dll,SusRunTask',
          'C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\pla.dll,PlaHost "Server Manager Performance Monitor" "0x1d8c_0x1c4"',
          'C:\\Windows\\system32\\rundll32.exe AppXDeploymentExtensions.OneCore.dll,ShellRefresh',
        ]),
      });
      return;
    default:
      sim.spawn(sched, t, {
        ...(session
          ? {
              account: session.account,
              session: session.id,
              logon: session.logon,
              integrity: 'Medium' as const,
            }
          : sys),
        bin: BIN.taskhostw,
        cmd: rng.pick([
          'taskhostw.exe',
          'taskhostw.exe Install $(Arg0)',
          'taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly',
          'taskhostw.exe KEYROAMING',
        ]),
      });
  }
}

function triggerService(sim: HostSim, t: number): void {
  const services = boot(sim).services;
  if (!services) return;
  const args = sim.rng.pick(TRIGGER_SERVICES);
  const account = args.includes('LocalService')
    ? LOCAL_SERVICE
    : args.includes('NetworkService')
      ? NETWORK_SERVICE
      : SYSTEM;
  sim.spawn(services, t, {
    bin: BIN.svchost,
    cmd: `C:\\Windows\\system32\\svchost.exe ${args}`,
    account,
  });
}

function searchIndexer(sim: HostSim, t: number): void {
  const si = boot(sim).named.get('searchindexer');
  if (!si) return;
  const rng = sim.rng;
  const n = rng.int(4, 9);
  sim.spawn(si, t, {
    bin: BIN.searchprotocolhost,
    cmd: `"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe${n}_ Global\\UsGthrCtrlFltPipeMssGthrPipe${n} 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" `,
  });
  sim.spawn(si, t + rng.int(100, 3000), {
    bin: BIN.searchfilterhost,
    cmd: `"C:\\Windows\\system32\\SearchFilterHost.exe" 0 ${rng.int(600, 900)} ${rng.int(600, 900)} ${rng.int(600, 900)} 8192 ${rng.int(600, 900)} ${rng.int(600, 900)} `,
  });
}

/** Configuration Manager: compliance scripts, application deployments, health checks. */
function ccmActivity(sim: HostSim, t: number): void {
  const b = boot(sim);
  const ccm = b.named.get('ccmexec');
  if (!ccm) return;
  const rng = sim.rng;
  const kind = rng.weightedPairs<string>([
    ['compliance', 6],
    ['script_file', 2],
    ['deploy', 0.6],
    ['cmd', 1],
  ]);
  const cwd = 'C:\\Windows\\CCM\\';
  if (kind === 'compliance') {
    const guid = rng.guid();
    // Real CI scripts are copied to SystemTemp and run with ExecutionPolicy Bypass.
    sim.spawn(ccm, t, {
      bin: BIN.powershell,
      cmd: `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoLogo -Noninteractive -NoProfile -ExecutionPolicy Bypass -File "C:\\Windows\\CCM\\SystemTemp\\${guid}.ps1"`,
      cwd,
    });
  } else if (kind === 'script_file') {
    const script = rng.pick([
      'C:\\Program Files\\Contoso\\Scripts\\Set-OutlookSignature.ps1',
      'C:\\Program Files\\WindowsPowerShell\\Scripts\\Update-PrinterMappings.ps1',
      'C:\\Program Files\\Contoso\\Scripts\\Invoke-DiskCleanup.ps1',
      'C:\\Program Files\\Dell\\CommandUpdate\\Scripts\\Invoke-DCU.ps1',
    ]);
    const ps = sim.spawn(ccm, t, {
      bin: BIN.powershell,
      cmd: `powershell.exe -ExecutionPolicy Bypass -NoProfile -WindowStyle Hidden -File "${script}"`,
      cwd,
    });
    if (rng.chance(0.5)) {
      sim.spawn(ps, ps.start + rng.int(400, 4000), {
        bin: BIN.reg,
        cmd: `"C:\\Windows\\system32\\reg.exe" query HKLM\\SOFTWARE\\Contoso\\Baseline /v Version`,
      });
    }
  } else if (kind === 'deploy') {
    const pkg = rng.pick([
      ['AdobeAcrobatReader', 'AcroRdrDCx64.msi'],
      ['7zip', '7z2408-x64.msi'],
      ['NotepadPlusPlus', 'npp.8.7.1.Installer.x64.msi'],
      ['GoogleChrome', 'googlechromestandaloneenterprise64.msi'],
      ['ZoomWorkplace', 'ZoomInstallerFull.msi'],
      ['VCRedist2022', 'vc_redist.x64.msi'],
    ] as const);
    const cache = `C:\\Windows\\ccmcache\\${rng.chars(2, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
    const msi = sim.spawn(ccm, t, {
      bin: BIN.msiexec,
      cmd: `"C:\\Windows\\system32\\msiexec.exe" /i "${cache}\\${pkg[1]}" /qn ALLUSERS=1 REBOOT=ReallySuppress /l*v "C:\\Windows\\CCM\\Logs\\${pkg[0]}_install.log"`,
      cwd: `${cache}\\`,
    });
    const services = b.services;
    if (services) {
      const server = sim.spawn(services, msi.start + rng.int(200, 900), {
        bin: BIN.msiexec,
        cmd: 'C:\\Windows\\system32\\msiexec.exe /V',
        account: SYSTEM,
      });
      const custom = sim.spawn(server, server.start + rng.int(2000, 15_000), {
        bin: BIN.msiexec,
        cmd: `C:\\Windows\\syswow64\\MsiExec.exe -Embedding ${rng.hex(32, true)} E Global\\MSI0000`,
      });
      if (rng.chance(0.6)) {
        sim.spawn(custom, custom.start + rng.int(300, 3000), {
          bin: BIN.rundll32,
          cmd: `rundll32.exe "C:\\Windows\\Installer\\MSI${rng.hex(4, true)}.tmp",zzzzInvokeManagedCustomActionOutOfProc SfxCA_${rng.int(100000, 999999)} ${rng.int(1, 40)} CustomActions!CustomActions.CustomActions.${rng.pick(['SetInstallDir', 'RegisterService', 'CleanupOldVersion'])}`,
        });
      }
      if (rng.chance(0.5)) {
        sim.spawn(custom, custom.start + rng.int(500, 4000), {
          bin: BIN.powershell,
          cmd: `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -ExecutionPolicy Bypass -NoProfile -File "C:\\Program Files\\${pkg[0]}\\postinstall.ps1"`,
        });
      }
      // Installers register COM servers, updater tasks and tray Run keys with the very
      // tools attackers use for the same purposes.
      const dir = `C:\\Program Files\\${pkg[0]}`;
      if (rng.chance(0.4)) {
        sim.spawn(custom, custom.start + rng.int(300, 5000), {
          bin: BIN.regsvr32,
          cmd: `"C:\\Windows\\system32\\regsvr32.exe" /s "${dir}\\${rng.pick(['shellext.dll', 'preview64.dll', 'addin.dll'])}"`,
        });
      }
      if (rng.chance(0.3)) {
        sim.spawn(custom, custom.start + rng.int(500, 6000), {
          bin: BIN.schtasks,
          cmd: `"C:\\Windows\\system32\\schtasks.exe" /Create /F /TN "${pkg[0]} Update" /TR "\\"${dir}\\updater.exe\\" /silent" /SC DAILY /ST 12:${String(rng.int(0, 59)).padStart(2, '0')} /RU SYSTEM`,
        });
      }
      if (rng.chance(0.3)) {
        sim.spawn(custom, custom.start + rng.int(500, 6000), {
          bin: BIN.reg,
          cmd: `"C:\\Windows\\system32\\reg.exe" add "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run" /v "${pkg[0]}Tray" /t REG_SZ /d "\\"${dir}\\tray.exe\\" /background" /f`,
        });
      }
    }
  } else {
    // Remediation scripts: the cmd line and the program it starts.
    const script = `C:\\Windows\\CCM\\ScriptStore\\${rng.pick(['RemediateDefender', 'FixWinRM', 'ResetWU', 'SetTimeZone'])}`;
    const [line, bin, child] = rng.pick<[string, BinaryDef, string]>([
      [
        `"${script}.cmd"`,
        BIN.powershell,
        `powershell.exe -ExecutionPolicy Bypass -NoProfile -NonInteractive -File "${script}.ps1"`,
      ],
      [
        `"${script}.cmd"`,
        BIN.reg,
        'reg  add "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender" /v PUAProtection /t REG_DWORD /d 1 /f',
      ],
      ['gpupdate /target:computer /force', BIN.gpupdate, 'gpupdate  /target:computer /force'],
      ['ipconfig /registerdns', BIN.ipconfig, 'ipconfig  /registerdns'],
      ['sc config wuauserv start= delayed-auto', BIN.sc, 'sc  config wuauserv start= delayed-auto'],
    ]);
    const c = sim.spawn(ccm, t, {
      bin: BIN.cmd,
      cmd: `C:\\Windows\\system32\\cmd.exe /c ${line}`,
      cwd,
    });
    sim.spawn(c, c.start + rng.int(30, 600), { bin, cmd: child });
  }
}

/** In-house inventory agent: benign discovery commands (systeminfo, ipconfig, wmic) on a timer. */
function inventory(sim: HostSim, t: number): void {
  const agent = boot(sim).named.get('invagent');
  if (!agent) return;
  const rng = sim.rng;
  const c = sim.spawn(agent, t, {
    bin: BIN.cmd,
    cmd: `C:\\Windows\\system32\\cmd.exe /c "C:\\Program Files\\Contoso\\InventoryAgent\\collect.cmd"`,
    cwd: 'C:\\Program Files\\Contoso\\InventoryAgent\\',
  });
  let at = c.start;
  const steps: Array<[BinaryDef, string]> = [
    [BIN.systeminfo, 'systeminfo  /fo csv'],
    [BIN.ipconfig, 'ipconfig  /all'],
    [BIN.wmic, 'wmic  product get name,version /format:csv'],
    [BIN.wmic, 'wmic  qfe list brief /format:csv'],
    [BIN.net, 'net  localgroup administrators'],
  ];
  for (const [bin, cmd] of steps) {
    if (!rng.chance(0.75)) continue;
    at += rng.int(150, 3000);
    const p = sim.spawn(c, at, { bin, cmd });
    if (bin === BIN.net)
      sim.spawn(p, p.start + rng.int(5, 40), {
        bin: BIN.net1,
        cmd: 'C:\\Windows\\system32\\net1  localgroup administrators',
      });
    at = p.start;
  }
}

// ---------------------------------------------------------------- user session activity

interface BrowserState {
  kind: 'chrome' | 'msedge';
  trial: string;
  nextClient: number;
  dataDir: string;
}

const browserState = new WeakMap<ProcNode, BrowserState>();

function userSpec(
  session: SessionState,
): Pick<SpawnSpec, 'account' | 'session' | 'logon' | 'integrity' | 'elevation'> {
  return {
    account: session.account,
    session: session.id,
    logon: session.logon,
    integrity: 'Medium',
    elevation: session.person.it || session.kind === 'rdp' ? 'limited' : 'default',
  };
}

function browserPreference(sim: HostSim, session: SessionState): 'chrome' | 'msedge' {
  return (session.account.sid.charCodeAt(session.account.sid.length - 1) + sim.host.index) % 3 === 0
    ? 'msedge'
    : 'chrome';
}

function browserMain(sim: HostSim, t: number, session: SessionState): ProcNode | undefined {
  const existing = session.apps.get('browser');
  if (existing) return existing;
  if (!session.explorer) return undefined;
  const rng = sim.rng;
  const kind = browserPreference(sim, session);
  const bin = kind === 'chrome' ? BIN.chrome : BIN.msedge;
  const profile = session.account.profile ?? '';
  const dataDir =
    kind === 'chrome'
      ? `${profile}\\AppData\\Local\\Google\\Chrome\\User Data`
      : `${profile}\\AppData\\Local\\Microsoft\\Edge\\User Data`;
  const main = sim.spawn(session.explorer, t, {
    ...userSpec(session),
    bin,
    cmd: `"${bin.path}" ${rng.pick(['', '', '--profile-directory=Default', '--single-argument ' + url(rng)])}`.trimEnd(),
    cwd: `${bin.path.slice(0, bin.path.lastIndexOf('\\'))}\\`,
    persistent: true,
  });
  const st: BrowserState = {
    kind,
    trial: `${rng.int(1800, 2100)},i,${rng.int(1e9, 9e9)}${rng.int(1e8, 9e8)},${rng.int(1e9, 9e9)}${rng.int(1e8, 9e8)},262144`,
    nextClient: 4,
    dataDir,
  };
  browserState.set(main, st);
  session.apps.set('browser', main);
  const p = (
    args: string,
    integrity: 'Medium' | 'Low' | 'Untrusted',
    dt: [number, number],
  ): void => {
    sim.spawn(main, main.start + rng.int(dt[0], dt[1]), {
      ...userSpec(session),
      bin,
      cmd: `"${bin.path}" ${args}`,
      integrity,
      cwd: `${bin.path.slice(0, bin.path.lastIndexOf('\\'))}\\`,
    });
  };
  p(
    `--type=crashpad-handler "--user-data-dir=${dataDir}" /prefetch:4 --monitor-self-annotation=ptype=crashpad-handler "--database=${dataDir}\\Crashpad" --annotation=plat=Win64 --annotation=prod=${kind === 'chrome' ? 'Chrome' : 'Edge'} --annotation=ver=${bin.version} --initial-client-data=0x${rng.hex(3)},0x${rng.hex(3)},0x${rng.hex(3)},0x${rng.hex(2)},0x${rng.hex(3)},0x7ff${rng.hex(9)},0x7ff${rng.hex(9)},0x7ff${rng.hex(9)}`,
    'Medium',
    [20, 120],
  );
  p(
    `--type=gpu-process --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAA --field-trial-handle=${st.trial} --mojo-platform-channel-handle=${rng.int(1800, 2100)} /prefetch:2`,
    'Low',
    [80, 400],
  );
  p(
    `--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --field-trial-handle=${st.trial} --mojo-platform-channel-handle=${rng.int(2100, 2400)} /prefetch:3`,
    'Medium',
    [90, 450],
  );
  p(
    `--type=utility --utility-sub-type=storage.mojom.StorageService --lang=en-US --service-sandbox-type=service --field-trial-handle=${st.trial} --mojo-platform-channel-handle=${rng.int(2400, 2700)} /prefetch:8`,
    'Low',
    [100, 500],
  );
  for (let i = rng.int(2, 5); i > 0; i--)
    browserRenderer(sim, main, main.start + rng.int(300, 3000), session);
  return main;
}

function browserRenderer(sim: HostSim, main: ProcNode, t: number, session: SessionState): void {
  const st = browserState.get(main);
  if (!st) return;
  const rng = sim.rng;
  const id = st.nextClient++;
  sim.spawn(main, t, {
    ...userSpec(session),
    bin: main.bin,
    cmd: `"${main.bin.path}" --type=renderer --renderer-client-id=${id} --lang=en-US --device-scale-factor=${rng.pick(['1', '1.25', '1.5'])} --num-raster-threads=4 --enable-main-frame-before-activation --field-trial-handle=${st.trial} --time-ticks-at-unix-epoch=-${rng.int(1_700_000_000, 1_799_999_999)}${rng.int(100000, 999999)} --launch-time-ticks=${rng.int(1e8, 9e9)} --mojo-platform-channel-handle=${rng.int(3000, 9000)} /prefetch:1`,
    integrity: 'Untrusted',
    cwd: `${main.bin.path.slice(0, main.bin.path.lastIndexOf('\\'))}\\`,
  });
}

function browsing(sim: HostSim, t: number, session: SessionState | undefined): void {
  if (!session) return;
  const rng = sim.rng;
  const main = session.apps.get('browser');
  if (!main) {
    browserMain(sim, t, session);
    return;
  }
  for (
    let i = rng.weightedPairs<number>([
      [1, 6],
      [2, 3],
      [3, 1],
    ]);
    i > 0;
    i--
  ) {
    browserRenderer(sim, main, t + rng.int(0, 4000), session);
  }
  if (rng.chance(0.05)) {
    const st = browserState.get(main);
    sim.spawn(main, t + rng.int(100, 900), {
      ...userSpec(session),
      bin: main.bin,
      cmd: `"${main.bin.path}" --type=utility --utility-sub-type=audio.mojom.AudioService --lang=en-US --service-sandbox-type=audio --field-trial-handle=${st?.trial ?? ''} --mojo-platform-channel-handle=${rng.int(4000, 9000)} /prefetch:8`,
    });
  }
}

function teamsActivity(sim: HostSim, t: number, session: SessionState | undefined): void {
  const teams = session?.apps.get('teams');
  if (!session || !teams) return;
  const rng = sim.rng;
  const profile = session.account.profile ?? '';
  sim.spawn(teams, t, {
    ...userSpec(session),
    bin: BIN.teams,
    cmd: `"${teams.exe}" --type=${rng.pick(['renderer', 'renderer', 'gpu-process', 'utility'])} --autoplay-policy=no-user-gesture-required --disable-background-timer-throttling --field-trial-handle=${rng.int(1500, 1900)},${rng.int(1e8, 9e9)},${rng.int(1e8, 9e9)},131072 --enable-features=SharedArrayBuffer --lang=en-US --enable-wer --ms-enable-electron-run-as-node --user-data-dir="${profile}\\AppData\\Roaming\\Microsoft\\Teams" --app-user-model-id=com.squirrel.Teams.Teams --app-path="${profile}\\AppData\\Local\\Microsoft\\Teams\\current\\resources\\app.asar" --no-sandbox --no-zygote --renderer-client-id=${rng.int(5, 40)} --mojo-platform-channel-handle=${rng.int(2000, 5000)} /prefetch:1`,
    cwd: `${profile}\\AppData\\Local\\Microsoft\\Teams\\current\\`,
  });
}

function company(sim: HostSim): string {
  const n = sim.env.domain.netbios;
  return n.charAt(0) + n.slice(1).toLowerCase();
}

function officeDoc(
  sim: HostSim,
  parent: ProcNode,
  t: number,
  session: SessionState,
  fromOutlook: boolean,
): ProcNode {
  const rng = sim.rng;
  const which = rng.weightedPairs<[BinaryDef, string]>([
    [[BIN.winword, 'docx'], 5],
    [[BIN.excel, 'xlsx'], 4],
    [[BIN.powerpnt, 'pptx'], 1.5],
    [[BIN.acrord32, 'pdf'], 3],
  ]);
  const [bin, ext] = which;
  const profile = session.account.profile ?? '';
  const file = fromOutlook
    ? outlookCachePath(rng, profile, docName(rng, ext))
    : userDocPath(rng, profile, ext, company(sim));
  const cmd =
    bin === BIN.acrord32
      ? `"${bin.path}" "${file}"`
      : rng.chance(0.5)
        ? `"${bin.path}" /n "${file}" /o ""`
        : `"${bin.path}" /n "${file}"`;
  const node = sim.spawn(parent, t, {
    ...userSpec(session),
    bin,
    cmd,
    cwd: fromOutlook ? `${profile}\\Documents\\` : undefined,
  });
  if (bin === BIN.acrord32 && rng.chance(0.7)) {
    sim.spawn(node, node.start + rng.int(500, 3000), {
      ...userSpec(session),
      bin,
      cmd: `"${bin.path}" --type=renderer /prefetch:1 --field-trial-handle=${rng.int(1500, 1900)},i,${rng.int(1e8, 9e9)},${rng.int(1e8, 9e9)},131072`,
      integrity: 'Low',
    });
    if (rng.chance(0.2))
      sim.spawn(node, node.start + rng.int(5000, 60_000), {
        ...userSpec(session),
        bin: BIN.adobearm,
        cmd: `"${BIN.adobearm.path}" /PRODUCT:Reader /VERSION:24.0 /MODE:3`,
      });
  } else if (rng.chance(0.08)) {
    sim.spawn(node, node.start + rng.int(20_000, 600_000), {
      ...userSpec(session),
      bin: BIN.splwow64,
      cmd: `C:\\Windows\\splwow64.exe ${rng.pick(['8192', '12288'])}`,
    });
  }
  return node;
}

function appLaunch(sim: HostSim, t: number, session: SessionState | undefined): void {
  if (!session?.explorer) return;
  const explorer = session.explorer;
  const rng = sim.rng;
  const u = userSpec(session);
  const profile = session.account.profile ?? '';
  const it = session.person.it || session.kind === 'rdp';
  const choice = rng.weightedPairs<string>([
    ['office', 5],
    ['outlook', session.apps.has('outlook') ? 0 : 8],
    ['outlook_attachment', session.apps.has('outlook') ? 3 : 0],
    ['outlook_link', session.apps.has('outlook') ? 1.5 : 0],
    ['notepad', 2],
    ['calc', 0.6],
    ['snip', 0.8],
    ['mstsc', it ? 2 : 0.2],
    ['sevenzip', 0.6],
    ['notepadpp', 0.8],
    ['taskmgr', 0.4],
    ['user_cmd', it ? 2 : 0.4],
    ['user_powershell', it ? 2 : 0.1],
    ['mmc', it ? 1.5 : 0],
  ]);
  switch (choice) {
    case 'office':
      officeDoc(sim, explorer, t, session, false);
      return;
    case 'outlook': {
      const o = sim.spawn(explorer, t, {
        ...u,
        bin: BIN.outlook,
        cmd: `"${BIN.outlook.path}" `,
        persistent: true,
      });
      session.apps.set('outlook', o);
      return;
    }
    case 'outlook_attachment': {
      const o = session.apps.get('outlook');
      if (o) officeDoc(sim, o, t, session, true);
      return;
    }
    case 'outlook_link': {
      const o = session.apps.get('outlook');
      const main = session.apps.get('browser');
      if (o) {
        const bin = main?.bin ?? BIN.msedge;
        sim.spawn(o, t, { ...u, bin, cmd: `"${bin.path}" --single-argument ${url(rng)}` });
      }
      return;
    }
    case 'notepad':
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.notepad,
        cmd: `"C:\\Windows\\system32\\NOTEPAD.EXE" ${q(`${profile}\\${rng.pick(['Desktop', 'Documents', 'Downloads'])}\\${rng.pick(['notes', 'todo', 'readme', 'config', 'log', 'install'])}.txt`)}`,
      });
      return;
    case 'calc':
      sim.spawn(explorer, t, { ...u, bin: BIN.calc, cmd: '"C:\\Windows\\System32\\calc.exe" ' });
      return;
    case 'snip':
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.snippingtool,
        cmd: '"C:\\Windows\\System32\\SnippingTool.exe" ',
      });
      return;
    case 'mstsc': {
      const servers = sim.env.hosts.filter((h) => h.role !== 'workstation');
      const target = servers.length > 0 ? rng.pick(servers).name : 'jumphost';
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.mstsc,
        cmd: rng.chance(0.5)
          ? `"C:\\Windows\\system32\\mstsc.exe" /v:${target}`
          : '"C:\\Windows\\system32\\mstsc.exe" ',
      });
      return;
    }
    case 'sevenzip':
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.sevenzip,
        cmd: `"${BIN.sevenzip.path}" ${q(`${profile}\\Downloads\\${rng.pick(['logs', 'export', 'photos', 'drivers', 'backup'])}_${rng.int(1, 99)}.zip`)}`,
      });
      return;
    case 'notepadpp':
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.notepadpp,
        cmd: `"${BIN.notepadpp.path}" ${q(`${profile}\\Documents\\${docName(rng, rng.pick(['txt', 'csv', 'xml', 'json', 'ini']))}`)}`,
      });
      return;
    case 'taskmgr':
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.taskmgr,
        cmd: '"C:\\Windows\\system32\\taskmgr.exe" /4',
        integrity: it ? 'High' : 'Medium',
        elevation: it ? 'full' : u.elevation,
      });
      return;
    case 'user_cmd': {
      const c = sim.spawn(explorer, t, {
        ...u,
        bin: BIN.cmd,
        cmd: '"C:\\Windows\\system32\\cmd.exe" ',
        cwd: `${profile}\\`,
      });
      let at = c.start + rng.int(3000, 30_000);
      for (let i = rng.int(1, 4); i > 0; i--) {
        const [bin, cmd] = rng.pick<[BinaryDef, string]>([
          [BIN.ipconfig, 'ipconfig  /all'],
          [BIN.ipconfig, 'ipconfig  /flushdns'],
          [BIN.ping, `ping  ${rng.pick(sim.env.hosts).short.toLowerCase()}`],
          [BIN.nslookup, `nslookup  ${rng.pick(sim.env.hosts).name}`],
          [BIN.whoami, 'whoami  /groups'],
          [BIN.gpupdate, 'gpupdate  /force'],
          [BIN.net, `net  use`],
          [BIN.tasklist, 'tasklist  '],
          [BIN.reg, `reg  query "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles" /s`],
          [
            BIN.certutil,
            `certutil  -hashfile "${profile}\\Downloads\\${rng.pick(['setup.msi', 'driver.zip', 'tool.exe'])}" SHA256`,
          ],
          [
            BIN.powershell,
            `powershell  -ExecutionPolicy Bypass -File "${profile}\\Documents\\scripts\\${rng.pick(['map-printers', 'cleanup-temp', 'export-contacts'])}.ps1"`,
          ],
        ]);
        const p = sim.spawn(c, at, { bin, cmd });
        if (bin === BIN.net)
          sim.spawn(p, p.start + rng.int(5, 40), {
            bin: BIN.net1,
            cmd: 'C:\\Windows\\system32\\net1  use',
          });
        at = p.start + rng.int(4000, 90_000);
      }
      return;
    }
    case 'user_powershell':
      adminPowerShell(sim, t, session);
      return;
    default:
      sim.spawn(explorer, t, {
        ...u,
        bin: BIN.mmc,
        cmd: `"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\${rng.pick(['dsa.msc', 'gpmc.msc', 'compmgmt.msc', 'eventvwr.msc', 'services.msc', 'dnsmgmt.msc'])}" `,
        integrity: 'High',
        elevation: 'full',
      });
  }
}

/** An administrator's elevated PowerShell: UAC consent, then a burst of routine commands. */
function adminPowerShell(sim: HostSim, t: number, session: SessionState): void {
  const explorer = session.explorer;
  if (!explorer) return;
  const rng = sim.rng;
  const b = boot(sim);
  const appinfo = b.svc.get('Appinfo');
  if (appinfo && session.kind === 'console') {
    sim.spawn(appinfo, t, {
      bin: BIN.consent,
      cmd: `consent.exe ${rng.int(900, 9000)} ${rng.int(200, 600)} 000001${rng.hex(10, true)}`,
      account: SYSTEM,
      session: session.id,
    });
  }
  const ps = sim.spawn(explorer, t + rng.int(1500, 6000), {
    ...userSpec(session),
    bin: BIN.powershell,
    cmd: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
    integrity: 'High',
    elevation: 'full',
    cwd: 'C:\\Windows\\system32\\',
  });
  let at = ps.start + rng.int(5000, 60_000);
  const dc = sim.env.hosts.find((h) => h.role === 'dc');
  const someone = rng.pick(sim.env.people).account.name;
  for (let i = rng.int(1, 5); i > 0; i--) {
    const [bin, cmd] = rng.pick<[BinaryDef, string]>([
      [BIN.ipconfig, '"C:\\Windows\\system32\\ipconfig.exe" /all'],
      [BIN.whoami, '"C:\\Windows\\system32\\whoami.exe" /groups'],
      [BIN.net, `"C:\\Windows\\system32\\net.exe" user ${someone} /domain`],
      [BIN.nltest, `"C:\\Windows\\system32\\nltest.exe" /dsgetdc:${sim.env.domain.fqdn}`],
      [BIN.gpupdate, '"C:\\Windows\\system32\\gpupdate.exe" /force'],
      [
        BIN.sc,
        `"C:\\Windows\\system32\\sc.exe" query ${rng.pick(['wuauserv', 'Spooler', 'WinRM', 'CcmExec'])}`,
      ],
      [BIN.netsh, '"C:\\Windows\\system32\\netsh.exe" advfirewall show allprofiles'],
      [BIN.repadmin, `"C:\\Windows\\system32\\repadmin.exe" /replsummary`],
      [BIN.nslookup, `"C:\\Windows\\system32\\nslookup.exe" ${dc?.name ?? 'dc01'}`],
      [BIN.wevtutil, '"C:\\Windows\\system32\\wevtutil.exe" qe System /c:20 /rd:true /f:text'],
      [
        BIN.schtasks,
        '"C:\\Windows\\system32\\schtasks.exe" /query /tn "\\Microsoft\\Windows\\WindowsUpdate\\Scheduled Start"',
      ],
      [BIN.tasklist, '"C:\\Windows\\system32\\tasklist.exe" /svc /fi "imagename eq svchost.exe"'],
      [BIN.certutil, '"C:\\Windows\\system32\\certutil.exe" -store My'],
      [BIN.cmd, '"C:\\Windows\\system32\\cmd.exe" /c echo %LOGONSERVER%'],
      [
        BIN.psexec,
        `"${BIN.psexec.path}" \\\\${rng.pick(sim.env.hosts).short.toLowerCase()} -accepteula -s ${rng.pick(['ipconfig /flushdns', 'gpupdate /force', 'cmd /c "sc query CcmExec"'])}`,
      ],
    ]);
    const p = sim.spawn(ps, at, { bin, cmd });
    if (bin === BIN.net)
      sim.spawn(p, p.start + rng.int(5, 40), {
        bin: BIN.net1,
        cmd: `C:\\Windows\\system32\\net1 user ${someone} /domain`,
      });
    at = p.start + rng.int(5000, 120_000);
  }
}

const DEV_REPOS = [
  'billing-api',
  'web-portal',
  'infra-scripts',
  'data-pipeline',
  'mobile-backend',
  'design-system',
];

function developer(sim: HostSim, t: number, session: SessionState | undefined): void {
  if (!session?.explorer || !session.person.developer) return;
  const rng = sim.rng;
  const u = userSpec(session);
  const profile = session.account.profile ?? '';
  const codePath = BIN.code.path.replace('%PROFILE%', profile);
  let code = session.apps.get('code');
  if (!code) {
    code = sim.spawn(session.explorer, t, {
      ...u,
      bin: BIN.code,
      cmd: `"${codePath}" `,
      persistent: true,
    });
    session.apps.set('code', code);
    for (const type of [
      'gpu-process',
      'utility --utility-sub-type=network.mojom.NetworkService',
      'utility --utility-sub-type=node.mojom.NodeService',
      'renderer',
    ]) {
      sim.spawn(code, code.start + rng.int(200, 3000), {
        ...u,
        bin: BIN.code,
        cmd: `"${codePath}" --type=${type} --lang=en-US --field-trial-handle=${rng.int(1500, 2100)},i,${rng.int(1e8, 9e9)},${rng.int(1e8, 9e9)},262144 --mojo-platform-channel-handle=${rng.int(2000, 5000)} /prefetch:${rng.int(1, 8)}`,
      });
    }
    return;
  }
  const repo = `${profile}\\source\\repos\\${rng.pick(DEV_REPOS)}`;
  const shellKind = rng.weightedPairs<string>([
    ['powershell', 3],
    ['cmd', 1],
    ['git_only', 3],
  ]);
  if (shellKind === 'git_only') {
    // VS Code's git extension runs git directly.
    const g = sim.spawn(code, t, {
      ...u,
      bin: BIN.git,
      cmd: `"${BIN.git.path}" ${rng.pick(['status -z -uall', 'fetch', 'rev-parse --show-toplevel', 'log --oneline -n 20', 'diff --cached'])}`,
      cwd: `${repo}\\`,
      conhost: false,
    });
    const m = sim.spawn(g, g.start + rng.int(2, 30), {
      ...u,
      bin: BIN.gitMingw,
      cmd: `"${BIN.gitMingw.path}" ${g.cmd.slice(g.cmd.indexOf('" ') + 2)}`,
      cwd: `${repo}\\`,
    });
    if (g.cmd.includes('fetch'))
      sim.spawn(m, m.start + rng.int(10, 80), {
        ...u,
        bin: BIN.gitRemoteHttps,
        cmd: `"${BIN.gitRemoteHttps.path}" origin https://github.com/${sim.env.domain.netbios.toLowerCase()}/${repo.slice(repo.lastIndexOf('\\') + 1)}.git`,
        cwd: `${repo}\\`,
      });
    return;
  }
  const shell =
    shellKind === 'powershell'
      ? sim.spawn(code, t, {
          ...u,
          bin: BIN.powershell,
          cmd: `C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -noexit -command "try { . \\"${profile}\\AppData\\Local\\Programs\\Microsoft VS Code\\resources\\app\\out\\vs\\workbench\\contrib\\terminal\\common\\scripts\\shellIntegration.ps1\\" } catch {}"`,
          cwd: `${repo}\\`,
        })
      : sim.spawn(code, t, {
          ...u,
          bin: BIN.cmd,
          cmd: 'C:\\WINDOWS\\system32\\cmd.exe',
          cwd: `${repo}\\`,
        });
  let at = shell.start + rng.int(2000, 20_000);
  for (let i = rng.int(1, 4); i > 0; i--) {
    const what = rng.pick(['git', 'npm', 'node', 'python']);
    if (what === 'git') {
      const sub = rng.pick([
        'pull',
        'status',
        'checkout -b feature/' + rng.chars(6),
        'commit -m "wip"',
        'push',
      ]);
      const g = sim.spawn(shell, at, { ...u, bin: BIN.git, cmd: `"${BIN.git.path}" ${sub}` });
      const m = sim.spawn(g, g.start + rng.int(2, 30), {
        ...u,
        bin: BIN.gitMingw,
        cmd: `"${BIN.gitMingw.path}" ${sub}`,
      });
      if (sub === 'pull' || sub === 'push')
        sim.spawn(m, m.start + rng.int(10, 80), {
          ...u,
          bin: BIN.gitRemoteHttps,
          cmd: `"${BIN.gitRemoteHttps.path}" origin https://github.com/${sim.env.domain.netbios.toLowerCase()}/${repo.slice(repo.lastIndexOf('\\') + 1)}.git`,
        });
      at = g.start;
    } else if (what === 'npm') {
      const script = rng.pick(['test', 'run build', 'run lint', 'install', 'ci']);
      const c = sim.spawn(shell, at, {
        ...u,
        bin: BIN.cmd,
        cmd: `C:\\WINDOWS\\system32\\cmd.exe /d /s /c "npm ${script}"`,
      });
      const n = sim.spawn(c, c.start + rng.int(20, 200), {
        ...u,
        bin: BIN.node,
        cmd: `"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js" ${script}`,
      });
      if (script !== 'install' && script !== 'ci') {
        const c2 = sim.spawn(n, n.start + rng.int(300, 1500), {
          ...u,
          bin: BIN.cmd,
          cmd: `C:\\WINDOWS\\system32\\cmd.exe /d /s /c "${rng.pick(['vitest run', 'tsc -p tsconfig.json', 'eslint .', 'vite build'])}"`,
        });
        sim.spawn(c2, c2.start + rng.int(20, 200), {
          ...u,
          bin: BIN.node,
          cmd: `"C:\\Program Files\\nodejs\\node.exe" "${repo}\\node_modules\\.bin\\..\\${rng.pick(['vitest\\vitest.mjs', 'typescript\\bin\\tsc', 'eslint\\bin\\eslint.js', 'vite\\bin\\vite.js'])}" ${rng.pick(['run', '-p tsconfig.json', '.', 'build'])}`,
        });
      }
      at = c.start;
    } else if (what === 'node') {
      const n = sim.spawn(shell, at, {
        ...u,
        bin: BIN.node,
        cmd: `"C:\\Program Files\\nodejs\\node.exe" ${rng.pick(['scripts/seed.js', 'server.js', 'dist/index.js', '-e "console.log(process.version)"'])}`,
      });
      at = n.start;
    } else {
      const pyPath = BIN.python.path.replace('%PROFILE%', profile);
      const p = sim.spawn(shell, at, {
        ...u,
        bin: BIN.python,
        cmd: `"${pyPath}" ${rng.pick(['-m pytest -q', 'manage.py runserver', 'scripts\\etl.py --since yesterday', '-m pip install -r requirements.txt'])}`,
      });
      at = p.start;
    }
    at += rng.int(10_000, 300_000);
  }
}

/** Operations monitoring agent: scripted health checks, some passed as -EncodedCommand. */
function monitoring(sim: HostSim, t: number): void {
  const mh = boot(sim).named.get('monitoringhost');
  if (!mh) return;
  const rng = sim.rng;
  const cwd = `C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Health Service State\\Monitoring Host Temporary Files ${rng.int(1, 40)}\\${rng.int(1, 9000)}\\`;
  if (rng.chance(0.45)) {
    sim.spawn(mh, t, {
      bin: BIN.powershell,
      cmd: `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoLogo -NoProfile -NonInteractive -EncodedCommand ${encodePowerShell(
        rng.pick([
          "$ErrorActionPreference='Stop';Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' | Select-Object DeviceID,FreeSpace,Size | ConvertTo-Json -Compress",
          "$s=Get-Service -Name 'W3SVC','MSSQLSERVER','NTDS','DNS' -ErrorAction SilentlyContinue;$s | Select-Object Name,Status | ConvertTo-Json -Compress",
          "Get-Counter -Counter '\\Processor(_Total)\\% Processor Time' -SampleInterval 1 -MaxSamples 3 | ForEach-Object { $_.CounterSamples.CookedValue }",
          "(Get-WinEvent -FilterHashtable @{LogName='System';Level=2;StartTime=(Get-Date).AddHours(-1)} -ErrorAction SilentlyContinue | Measure-Object).Count",
        ]),
      )}`,
      cwd,
    });
  } else {
    sim.spawn(mh, t, {
      bin: BIN.cscript,
      cmd: `"C:\\Windows\\system32\\cscript.exe" /nologo "${rng.pick(['MonitorKnowledgeDiscovery.vbs', 'DiscoverWindowsComputerProperties.vbs', 'GetDiskFreeSpace.vbs', 'CheckServiceHealth.vbs'])}"`,
      cwd,
    });
  }
}

/**
 * What a diagnostics collector gathers: the tool, its command line (given the output folder), and
 * the file in that folder its output is redirected to, for tools that do not write one themselves.
 */
const DIAGNOSTIC_ITEMS: ReadonlyArray<[keyof typeof BIN, (out: string) => string, string?]> = [
  ['ipconfig', () => 'ipconfig /all', 'ipconfig.txt'],
  ['route', () => 'route print', 'route.txt'],
  ['netstat', () => 'netstat -ano', 'netstat.txt'],
  ['arp', () => 'arp -a', 'arp.txt'],
  ['netsh', () => 'netsh interface ipv4 show config', 'ipv4.txt'],
  ['netsh', () => 'netsh advfirewall show allprofiles', 'firewall.txt'],
  ['netsh', () => 'netsh winhttp show proxy', 'proxy.txt'],
  ['systeminfo', () => 'systeminfo', 'systeminfo.txt'],
  ['tasklist', () => 'tasklist /svc', 'tasklist.txt'],
  ['sc', () => 'sc queryex type= service state= all', 'services.txt'],
  [
    'reg',
    (o) =>
      `reg export "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters" "${o}\\tcpip.reg" /y`,
  ],
  ['reg', (o) => `reg export "HKLM\\SOFTWARE\\Policies" "${o}\\policies.reg" /y`],
  [
    'reg',
    () => 'reg query "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall" /s',
    'installed.txt',
  ],
  ['wevtutil', (o) => `wevtutil epl System "${o}\\System.evtx"`],
  ['wevtutil', (o) => `wevtutil epl Application "${o}\\Application.evtx"`],
  ['wevtutil', () => 'wevtutil qe Setup /c:200 /rd:true /f:text', 'Setup.txt'],
  ['certutil', () => 'certutil -store -silent My', 'certs.txt'],
  ['schtasks', () => 'schtasks /query /fo csv /v', 'tasks.csv'],
  ['vssadmin', () => 'vssadmin list writers', 'vsswriters.txt'],
  ['hostname', () => 'hostname', 'hostname.txt'],
];

/**
 * A management agent collecting diagnostics (a support case, a health check, a log bundle for
 * its vendor): the agent's script starts a shell per item, seconds apart, each writing into one
 * output folder, all as SYSTEM. Fleets run these (configuration, monitoring and backup agents,
 * cloud guest agents), with the very tools an intruder's discovery uses: what differs is who
 * starts them, as whom, and where the output goes.
 */
function diagnosticsCollection(sim: HostSim, t: number): void {
  const b = boot(sim);
  const agents = (
    [
      ['ccmexec', 'C:\\Windows\\CCM\\Diagnostics'],
      ['monitoringhost', 'C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\Tools'],
      ['backup', 'C:\\Program Files\\Veeam\\Endpoint Backup\\Support'],
    ] as const
  ).filter(([key]) => b.named.has(key));
  if (agents.length === 0) return;
  const rng = sim.rng;
  const [key, home] = rng.pick(agents);
  const agent = b.named.get(key) as ProcNode;
  const out = `C:\\Windows\\Temp\\${rng.pick(['Diagnostics', 'SupportBundle', 'HealthCheck'])}_${rng.int(100_000, 999_999)}`;
  const cwd = `${home}\\`;
  const [bin, cmd] = rng.pick<[BinaryDef, string]>([
    [
      BIN.cscript,
      `"C:\\Windows\\system32\\cscript.exe" //nologo "${home}\\CollectLogs.vbs" /out:"${out}"`,
    ],
    [BIN.cmd, `C:\\Windows\\system32\\cmd.exe /c ""${home}\\CollectDiagnostics.cmd" "${out}""`],
    [
      BIN.powershell,
      `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "${home}\\Get-SupportBundle.ps1" -OutputPath "${out}"`,
    ],
  ]);
  const script = sim.spawn(agent, t, { bin, cmd, cwd, account: SYSTEM });
  let at = script.start + rng.int(300, 2_000);
  for (const [tool, line, file] of rng
    .shuffle(DIAGNOSTIC_ITEMS)
    .slice(0, rng.int(8, DIAGNOSTIC_ITEMS.length))) {
    const text = line(out);
    const shell = sim.spawn(script, at, {
      bin: BIN.cmd,
      cmd: `C:\\Windows\\system32\\cmd.exe /c ${text}${file ? ` > "${out}\\${file}"` : ''}`,
      cwd,
      account: SYSTEM,
      conhost: true,
    });
    sim.spawn(shell, shell.start + rng.int(5, 60), {
      bin: BIN[tool],
      cmd: text,
      cwd,
      account: SYSTEM,
    });
    at = shell.start + rng.int(200, 4_000);
  }
}

/** Backups: benign vssadmin/wbadmin, the same tools ransomware abuses to delete shadows. */
function backup(sim: HostSim, t: number): void {
  const b = boot(sim);
  const agent = b.named.get('backup');
  if (!agent) return;
  const rng = sim.rng;
  if (sim.host.role === 'dc' && rng.chance(0.5)) {
    const c = sim.spawn(agent, t, {
      bin: BIN.wbadmin,
      cmd: 'wbadmin  start systemstatebackup -backupTarget:E: -quiet',
    });
    const services = b.services;
    if (services)
      sim.spawn(services, c.start + rng.int(1000, 5000), {
        bin: BIN.vssvc,
        cmd: 'C:\\Windows\\system32\\vssvc.exe',
      });
    return;
  }
  sim.spawn(agent, t, {
    bin: BIN.vssadmin,
    cmd: `vssadmin  ${rng.pick(['list shadows', 'list writers', 'list shadowstorage'])}`,
  });
  const services = b.services;
  if (services && rng.chance(0.5))
    sim.spawn(services, t + rng.int(500, 3000), {
      bin: BIN.vssvc,
      cmd: 'C:\\Windows\\system32\\vssvc.exe',
    });
}

function webServer(sim: HostSim, t: number): void {
  const b = boot(sim);
  const rng = sim.rng;
  const pools = [...b.named.entries()].filter(([k]) => k.startsWith('w3wp:'));
  if (pools.length === 0) return;
  const [key, w3wp] = rng.pick(pools);
  const what = rng.weightedPairs<string>([
    ['csc', 2],
    ['recycle', 1],
    ['pdf', 3],
    ['conhost_tool', 1],
  ]);
  if (what === 'csc') {
    const dir = `C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root\\${rng.hex(8)}\\${rng.hex(8)}`;
    const c = sim.spawn(w3wp, t, {
      bin: BIN.csc,
      cmd: `"${BIN.csc.path}" /t:library /utf8output /nostdlib+ /R:"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\mscorlib.dll" /out:"${dir}\\App_Web_${rng.chars(8)}.dll" /debug- /optimize+ /w:4 /nowarn:1659;1699;1701;612;618 "${dir}\\App_Web_${rng.chars(8)}.0.cs"`,
      cwd: 'C:\\Windows\\system32\\inetsrv\\',
    });
    sim.spawn(c, c.start + rng.int(200, 900), {
      bin: BIN.cvtres,
      cmd: `C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\\Windows\\TEMP\\RES${rng.hex(4, true)}.tmp" "c:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\root\\CSC${rng.hex(8, true)}.TMP"`,
    });
  } else if (what === 'recycle') {
    const iis = b.svc.get('iissvcs');
    if (!iis) return;
    sim.releasePid(w3wp.pid);
    w3wpStart(sim, iis, t, key.slice(5));
  } else if (what === 'pdf') {
    // Reporting module renders invoices with a bundled (unsigned) converter.
    sim.spawn(w3wp, t, {
      bin: BIN.wkhtmltopdf,
      cmd: `"C:\\inetpub\\wwwroot\\portal\\bin\\wkhtmltopdf.exe" --quiet --page-size A4 "C:\\Windows\\TEMP\\${rng.guid()}.html" "C:\\inetpub\\wwwroot\\portal\\App_Data\\invoices\\INV-${rng.int(100000, 999999)}.pdf"`,
      cwd: 'C:\\inetpub\\wwwroot\\portal\\',
    });
  } else {
    sim.spawn(w3wp, t, {
      bin: BIN.appcmd,
      cmd: `C:\\Windows\\system32\\inetsrv\\appcmd.exe list apppool /state:Started`,
      conhost: true,
    });
  }
}

function sqlJobs(sim: HostSim, t: number): void {
  const agent = boot(sim).named.get('sqlagent');
  if (!agent) return;
  const rng = sim.rng;
  if (rng.chance(0.5)) {
    const c = sim.spawn(agent, t, {
      bin: BIN.cmd,
      cmd: `C:\\Windows\\system32\\cmd.exe /c "C:\\SQLJobs\\${rng.pick(['nightly_export', 'index_maint', 'purge_staging'])}.cmd"`,
      cwd: 'C:\\SQLJobs\\',
    });
    sim.spawn(c, c.start + rng.int(30, 400), {
      bin: BIN.sqlcmd,
      cmd: `sqlcmd  -S localhost -E -i C:\\SQLJobs\\${rng.pick(['export', 'maint', 'purge'])}.sql -o C:\\SQLJobs\\logs\\run_${rng.int(1, 999)}.log`,
    });
  } else {
    sim.spawn(agent, t, {
      bin: BIN.powershell,
      cmd: `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoLogo -NonInteractive -ExecutionPolicy Bypass -File "C:\\SQLJobs\\Backup-Databases.ps1" -Target "\\\\${sim.env.hosts.find((h) => h.serverKind === 'file')?.short.toLowerCase() ?? 'backup01'}\\sqlbackup$"`,
      cwd: 'C:\\SQLJobs\\',
    });
  }
}

function appServer(sim: HostSim, t: number): void {
  const svc = boot(sim).named.get('orderservice');
  if (!svc) return;
  const rng = sim.rng;
  const c = sim.spawn(svc, t, {
    bin: BIN.cmd,
    cmd: `C:\\Windows\\system32\\cmd.exe /c ""C:\\Program Files\\LineOfBusiness\\OrderService\\scripts\\${rng.pick(['export_orders', 'sync_catalog', 'rotate_logs'])}.bat""`,
    cwd: 'C:\\Program Files\\LineOfBusiness\\OrderService\\',
  });
  const fs = sim.env.hosts.find((h) => h.serverKind === 'file')?.short.toLowerCase() ?? 'files';
  sim.spawn(c, c.start + rng.int(50, 2000), {
    bin: BIN.robocopy,
    cmd: `robocopy  "C:\\Program Files\\LineOfBusiness\\OrderService\\out" \\\\${fs}\\exports\\orders /MOV /R:2 /W:5 /NP`,
  });
  if (rng.chance(0.3))
    sim.spawn(c, c.start + rng.int(2000, 6000), {
      bin: BIN.findstr,
      cmd: 'findstr  /I /C:"ERROR" "C:\\Program Files\\LineOfBusiness\\OrderService\\logs\\service.log"',
    });
}

/** An administrator's PsExec maintenance job landing on this server (benign PSEXESVC). */
function psexecMaintenance(sim: HostSim, t: number): void {
  const services = boot(sim).services;
  if (!services) return;
  const rng = sim.rng;
  const svc = sim.spawn(services, t, {
    bin: BIN.psexesvc,
    cmd: 'C:\\Windows\\PSEXESVC.exe',
    account: SYSTEM,
  });
  const [bin, cmd] = rng.pick<[BinaryDef, string]>([
    [BIN.ipconfig, 'ipconfig /flushdns'],
    [BIN.gpupdate, 'gpupdate /force'],
    [BIN.sc, 'sc query CcmExec'],
  ]);
  sim.spawn(svc, svc.start + rng.int(100, 700), { bin, cmd, conhost: true });
}

function serverAdminSession(sim: HostSim, t: number, session: SessionState | undefined): void {
  if (!session || session.kind !== 'rdp' || !session.explorer) return;
  const rng = sim.rng;
  if (rng.chance(0.5)) {
    adminPowerShell(sim, t, session);
    return;
  }
  const u = userSpec(session);
  const what = rng.pick(['mmc', 'notepad', 'cmd', 'taskmgr']);
  if (what === 'mmc') {
    sim.spawn(session.explorer, t, {
      ...u,
      bin: BIN.mmc,
      cmd: `"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\${rng.pick(['eventvwr.msc', 'services.msc', 'compmgmt.msc', 'dsa.msc', 'dnsmgmt.msc', 'inetmgr.msc'])}" /s`,
      integrity: 'High',
      elevation: 'full',
    });
  } else if (what === 'notepad') {
    sim.spawn(session.explorer, t, {
      ...u,
      bin: BIN.notepad,
      cmd: `"C:\\Windows\\system32\\notepad.exe" ${q(rng.pick(['C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex' + rng.int(250101, 251231) + '.log', 'C:\\Windows\\Logs\\CBS\\CBS.log', 'C:\\Windows\\System32\\drivers\\etc\\hosts']))}`,
    });
  } else if (what === 'taskmgr') {
    sim.spawn(session.explorer, t, {
      ...u,
      bin: BIN.taskmgr,
      cmd: '"C:\\Windows\\system32\\taskmgr.exe" /7',
      integrity: 'High',
      elevation: 'full',
    });
  } else {
    const c = sim.spawn(session.explorer, t, {
      ...u,
      bin: BIN.cmd,
      cmd: '"C:\\Windows\\system32\\cmd.exe" ',
      integrity: 'High',
      elevation: 'full',
      cwd: 'C:\\Windows\\system32\\',
    });
    let at = c.start + rng.int(3000, 30_000);
    for (let i = rng.int(1, 4); i > 0; i--) {
      const [bin, cmd] = rng.pick<[BinaryDef, string]>([
        [BIN.sc, `sc  query ${rng.pick(['W3SVC', 'MSSQLSERVER', 'DNS', 'NTDS', 'Spooler'])}`],
        [BIN.ipconfig, 'ipconfig  /all'],
        [BIN.tasklist, 'tasklist  /svc'],
        [BIN.quser, 'quser  '],
        [BIN.vssadmin, 'vssadmin  list shadows'],
        [BIN.schtasks, 'schtasks  /query /fo LIST /v'],
        [BIN.reg, 'reg  query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run'],
        [BIN.gpupdate, 'gpupdate  /force'],
        [BIN.netsh, 'netsh  interface ipv4 show config'],
      ]);
      const p = sim.spawn(c, at, { bin, cmd });
      at = p.start + rng.int(3000, 60_000);
    }
  }
}

const SOURCES: Source[] = [
  {
    name: 'service_trigger',
    applies: always,
    perHour: roleRate(5, 8, 14),
    shape: flat,
    run: (s, t) => triggerService(s, t),
  },
  {
    name: 'dcom_activation',
    applies: always,
    perHour: roleRate(6, 10, 16),
    shape: flat,
    run: dcomChild,
  },
  {
    name: 'scheduled_task',
    applies: always,
    perHour: roleRate(4, 7, 11),
    shape: flat,
    run: scheduledTask,
  },
  {
    name: 'search_indexer',
    applies: (h) => h.role === 'workstation' || h.serverKind === 'file',
    perHour: roleRate(2, 5, 0),
    shape: flat,
    run: (s, t) => searchIndexer(s, t),
  },
  {
    name: 'configmgr',
    applies: always,
    perHour: roleRate(0.5, 0.7, 0.5),
    shape: business,
    run: (s, t) => ccmActivity(s, t),
  },
  {
    name: 'inventory_agent',
    applies: always,
    perHour: roleRate(0.12, 0.12, 0.12),
    shape: flat,
    run: (s, t) => inventory(s, t),
  },
  {
    name: 'browser',
    applies: always,
    perHour: roleRate(31, 4, 3),
    shape: flat,
    session: true,
    run: browsing,
  },
  {
    name: 'teams',
    applies: isWs,
    perHour: roleRate(2.5, 0, 0),
    shape: flat,
    session: true,
    run: teamsActivity,
  },
  {
    name: 'desktop_apps',
    applies: always,
    perHour: roleRate(7, 0, 0),
    shape: flat,
    session: true,
    run: appLaunch,
  },
  {
    name: 'developer',
    applies: isWs,
    perHour: roleRate(5, 0, 0),
    shape: flat,
    session: true,
    run: developer,
  },
  {
    name: 'it_admin',
    applies: isWs,
    perHour: roleRate(0.8, 0, 0),
    shape: flat,
    session: true,
    run: (s, t, sess) => sess?.person.it && sess.explorer && adminPowerShell(s, t, sess),
  },
  {
    name: 'server_admin',
    applies: notWs,
    perHour: roleRate(0, 10, 10),
    shape: flat,
    session: true,
    run: serverAdminSession,
  },
  {
    name: 'monitoring',
    applies: notWs,
    perHour: roleRate(0, 11, 20),
    shape: flat,
    run: (s, t) => monitoring(s, t),
  },
  {
    name: 'diagnostics',
    applies: always,
    perHour: roleRate(0.01, 0.02, 0.02),
    shape: flat,
    run: (s, t) => diagnosticsCollection(s, t),
  },
  {
    name: 'backup',
    applies: notWs,
    perHour: roleRate(0, 1.5, 1.5),
    shape: nightly,
    run: (s, t) => backup(s, t),
  },
  {
    name: 'web_app',
    applies: (h) => h.serverKind === 'web',
    perHour: roleRate(0, 6, 0),
    shape: business,
    run: (s, t) => webServer(s, t),
  },
  {
    name: 'sql_jobs',
    applies: (h) => h.serverKind === 'sql',
    perHour: roleRate(0, 3, 0),
    shape: business,
    run: (s, t) => sqlJobs(s, t),
  },
  {
    name: 'admin_psexec',
    applies: notWs,
    perHour: roleRate(0, 0.04, 0.06),
    shape: business,
    run: (s, t) => psexecMaintenance(s, t),
  },
  {
    name: 'app_service',
    applies: (h) => h.serverKind === 'app',
    perHour: roleRate(0, 6, 0),
    shape: business,
    run: (s, t) => appServer(s, t),
  },
];

/** Put the benign sources on a host's agenda. */
export function installBenignSources(sim: HostSim): void {
  for (const src of SOURCES) {
    if (!src.applies(sim.host)) continue;
    const rate = src.perHour(sim.host) * sim.rateScale;
    if (rate <= 0) continue;
    const meanGap = HOUR_MS / rate;
    const rng = sim.rng;
    const fire = (t: number): void => {
      // Thinning: arrivals come at the peak rate and are kept with the time-of-day weight.
      if (sim.boot?.services && rng.next() < src.shape(t)) {
        const session = sim.sessionAt(t);
        if (!src.session || session) {
          sim.activity = src.name;
          src.run(sim, t, session);
          sim.activity = 'background';
        }
      }
      const next = t + Math.max(1, Math.round(rng.exp(meanGap)));
      sim.schedule(next, () => fire(next));
    };
    const first = sim.env.startMs + Math.round(rng.exp(meanGap));
    sim.schedule(first, () => fire(first));
  }
}

export const BENIGN_SOURCE_NAMES = SOURCES.map((s) => s.name);
