/**
 * The executables the simulated fleet runs, with the PE metadata Sysmon reports and the code
 * signature Elastic Defend reports. Attack chains reuse the same entries as benign activity on
 * purpose: a living-off-the-land attack looks like ordinary signed Microsoft binaries, and the
 * model must learn from context (parent, arguments, user, timing), not from the image alone.
 */
import { Rng } from './rng';

export type OsKind = 'win10' | 'win11' | 'srv2019' | 'srv2022';

export interface BinaryDef {
  /** Canonical path; `%PROFILE%` is replaced with the user's profile directory. */
  path: string;
  name: string;
  originalFileName: string;
  description: string;
  product: string;
  company: string;
  /** Authenticode subject, or null for an unsigned file. */
  signer: string | null;
  trusted: boolean;
  /** 'os' takes the host's Windows build; anything else is the product's own version. */
  version: string;
  /** Console-subsystem programs get a conhost.exe child, as on a real host. */
  console: boolean;
}

const OS_BUILD: Record<OsKind, { build: string; revision: number }> = {
  win10: { build: '10.0.19041', revision: 4842 },
  win11: { build: '10.0.22621', revision: 4317 },
  srv2019: { build: '10.0.17763', revision: 6414 },
  srv2022: { build: '10.0.20348', revision: 2762 },
};

const WIN_PRODUCT = 'Microsoft® Windows® Operating System';
const MS = 'Microsoft Corporation';
const MS_WIN_SIGNER = 'Microsoft Windows';
const SYS32 = 'C:\\Windows\\System32';

function basename(path: string): string {
  const i = path.lastIndexOf('\\');
  return i >= 0 ? path.slice(i + 1) : path;
}

interface DefInput {
  original?: string;
  description: string;
  product?: string;
  company?: string;
  signer?: string | null;
  trusted?: boolean;
  version?: string;
  console?: boolean;
}

function def(path: string, d: DefInput): BinaryDef {
  const signer = d.signer === undefined ? MS_WIN_SIGNER : d.signer;
  return {
    path,
    name: basename(path),
    originalFileName: d.original ?? basename(path),
    description: d.description,
    product: d.product ?? WIN_PRODUCT,
    company: d.company ?? MS,
    signer,
    trusted: d.trusted ?? signer !== null,
    version: d.version ?? 'os',
    console: d.console ?? false,
  };
}

/** A Windows component in System32 (signed "Microsoft Windows", versioned with the OS). */
function sys(file: string, original: string, description: string, console = false): BinaryDef {
  return def(`${SYS32}\\${file}`, { original, description, console });
}

const OFFICE = 'C:\\Program Files\\Microsoft Office\\root\\Office16';
const OFFICE_VER = '16.0.17928.20156';
const EDGE_VER = '131.0.2903.70';
const CHROME_VER = '131.0.6778.140';
const DEFENDER = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0';

export const BIN = {
  smss: sys('smss.exe', 'smss.exe', 'Windows Session Manager'),
  csrss: sys('csrss.exe', 'CSRSS.Exe', 'Client Server Runtime Process'),
  wininit: sys('wininit.exe', 'WinInit.exe', 'Windows Start-Up Application'),
  winlogon: sys('winlogon.exe', 'WINLOGON.EXE', 'Windows Logon Application'),
  services: sys('services.exe', 'services.exe', 'Services and Controller app'),
  lsass: sys('lsass.exe', 'lsass.exe', 'Local Security Authority Process'),
  lsaiso: sys('LsaIso.exe', 'LsaIso.exe', 'Credential Guard & Key Guard'),
  svchost: sys('svchost.exe', 'svchost.exe', 'Host Process for Windows Services'),
  fontdrvhost: sys('fontdrvhost.exe', 'fontdrvhost.exe', 'Usermode Font Driver Host'),
  dwm: sys('dwm.exe', 'dwm.exe', 'Desktop Window Manager'),
  logonui: sys('LogonUI.exe', 'logonui.exe', 'Windows Logon User Interface Host'),
  userinit: sys('userinit.exe', 'USERINIT.EXE', 'Userinit Logon Application'),
  explorer: def('C:\\Windows\\explorer.exe', {
    original: 'EXPLORER.EXE',
    description: 'Windows Explorer',
  }),
  sihost: sys('sihost.exe', 'sihost.exe', 'Shell Infrastructure Host'),
  taskhostw: sys('taskhostw.exe', 'taskhostw.exe', 'Host Process for Windows Tasks'),
  runtimebroker: sys('RuntimeBroker.exe', 'RuntimeBroker.exe', 'Runtime Broker'),
  dllhost: sys('dllhost.exe', 'dllhost.exe', 'COM Surrogate'),
  conhost: sys('conhost.exe', 'CONHOST.EXE', 'Console Window Host'),
  ctfmon: sys('ctfmon.exe', 'CTFMON.EXE', 'CTF Loader'),
  cmd: sys('cmd.exe', 'Cmd.Exe', 'Windows Command Processor', true),
  powershell: def(`${SYS32}\\WindowsPowerShell\\v1.0\\powershell.exe`, {
    original: 'PowerShell.EXE',
    description: 'Windows PowerShell',
    console: true,
  }),
  pwsh: def('C:\\Program Files\\PowerShell\\7\\pwsh.exe', {
    original: 'pwsh.dll',
    description: 'pwsh',
    product: 'PowerShell',
    signer: MS,
    version: '7.4.6.500',
    console: true,
  }),
  wmiprvse: def(`${SYS32}\\wbem\\WmiPrvSE.exe`, {
    original: 'Wmiprvse.exe',
    description: 'WMI Provider Host',
  }),
  wmic: def(`${SYS32}\\wbem\\WMIC.exe`, {
    original: 'wmic.exe',
    description: 'WMI Commandline Utility',
    console: true,
  }),
  searchindexer: sys('SearchIndexer.exe', 'SearchIndexer.exe', 'Microsoft Windows Search Indexer'),
  searchprotocolhost: sys(
    'SearchProtocolHost.exe',
    'SearchProtocolHost.exe',
    'Microsoft Windows Search Protocol Host',
  ),
  searchfilterhost: sys(
    'SearchFilterHost.exe',
    'SearchFilterHost.exe',
    'Microsoft Windows Search Filter Host',
  ),
  backgroundtaskhost: sys(
    'backgroundTaskHost.exe',
    'backgroundTaskHost.exe',
    'Background Task Host',
  ),
  smartscreen: sys('smartscreen.exe', 'smartscreen.exe', 'Windows Defender SmartScreen'),
  consent: sys('consent.exe', 'consent.exe', 'Consent UI for administrative applications'),
  trustedinstaller: def('C:\\Windows\\servicing\\TrustedInstaller.exe', {
    original: 'TrustedInstaller.exe',
    description: 'Windows Modules Installer',
  }),
  tiworker: def(
    'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.4840_none_7e0d1a4b2c5c5f3a\\TiWorker.exe',
    { original: 'TiWorker.exe', description: 'Windows Modules Installer Worker' },
  ),
  wermgr: sys('wermgr.exe', 'WerMgr', 'Windows Problem Reporting'),
  gpupdate: sys('gpupdate.exe', 'GPUpdate.exe', 'Microsoft® Group Policy Update Utility', true),
  gpscript: sys('gpscript.exe', 'GPSCRIPT.EXE', 'Group Policy Script Application'),
  usoclient: sys('usoclient.exe', 'UsoClient', 'UsoClient'),
  mousocoreworker: sys('MoUsoCoreWorker.exe', 'MoUsoCoreWorker.exe', 'MoUSO Core Worker Process'),
  musnotification: sys('MusNotification.exe', 'MusNotification.exe', 'Windows Update'),
  sppsvc: sys('sppsvc.exe', 'sppsvc.exe', 'Microsoft Software Protection Platform Service'),
  msiexec: sys('msiexec.exe', 'msiexec.exe', 'Windows® installer'),
  rundll32: sys('rundll32.exe', 'RUNDLL32.EXE', 'Windows host process (Rundll32)'),
  regsvr32: sys('regsvr32.exe', 'REGSVR32.EXE', 'Microsoft(C) Register Server'),
  mshta: def(`${SYS32}\\mshta.exe`, {
    original: 'MSHTA.EXE',
    description: 'Microsoft (R) HTML Application host',
    product: 'Internet Explorer',
    version: '11.00.19041.4842 (WinBuild.160101.0800)',
  }),
  certutil: sys('certutil.exe', 'CertUtil.exe', 'CertUtil.exe', true),
  bitsadmin: def(`${SYS32}\\bitsadmin.exe`, {
    original: 'bitsadmin.exe',
    description: 'BITS administration utility',
    version: '7.8.19041.1 (WinBuild.160101.0800)',
    console: true,
  }),
  schtasks: sys('schtasks.exe', 'schtasks.exe', 'Task Scheduler Configuration Tool', true),
  reg: sys('reg.exe', 'reg.exe', 'Registry Console Tool', true),
  net: sys('net.exe', 'net.exe', 'Net Command', true),
  net1: sys('net1.exe', 'net1.exe', 'Net Command', true),
  whoami: sys('whoami.exe', 'whoami.exe', 'whoami - displays logged on user information', true),
  nltest: sys('nltest.exe', 'nltestrk.exe', 'Microsoft® Logon Server Test Utility', true),
  ipconfig: sys('ipconfig.exe', 'ipconfig.exe', 'IP Configuration Utility', true),
  systeminfo: sys('systeminfo.exe', 'sysinfo.exe', 'Displays system information', true),
  tasklist: sys('tasklist.exe', 'tasklist.exe', 'Lists the current running tasks', true),
  quser: sys('quser.exe', 'quser.exe', 'Query User Utility', true),
  arp: sys('ARP.EXE', 'arp.exe', 'TCP/IP Arp Command', true),
  route: sys('ROUTE.EXE', 'route.exe', 'TCP/IP Route Command', true),
  vssadmin: sys(
    'vssadmin.exe',
    'VSSADMIN.EXE',
    'Command Line Interface for Microsoft® Volume Shadow Copy Service ',
    true,
  ),
  vssvc: sys('VSSVC.exe', 'VSSVC.EXE', 'Microsoft® Volume Shadow Copy Service'),
  wbadmin: sys(
    'wbadmin.exe',
    'WBADMIN.EXE',
    'Command Line Interface for Microsoft® BLB Backup',
    true,
  ),
  bcdedit: sys('bcdedit.exe', 'bcdedit.exe', 'Boot Configuration Data Editor', true),
  sc: sys('sc.exe', 'sc.exe', 'Service Control Manager Configuration Tool', true),
  netsh: sys('netsh.exe', 'netsh.exe', 'Network Command Shell', true),
  ping: sys('PING.EXE', 'ping.exe', 'TCP/IP Ping Command', true),
  nslookup: sys('nslookup.exe', 'nslookup.exe', 'nslookup', true),
  findstr: sys('findstr.exe', 'FINDSTR.EXE', 'Find String (QGREP) Utility', true),
  timeout: sys('timeout.exe', 'timeout.exe', 'timeout - pauses command processing', true),
  robocopy: sys('Robocopy.exe', 'robocopy.exe', 'Microsoft® Robust File Copy', true),
  compattelrunner: sys(
    'CompatTelRunner.exe',
    'CompatTelRunner.exe',
    'Microsoft Compatibility Telemetry',
  ),
  dsregcmd: sys('dsregcmd.exe', 'dsregcmd.exe', 'DSREG commandline tool', true),
  defrag: sys('defrag.exe', 'Defrag.EXE', 'Disk Defragmenter Module', true),
  wevtutil: sys('wevtutil.exe', 'wevtutil.exe', 'Eventing Command Line Utility', true),
  wsmprovhost: sys('wsmprovhost.exe', 'wsmprovhost.exe', 'Host process for WinRM plug-ins'),
  taskmgr: sys('Taskmgr.exe', 'Taskmgr.exe', 'Task Manager'),
  notepad: sys('notepad.exe', 'NOTEPAD.EXE', 'Notepad'),
  calc: sys('calc.exe', 'CALC.EXE', 'Windows Calculator'),
  snippingtool: sys('SnippingTool.exe', 'SnippingTool.exe', 'Snipping Tool'),
  cscript: def(`${SYS32}\\cscript.exe`, {
    original: 'cscript.exe',
    description: 'Microsoft ® Console Based Script Host',
    version: '5.812.10240.16384',
    console: true,
  }),
  fodhelper: sys('fodhelper.exe', 'FodHelper.EXE', 'Features On Demand Helper'),
  hostname: sys('HOSTNAME.EXE', 'hostname.exe', 'Hostname APP', true),
  netstat: sys('NETSTAT.EXE', 'netstat.exe', 'TCP/IP Netstat Command', true),
  copyCmd: sys('xcopy.exe', 'xcopy.exe', 'Extended Copy Utility', true),
  mstsc: sys('mstsc.exe', 'mstsc.exe', 'Remote Desktop Connection'),
  mmc: sys('mmc.exe', 'MMC.EXE', 'Microsoft Management Console'),
  servermanager: sys('ServerManager.exe', 'ServerManager.exe', 'Server Manager'),
  rdpclip: sys('rdpclip.exe', 'rdpclip.exe', 'RDP Clipboard Monitor'),
  spoolsv: sys('spoolsv.exe', 'spoolsv.exe', 'Spooler SubSystem App'),
  splwow64: def('C:\\Windows\\splwow64.exe', {
    original: 'splwow64.exe',
    description: 'Print driver host for applications',
  }),
  securityhealthservice: sys(
    'SecurityHealthService.exe',
    'SecurityHealthService.exe',
    'Windows Security Health Service',
  ),
  securityhealthsystray: sys(
    'SecurityHealthSystray.exe',
    'SecurityHealthSystray.exe',
    'Windows Security notification icon',
  ),
  diskshadow: sys('diskshadow.exe', 'diskshadow.exe', 'DiskShadow.EXE', true),
  msmpeng: def(`${DEFENDER}\\MsMpEng.exe`, {
    original: 'MsMpEng.exe',
    description: 'Antimalware Service Executable',
    product: 'Microsoft® Windows® Operating System',
    version: '4.18.24090.11',
  }),
  nissrv: def(`${DEFENDER}\\NisSrv.exe`, {
    original: 'NisSrv.exe',
    description: 'Microsoft Network Realtime Inspection Service',
    version: '4.18.24090.11',
  }),
  mpcmdrun: def(`${DEFENDER}\\MpCmdRun.exe`, {
    original: 'MpCmdRun.exe',
    description: 'Microsoft Malware Protection Command Line Utility',
    version: '4.18.24090.11',
    console: true,
  }),
  // Server roles
  dns: sys('dns.exe', 'dns.exe', 'Domain Name System (DNS) Server'),
  dfsrs: sys('dfsrs.exe', 'dfsrs.exe', 'Distributed File System Replication'),
  ntfrs: sys('ntfrs.exe', 'ntfrs.exe', 'File Replication Service'),
  ismserv: sys('ismserv.exe', 'ismserv.exe', 'Windows NT Intersite Messaging Service'),
  adws: def('C:\\Windows\\ADWS\\Microsoft.ActiveDirectory.WebServices.exe', {
    original: 'Microsoft.ActiveDirectory.WebServices.exe',
    description: 'Microsoft.ActiveDirectory.WebServices',
  }),
  repadmin: sys('repadmin.exe', 'repadmin.exe', 'Replication Diagnosis Tool', true),
  w3wp: def(`${SYS32}\\inetsrv\\w3wp.exe`, {
    original: 'w3wp.exe',
    description: 'IIS Worker Process',
    product: 'Internet Information Services',
  }),
  appcmd: def(`${SYS32}\\inetsrv\\appcmd.exe`, {
    original: 'appcmd.exe',
    description: 'Application Server Command Line Admin Tool',
    product: 'Internet Information Services',
    console: true,
  }),
  csc: def('C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe', {
    original: 'csc.exe',
    description: 'Visual C# Command Line Compiler',
    product: 'Microsoft® .NET Framework',
    signer: MS,
    version: '4.8.4084.0 built by: NET48REL1',
    console: true,
  }),
  cvtres: def('C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\cvtres.exe', {
    original: 'CVTRES.EXE',
    description: 'Microsoft® Resource File To COFF Object Conversion Utility',
    product: 'Microsoft® .NET Framework',
    signer: MS,
    version: '14.10.25028.0 built by: NET48REL1',
  }),
  sqlservr: def(
    'C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe',
    {
      original: 'sqlservr.exe',
      description: 'SQL Server Windows NT - 64 Bit',
      product: 'Microsoft SQL Server',
      signer: MS,
      version: '2019.0150.4390.02 ((SQL19_RTM_QFE-CU).240711-1919)',
    },
  ),
  sqlagent: def(
    'C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE',
    {
      original: 'SQLAGENT.EXE',
      description: 'SQLAGENT - SQL Server Agent',
      product: 'Microsoft SQL Server',
      signer: MS,
      version: '2019.0150.4390.02 ((SQL19_RTM_QFE-CU).240711-1919)',
    },
  ),
  sqlwriter: def('C:\\Program Files\\Microsoft SQL Server\\90\\Shared\\sqlwriter.exe', {
    original: 'sqlwriter.exe',
    description: 'SQL Server VSS Writer - 64 Bit',
    product: 'Microsoft SQL Server',
    signer: MS,
    version: '2019.0150.4390.02',
  }),
  sqlcmd: def(
    'C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE',
    {
      original: 'sqlcmd.exe',
      description: 'T-SQL execution command line utility',
      product: 'Microsoft SQL Server',
      signer: MS,
      version: '2017.0170.0014.01',
      console: true,
    },
  ),
  // Configuration Manager client (software deployment)
  ccmexec: def('C:\\Windows\\CCM\\CcmExec.exe', {
    original: 'CcmExec.exe',
    description: 'Host Process for Microsoft Configuration Manager',
    product: 'Microsoft Configuration Manager',
    signer: MS,
    version: '5.00.9128.1010',
  }),
  ccmeval: def('C:\\Windows\\CCM\\CcmEval.exe', {
    original: 'CcmEval.exe',
    description: 'Configuration Manager Health Evaluation',
    product: 'Microsoft Configuration Manager',
    signer: MS,
    version: '5.00.9128.1010',
  }),
  // Office and productivity
  officeclicktorun: def(
    'C:\\Program Files\\Common Files\\Microsoft Shared\\ClickToRun\\OfficeClickToRun.exe',
    {
      original: 'OfficeClickToRun.exe',
      description: 'Microsoft Office Click-to-Run (SxS)',
      product: 'Microsoft Office',
      signer: MS,
      version: OFFICE_VER,
    },
  ),
  officec2rclient: def(
    'C:\\Program Files\\Common Files\\Microsoft Shared\\ClickToRun\\OfficeC2RClient.exe',
    {
      original: 'OfficeC2RClient.exe',
      description: 'Microsoft Office Click-to-Run Client',
      product: 'Microsoft Office',
      signer: MS,
      version: OFFICE_VER,
    },
  ),
  winword: def(`${OFFICE}\\WINWORD.EXE`, {
    original: 'WinWord.exe',
    description: 'Microsoft Word',
    product: 'Microsoft Office',
    signer: MS,
    version: OFFICE_VER,
  }),
  excel: def(`${OFFICE}\\EXCEL.EXE`, {
    original: 'Excel.exe',
    description: 'Microsoft Excel',
    product: 'Microsoft Office',
    signer: MS,
    version: OFFICE_VER,
  }),
  powerpnt: def(`${OFFICE}\\POWERPNT.EXE`, {
    original: 'POWERPNT.EXE',
    description: 'Microsoft PowerPoint',
    product: 'Microsoft Office',
    signer: MS,
    version: OFFICE_VER,
  }),
  outlook: def(`${OFFICE}\\OUTLOOK.EXE`, {
    original: 'Outlook.exe',
    description: 'Microsoft Outlook',
    product: 'Microsoft Office',
    signer: MS,
    version: OFFICE_VER,
  }),
  sdxhelper: def(`${OFFICE}\\SDXHelper.exe`, {
    original: 'SDXHELPER.EXE',
    description: 'Microsoft Office SDX Helper',
    product: 'Microsoft Office',
    signer: MS,
    version: OFFICE_VER,
  }),
  teams: def('%PROFILE%\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe', {
    original: 'Teams.exe',
    description: 'Microsoft Teams',
    product: 'Microsoft Teams',
    signer: MS,
    version: '1.7.00.26062',
  }),
  teamsUpdate: def('%PROFILE%\\AppData\\Local\\Microsoft\\Teams\\Update.exe', {
    original: 'Update.exe',
    description: 'Microsoft Teams',
    product: 'Microsoft Teams',
    signer: MS,
    version: '1.10.52.0',
  }),
  onedrive: def('%PROFILE%\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe', {
    original: 'OneDrive.exe',
    description: 'Microsoft OneDrive',
    product: 'Microsoft OneDrive',
    signer: MS,
    version: '24.226.1110.0004',
  }),
  onedriveUpdater: def(
    '%PROFILE%\\AppData\\Local\\Microsoft\\OneDrive\\OneDriveStandaloneUpdater.exe',
    {
      original: 'OneDriveStandaloneUpdater.exe',
      description: 'Standalone Updater',
      product: 'Microsoft OneDrive',
      signer: MS,
      version: '24.226.1110.0004',
    },
  ),
  msedge: def(`C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe`, {
    original: 'msedge.exe',
    description: 'Microsoft Edge',
    product: 'Microsoft Edge',
    signer: MS,
    version: EDGE_VER,
  }),
  msedgeupdate: def('C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe', {
    original: 'msedgeupdate.dll',
    description: 'Microsoft Edge Update',
    product: 'Microsoft Edge Update',
    signer: MS,
    version: '1.3.195.39',
  }),
  chrome: def('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', {
    original: 'chrome.exe',
    description: 'Google Chrome',
    product: 'Google Chrome',
    company: 'Google LLC',
    signer: 'Google LLC',
    version: CHROME_VER,
  }),
  googleupdate: def('C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe', {
    original: 'GoogleUpdate.exe',
    description: 'Google Installer',
    product: 'Google Update',
    company: 'Google LLC',
    signer: 'Google LLC',
    version: '1.3.36.372',
  }),
  acrord32: def('C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe', {
    original: 'Acrobat.exe',
    description: 'Adobe Acrobat',
    product: 'Adobe Acrobat',
    company: 'Adobe Systems Incorporated',
    signer: 'Adobe Inc.',
    version: '24.4.20272.0',
  }),
  adobearm: def('C:\\Program Files (x86)\\Common Files\\Adobe\\ARM\\1.0\\AdobeARM.exe', {
    original: 'AdobeARM.exe',
    description: 'Adobe Reader and Acrobat Manager',
    product: 'Adobe Reader and Acrobat Manager',
    company: 'Adobe Inc.',
    signer: 'Adobe Inc.',
    version: '1.824.460.1042',
  }),
  sevenzip: def('C:\\Program Files\\7-Zip\\7zFM.exe', {
    original: '7zFM.exe',
    description: '7-Zip File Manager',
    product: '7-Zip',
    company: 'Igor Pavlov',
    signer: null,
    version: '24.08',
  }),
  notepadpp: def('C:\\Program Files\\Notepad++\\notepad++.exe', {
    original: 'notepad++.exe',
    description: 'Notepad++',
    product: 'Notepad++',
    company: 'Don HO don.h@free.fr',
    signer: 'Notepad++',
    version: '8.7.1',
  }),
  // Developer tools
  code: def('%PROFILE%\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe', {
    original: 'electron.exe',
    description: 'Visual Studio Code',
    product: 'Visual Studio Code',
    signer: MS,
    version: '1.95.3',
  }),
  git: def('C:\\Program Files\\Git\\cmd\\git.exe', {
    original: 'git.exe',
    description: 'Git for Windows',
    product: 'Git',
    company: 'The Git Development Community',
    signer: 'Johannes Schindelin',
    version: '2.47.0.2',
    console: true,
  }),
  gitMingw: def('C:\\Program Files\\Git\\mingw64\\bin\\git.exe', {
    original: 'git.exe',
    description: 'Git for Windows',
    product: 'Git',
    company: 'The Git Development Community',
    signer: 'Johannes Schindelin',
    version: '2.47.0.2',
  }),
  gitRemoteHttps: def('C:\\Program Files\\Git\\mingw64\\libexec\\git-core\\git-remote-https.exe', {
    original: 'git-remote-https.exe',
    description: 'Git for Windows',
    product: 'Git',
    company: 'The Git Development Community',
    signer: 'Johannes Schindelin',
    version: '2.47.0.2',
  }),
  node: def('C:\\Program Files\\nodejs\\node.exe', {
    original: 'node.exe',
    description: 'Node.js JavaScript Runtime',
    product: 'Node.js',
    company: 'Node.js',
    signer: 'OpenJS Foundation',
    version: '20.18.1',
    console: true,
  }),
  python: def('%PROFILE%\\AppData\\Local\\Programs\\Python\\Python312\\python.exe', {
    original: 'python.exe',
    description: 'Python',
    product: 'Python',
    company: 'Python Software Foundation',
    signer: 'Python Software Foundation',
    version: '3.12.7',
    console: true,
  }),
  // Virtualisation guest tools and monitoring
  vmtoolsd: def('C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe', {
    original: 'vmtoolsd.exe',
    description: 'VMware Tools Core Service',
    product: 'VMware Tools',
    company: 'VMware, Inc.',
    signer: 'VMware, Inc.',
    version: '12.4.5.23787635',
  }),
  monitoringhost: def('C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\MonitoringHost.exe', {
    original: 'MonitoringHost.exe',
    description: 'Microsoft Monitoring Agent Host Process',
    product: 'System Center Operations Manager',
    signer: MS,
    version: '10.20.18053.0',
  }),
  healthservice: def('C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\HealthService.exe', {
    original: 'HealthService.exe',
    description: 'Microsoft Monitoring Agent Service',
    product: 'System Center Operations Manager',
    signer: MS,
    version: '10.20.18053.0',
  }),
  // In-house software that was never signed: benign but unsigned, so "unsigned" alone is not guilt.
  invagent: def('C:\\Program Files\\Contoso\\InventoryAgent\\InvAgent.exe', {
    original: 'InvAgent.exe',
    description: 'Inventory Agent',
    product: 'Inventory Agent',
    company: 'IT Operations',
    signer: null,
    version: '3.2.1.0',
  }),
  orderservice: def('C:\\Program Files\\LineOfBusiness\\OrderService\\OrderService.exe', {
    original: 'OrderService.exe',
    description: 'Order Processing Service',
    product: 'LOB Suite',
    company: 'LOB Apps',
    signer: null,
    version: '5.8.0.112',
  }),
  backupAgent: def('C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe', {
    original: 'Veeam.EndPoint.Service.exe',
    description: 'Veeam Agent for Microsoft Windows Service',
    product: 'Veeam Agent for Microsoft Windows',
    company: 'Veeam Software Group GmbH',
    signer: 'Veeam Software Group GmbH',
    version: '6.1.2.134',
  }),
  wkhtmltopdf: def('C:\\inetpub\\wwwroot\\portal\\bin\\wkhtmltopdf.exe', {
    original: 'wkhtmltopdf.exe',
    description: 'wkhtmltopdf',
    product: 'wkhtmltopdf',
    company: 'wkhtmltopdf.org',
    signer: null,
    version: '0.12.6',
    console: true,
  }),
  // Sysinternals: signed by Microsoft, used by admins and attackers alike.
  psexec: def('C:\\Tools\\PSTools\\PsExec64.exe', {
    original: 'psexec.c',
    description: 'Execute processes remotely',
    product: 'Sysinternals PsExec',
    company: 'Sysinternals - www.sysinternals.com',
    signer: MS,
    version: '2.43',
    console: true,
  }),
  psexesvc: def('C:\\Windows\\PSEXESVC.exe', {
    original: 'psexesvc.exe',
    description: 'PsExec Service',
    product: 'Sysinternals PsExec',
    company: 'Sysinternals',
    signer: MS,
    version: '2.43',
  }),
  procdump: def('C:\\Tools\\Sysinternals\\procdump64.exe', {
    original: 'procdump',
    description: 'Sysinternals process dump utility',
    product: 'ProcDump',
    company: 'Sysinternals - www.sysinternals.com',
    signer: MS,
    version: '11.0',
    console: true,
  }),
} satisfies Record<string, BinaryDef>;

export type BinKey = keyof typeof BIN;

/** A packaged (AppX) or system app host identified only by its path. */
export function appHost(path: string, description: string): BinaryDef {
  return def(path, { description });
}

/** A file the attacker dropped: unsigned, no version resource (Sysmon prints '-'). */
export function droppedBinary(path: string, consoleApp = false): BinaryDef {
  return {
    path,
    name: basename(path),
    originalFileName: '-',
    description: '-',
    product: '-',
    company: '-',
    signer: null,
    trusted: false,
    version: '-',
    console: consoleApp,
  };
}

/** The same PE copied under another name (T1036.003): metadata and hash stay the original's. */
export function renamedBinary(original: BinaryDef, newPath: string): BinaryDef {
  return { ...original, path: newPath, name: basename(newPath) };
}

export function fileVersion(bin: BinaryDef, os: OsKind): string {
  if (bin.version !== 'os') return bin.version;
  const b = OS_BUILD[os];
  return `${b.build}.${b.revision} (WinBuild.160101.0800)`;
}

export interface FileHashes {
  md5: string;
  sha1: string;
  sha256: string;
  imphash: string;
  /** ECS carries hashes in lower case; shared so events do not re-case them. */
  lower: { sha256: string; md5: string; sha1: string };
}

const hashCache = new Map<string, FileHashes>();

/**
 * Stable pseudo-hashes: one identity per (original file, version), so the same binary hashes
 * the same on every host of one OS build, and a renamed copy keeps its original hash.
 * `salt` gives attacker payloads their own identity per scenario instance.
 */
export function fileHashes(bin: BinaryDef, os: OsKind, salt = ''): FileHashes {
  const identity =
    bin.signer === null && bin.originalFileName === '-' ? bin.path : bin.originalFileName;
  const key = `${identity}|${fileVersion(bin, os)}|${salt}`;
  let h = hashCache.get(key);
  if (!h) {
    const rng = new Rng(`filehash|${key}`);
    const md5 = rng.hex(32);
    const sha1 = rng.hex(40);
    const sha256 = rng.hex(64);
    h = {
      md5: md5.toUpperCase(),
      sha1: sha1.toUpperCase(),
      sha256: sha256.toUpperCase(),
      imphash: rng.hex(32, true),
      lower: { sha256, md5, sha1 },
    };
    // The cache is bounded by the catalog size plus one entry per attack payload.
    if (hashCache.size > 50_000) hashCache.clear();
    hashCache.set(key, h);
  }
  return h;
}
