/**
 * Discrete-event simulation of one host. Activity sources and timeline items (boots, logons,
 * attack steps) sit on an agenda; running one creates processes with start times at or after
 * the agenda time, which wait in a pending heap. A pending process is released only when no
 * agenda item is due earlier, so each host's stream comes out in time order while memory stays
 * proportional to the few process trees in flight, not to the length of the simulation.
 */
import { BIN, fileHashes, type BinaryDef, type FileHashes } from './catalog';
import { SYSTEM, type Account, type Environment, type HostInfo, type Person } from './environment';
import { MinHeap } from './heap';
import { Rng } from './rng';

export type Integrity = 'System' | 'High' | 'Medium' | 'Low' | 'AppContainer' | 'Untrusted';
export type ElevationType = 'default' | 'full' | 'limited';
export type LabelRole = 'attack' | 'attack_descendant' | 'background';

export interface LabelInfo {
  malicious: boolean;
  role: LabelRole;
  /** What benign activity (or attack step) produced the process; handy when reading data. */
  activity: string;
  scenarioId?: string;
  template?: string;
  technique?: string;
  techniques?: readonly string[];
  reason?: string;
  /** Event id of the nearest attack-role ancestor (itself for an attack-role process). */
  rootRid?: string;
}

export interface Logon {
  guid: string;
  id: string;
}

export interface ProcNode {
  /** Per-host creation counter: unique, and the tie-breaker for equal start times. */
  ctr: number;
  rid: string;
  entityId: string;
  pid: number;
  bin: BinaryDef;
  exe: string;
  name: string;
  cmd: string;
  cwd: string;
  account: Account;
  integrity: Integrity;
  elevation: ElevationType;
  session: number;
  logon: Logon;
  start: number;
  /** null only for the System pseudo-process, which Sysmon never reports. */
  parent: ProcNode | null;
  host: HostInfo;
  bootId: number;
  label: LabelInfo;
  hashes: FileHashes;
}

export interface SpawnSpec {
  bin: BinaryDef;
  /** Full command line as Windows records it. */
  cmd: string;
  /** Executable path when it differs from the catalog (renamed copies, per-user installs). */
  exe?: string;
  cwd?: string;
  account?: Account;
  integrity?: Integrity;
  elevation?: ElevationType;
  session?: number;
  logon?: Logon;
  label?: LabelInfo;
  /** Defaults to: console program started by a non-console parent. */
  conhost?: boolean;
  /** Long-lived: keep its PID out of reuse until the boot ends. */
  persistent?: boolean;
  hashSalt?: string;
}

export interface SessionState {
  id: number;
  person: Person;
  account: Account;
  kind: 'console' | 'rdp';
  logon: Logon;
  logonAt: number;
  logoffAt: number;
  winlogon: ProcNode;
  explorer?: ProcNode;
  /** Long-running user applications (browser main process, Outlook, Teams, …) by key. */
  apps: Map<string, ProcNode>;
  /** Processes started elevated through UAC run High and carry a 'full' token. */
  elevatedAccount: Account;
}

export interface BootState {
  id: number;
  at: number;
  system: ProcNode;
  smss: ProcNode;
  wininit?: ProcNode;
  services?: ProcNode;
  lsass?: ProcNode;
  /** svchost instances by group or split service name ('DcomLaunch', 'netsvcs', 'Schedule', …). */
  svc: Map<string, ProcNode>;
  /** Other long-running processes by key ('ccmexec', 'sqlservr', 'w3wp:DefaultAppPool', …). */
  named: Map<string, ProcNode>;
  /** winlogon of the console session, waiting for the next interactive logon. */
  consoleWinlogon?: ProcNode;
  consoleSession: number;
  nextSession: number;
  /** WMI provider hosts linger for a few minutes after their last request. */
  wmiprvse?: { node: ProcNode; until: number };
}

interface AgendaItem {
  t: number;
  seq: number;
  run: () => void;
}

const MACHINE_LOGON: Record<string, string> = {
  system: '0x3e7',
  localservice: '0x3e5',
  networkservice: '0x3e4',
};

const CONHOST_CMD = '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1';

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width);
}

/** Little-endian byte order of a 16-bit value as 4 hex digits, as in real ProcessGuids. */
function le16(n: number): string {
  return hex(n & 0xff, 2) + hex((n >>> 8) & 0xff, 2);
}

const backgroundLabels = new Map<string, LabelInfo>();

export function backgroundLabel(activity: string): LabelInfo {
  let l = backgroundLabels.get(activity);
  if (!l) {
    l = { malicious: false, role: 'background', activity };
    backgroundLabels.set(activity, l);
  }
  return l;
}

export class HostSim {
  readonly rng: Rng;
  boot: BootState | null = null;
  /** Boots so far; the current boot's id. */
  bootCount = 0;
  sessions: SessionState[] = [];
  /** While the boot chain is being created, every new process gets a small, rising PID. */
  bootPhase = false;
  /** Benign activity name stamped on processes spawned by the running agenda item. */
  activity = 'background';
  /** Actions waiting for a given account's next logon on this host (Run-key persistence). */
  logonHooks: Array<{ sid: string; run: (session: SessionState) => void }> = [];
  /** Scale factor on benign activity rates (eventsPerHostDay relative to the default 1000). */
  readonly rateScale: number;

  private readonly pending = new MinHeap<ProcNode>(
    (a, b) => a.start < b.start || (a.start === b.start && a.ctr < b.ctr),
  );
  private readonly agenda = new MinHeap<AgendaItem>(
    (a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq),
  );
  private agendaSeq = 0;
  /** Time of the agenda item being run: nothing created now may start before it. */
  private now = Number.NEGATIVE_INFINITY;
  private ctr = 0;
  private readonly livePids = new Set<number>();
  private readonly recentPids: number[] = [];
  private recentPidIdx = 0;
  private readonly ridPrefix: string;
  private bootPid = 0;

  constructor(
    readonly env: Environment,
    readonly host: HostInfo,
  ) {
    this.rng = Rng.derive(env.seed, 'host', host.index);
    this.rateScale = env.eventsPerHostDay / 1000;
    this.ridPrefix = `syn-${env.seed.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 24)}:${host.short.toLowerCase()}`;
  }

  get up(): boolean {
    return this.boot !== null;
  }

  /** Interactive session active at `t`, preferring the console. */
  sessionAt(t: number): SessionState | undefined {
    let best: SessionState | undefined;
    for (const s of this.sessions) {
      if (s.logonAt <= t && t < s.logoffAt && s.explorer) {
        if (!best || s.kind === 'console') best = s;
      }
    }
    return best;
  }

  schedule(t: number, run: () => void): void {
    if (t >= this.env.endMs) return;
    this.agenda.push({ t, seq: this.agendaSeq++, run });
  }

  /** Next process of this host in time order, or null when the host's window is exhausted. */
  peek(): ProcNode | null {
    for (;;) {
      const p = this.pending.peek();
      const a = this.agenda.peek();
      if (p && (!a || p.start <= a.t)) {
        if (p.start >= this.env.endMs) return null;
        return p;
      }
      if (!a) return null;
      this.agenda.pop();
      this.now = a.t;
      a.run();
    }
  }

  pop(): ProcNode | null {
    const p = this.peek();
    if (p) this.pending.pop();
    return p;
  }

  /** Drop everything that would start after `t` on the ended boot (the machine went dark). */
  discardPendingFrom(t: number, bootId: number): void {
    this.pending.filter((n) => n.start < t || n.bootId !== bootId);
    this.livePids.clear();
  }

  releasePid(pid: number): void {
    this.livePids.delete(pid);
  }

  /**
   * Windows hands out multiples of 4 and reuses them; boot-time processes get small,
   * increasing ids. Long-lived processes and the last few hundred ids are not reused so
   * concurrent processes never share a PID.
   */
  allocPid(persistent: boolean, bootPhase = false): number {
    let pid: number;
    if (bootPhase) {
      this.bootPid += 4 * this.rng.int(1, 24);
      pid = this.bootPid;
    } else {
      const ceiling = this.host.role === 'workstation' ? 16_000 : 24_000;
      do {
        pid = 4 * this.rng.int(250, ceiling / 4);
      } while (this.livePids.has(pid) || this.recentPids.includes(pid));
      if (this.recentPids.length < 128) this.recentPids.push(pid);
      else {
        this.recentPids[this.recentPidIdx] = pid;
        this.recentPidIdx = (this.recentPidIdx + 1) % 128;
      }
    }
    if (persistent) this.livePids.add(pid);
    return pid;
  }

  resetBootPids(): void {
    this.livePids.clear();
    this.bootPid = 4 * this.rng.int(20, 60);
  }

  /** Sysmon-shaped ProcessGuid: machine prefix, start time, per-host counter. */
  private entityId(startMs: number, ctr: number, bootId: number): string {
    const secs = Math.floor(startMs / 1000);
    return `{${this.host.guidPrefix}-${hex(secs & 0xffff, 4)}-${hex(secs >>> 16, 4)}-${le16(ctr)}-0000${hex(
      ctr >>> 16,
      4,
    )}${hex(bootId, 2)}00}`;
  }

  machineLogon(account: Account): Logon {
    const id = MACHINE_LOGON[account.kind] ?? '0x3e7';
    const n = parseInt(id, 16);
    return { id, guid: `{${this.host.guidPrefix}-0000-0000-${le16(n)}-000000000000}` };
  }

  newLogon(t: number): Logon {
    const n = this.rng.int(0x20000, 0xfffffff);
    const secs = Math.floor(t / 1000);
    return {
      id: `0x${n.toString(16)}`,
      guid: `{${this.host.guidPrefix}-${hex(secs & 0xffff, 4)}-${hex(secs >>> 16, 4)}-${le16(n)}-${hex(
        n >>> 16,
        4,
      )}00000000}`,
    };
  }

  /** The System pseudo-process (PID 4) of a new boot; never emitted, parent of smss. */
  makeSystemRoot(t: number, bootId: number): ProcNode {
    const ctr = this.ctr++;
    return {
      ctr,
      rid: `${this.ridPrefix}:system${bootId}`,
      entityId: this.entityId(t, ctr, bootId),
      pid: 4,
      bin: BIN.smss,
      exe: 'System',
      name: 'System',
      cmd: '',
      cwd: '',
      account: SYSTEM,
      integrity: 'System',
      elevation: 'default',
      session: 0,
      logon: this.machineLogon(SYSTEM),
      start: t,
      parent: null,
      host: this.host,
      bootId,
      label: backgroundLabel('boot'),
      hashes: fileHashes(BIN.smss, this.host.os),
    };
  }

  /**
   * Create a process. Its start is pushed after the parent's, and never before the agenda
   * time (processes already released must not be overtaken), so the stream stays sorted and
   * a parent always precedes its children, however the caller computed `at`.
   */
  spawn(parent: ProcNode, at: number, spec: SpawnSpec, bootPhase = false): ProcNode {
    const start = Math.max(Math.round(at), parent.start + 1, this.now);
    const account = spec.account ?? parent.account;
    const profile = account.profile ?? 'C:\\Windows\\system32\\config\\systemprofile';
    const exe = spec.exe ?? spec.bin.path.replace('%PROFILE%', profile);
    const ctr = this.ctr++;
    const bootId = this.boot?.id ?? parent.bootId;
    let label = spec.label;
    if (!label) {
      if (parent.label.malicious) {
        label = {
          malicious: true,
          role: 'attack_descendant',
          activity: parent.label.activity,
          scenarioId: parent.label.scenarioId,
          template: parent.label.template,
          technique: parent.label.technique,
          techniques: parent.label.techniques,
          reason:
            parent.label.role === 'attack'
              ? `descendant of attack root: ${parent.label.reason ?? ''}`
              : parent.label.reason,
          rootRid: parent.label.role === 'attack' ? parent.rid : parent.label.rootRid,
        };
      } else {
        label = backgroundLabel(this.activity);
      }
    }
    const rid = `${this.ridPrefix}:${ctr}`;
    if (label.role === 'attack' && label.rootRid === undefined) label = { ...label, rootRid: rid };
    const sameAccount = account === parent.account;
    const node: ProcNode = {
      ctr,
      rid,
      entityId: this.entityId(start, ctr, bootId),
      pid: this.allocPid(spec.persistent === true, bootPhase || this.bootPhase),
      bin: spec.bin,
      exe,
      name: exe.slice(exe.lastIndexOf('\\') + 1),
      cmd: spec.cmd,
      cwd:
        spec.cwd ??
        (parent.bin.console && parent.cwd
          ? parent.cwd
          : account.kind === 'user' || account.kind === 'local'
            ? `${profile}\\`
            : 'C:\\Windows\\system32\\'),
      account,
      integrity: spec.integrity ?? (sameAccount ? parent.integrity : integrityFor(account)),
      elevation: spec.elevation ?? (sameAccount ? parent.elevation : 'default'),
      session: spec.session ?? parent.session,
      logon: spec.logon ?? (sameAccount ? parent.logon : this.machineLogon(account)),
      start,
      parent,
      host: this.host,
      bootId,
      label,
      hashes: fileHashes(spec.bin, this.host.os, spec.hashSalt),
    };
    this.pending.push(node);
    const wantsConhost = spec.conhost ?? (spec.bin.console && !parent.bin.console);
    if (wantsConhost) {
      this.spawn(node, start + this.rng.int(2, 30), {
        bin: BIN.conhost,
        cmd: CONHOST_CMD,
        cwd: 'C:\\Windows\\system32\\',
        conhost: false,
      });
    }
    return node;
  }
}

export function integrityFor(account: Account): Integrity {
  switch (account.kind) {
    case 'system':
    case 'localservice':
    case 'networkservice':
    case 'virtual':
      return 'System';
    case 'service':
      return 'High';
    default:
      return 'Medium';
  }
}

/**
 * Writes attack chains step by step on one host: a time cursor plus helpers that label each
 * step. Attack-role steps are what the operator (or the stager) deliberately ran; anything they
 * spawn without a label of its own becomes an attack_descendant automatically.
 */
export class Actor {
  constructor(
    readonly sim: HostSim,
    readonly rng: Rng,
    public t: number,
    readonly scenarioId: string,
    readonly template: string,
  ) {}

  /** Move the cursor forward by a random delay in [minMs, maxMs]. */
  wait(minMs: number, maxMs: number): this {
    this.t += this.rng.int(minMs, maxMs);
    return this;
  }

  /** A deliberate attacker step. */
  attack(
    parent: ProcNode,
    spec: SpawnSpec,
    techniques: string | readonly string[],
    reason: string,
  ): ProcNode {
    const list = typeof techniques === 'string' ? [techniques] : techniques;
    const node = this.sim.spawn(parent, this.t, {
      ...spec,
      label: {
        malicious: true,
        role: 'attack',
        activity: this.template,
        scenarioId: this.scenarioId,
        template: this.template,
        technique: list[0],
        techniques: list,
        reason,
      },
    });
    this.t = node.start;
    return node;
  }

  /** A process the previous step starts on its own (inherits the attack label as descendant). */
  child(parent: ProcNode, spec: SpawnSpec): ProcNode {
    const node = this.sim.spawn(parent, this.t, spec);
    this.t = node.start;
    return node;
  }
}
