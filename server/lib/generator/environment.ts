/**
 * The simulated organisation: one Active Directory domain, its hosts, people and service
 * accounts, and each host's daily rhythm (boots, shutdowns, logon sessions). Day plans are pure
 * functions of (seed, host, day) so the attack planner and the host simulators agree on when a
 * user is logged on without sharing mutable state, and nothing grows with the number of days.
 */
import type { OsKind } from './catalog';
import { Rng, hash32 } from './rng';

export type HostRole = 'workstation' | 'server' | 'dc';
export type ServerKind = 'web' | 'sql' | 'file' | 'app' | 'mgmt';

export type AccountKind =
  'system' | 'localservice' | 'networkservice' | 'user' | 'service' | 'virtual' | 'local';

export interface Account {
  name: string;
  domain: string;
  sid: string;
  kind: AccountKind;
  /** Profile directory for interactive accounts. */
  profile?: string;
}

export interface Person {
  account: Account;
  /** Separate privileged account for IT staff (tiered admin model). */
  adminAccount?: Account;
  developer: boolean;
  it: boolean;
}

export interface HostInfo {
  index: number;
  /** FQDN, lower case; used verbatim as host.name and Sysmon Hostname. */
  name: string;
  short: string;
  role: HostRole;
  serverKind?: ServerKind;
  os: OsKind;
  ip: string;
  /** First 8 hex digits of every ProcessGuid on this host (Sysmon derives it from the machine). */
  guidPrefix: string;
  /** Owner of a workstation. */
  owner?: Person;
  localAdmin: Account;
}

export interface Environment {
  seed: string;
  startMs: number;
  endMs: number;
  days: number;
  domain: { netbios: string; fqdn: string; sid: string };
  hosts: HostInfo[];
  people: Person[];
  itStaff: Person[];
  service: {
    sql: Account;
    sqlAgent: Account;
    /** Operations-monitoring action account the monitoring host's scripts run as. */
    monitor: Account;
  };
  /** Relative event volume knob: average process creations of a workstation weekday. */
  eventsPerHostDay: number;
}

export const SYSTEM: Account = {
  name: 'SYSTEM',
  domain: 'NT AUTHORITY',
  sid: 'S-1-5-18',
  kind: 'system',
};
export const LOCAL_SERVICE: Account = {
  name: 'LOCAL SERVICE',
  domain: 'NT AUTHORITY',
  sid: 'S-1-5-19',
  kind: 'localservice',
};
export const NETWORK_SERVICE: Account = {
  name: 'NETWORK SERVICE',
  domain: 'NT AUTHORITY',
  sid: 'S-1-5-20',
  kind: 'networkservice',
};

export function dwmAccount(session: number): Account {
  return {
    name: `DWM-${session}`,
    domain: 'Window Manager',
    sid: `S-1-5-90-0-${session}`,
    kind: 'virtual',
  };
}

export function umfdAccount(session: number): Account {
  return {
    name: `UMFD-${session}`,
    domain: 'Font Driver Host',
    sid: `S-1-5-96-0-${session}`,
    kind: 'virtual',
  };
}

export function appPoolAccount(pool: string): Account {
  const h = hash32(pool);
  return {
    name: pool,
    domain: 'IIS APPPOOL',
    sid: `S-1-5-82-${h}-${hash32(pool + '1')}-${hash32(pool + '2')}-${hash32(pool + '3')}-${hash32(pool + '4')}`,
    kind: 'service',
  };
}

const FIRST = [
  'james',
  'mary',
  'robert',
  'patricia',
  'john',
  'jennifer',
  'michael',
  'linda',
  'david',
  'elizabeth',
  'william',
  'barbara',
  'richard',
  'susan',
  'joseph',
  'jessica',
  'thomas',
  'sarah',
  'charles',
  'karen',
  'christopher',
  'lisa',
  'daniel',
  'nancy',
  'matthew',
  'betty',
  'anthony',
  'sandra',
  'mark',
  'ashley',
  'steven',
  'kimberly',
  'paul',
  'emily',
  'andrew',
  'donna',
  'joshua',
  'michelle',
  'kenneth',
  'carol',
  'kevin',
  'amanda',
  'brian',
  'melissa',
  'george',
  'deborah',
  'timothy',
  'stephanie',
  'ronald',
  'rebecca',
  'priya',
  'wei',
  'fatima',
  'luca',
  'sofia',
  'mateo',
  'aisha',
  'kenji',
  'ingrid',
  'omar',
];
const LAST = [
  'smith',
  'johnson',
  'williams',
  'brown',
  'jones',
  'garcia',
  'miller',
  'davis',
  'rodriguez',
  'martinez',
  'hernandez',
  'lopez',
  'gonzalez',
  'wilson',
  'anderson',
  'thomas',
  'taylor',
  'moore',
  'jackson',
  'martin',
  'lee',
  'perez',
  'thompson',
  'white',
  'harris',
  'sanchez',
  'clark',
  'ramirez',
  'lewis',
  'robinson',
  'walker',
  'young',
  'allen',
  'king',
  'wright',
  'scott',
  'torres',
  'nguyen',
  'hill',
  'flores',
  'green',
  'adams',
  'nelson',
  'baker',
  'hall',
  'rivera',
  'campbell',
  'mitchell',
  'carter',
  'roberts',
  'patel',
  'chen',
  'khan',
  'rossi',
  'novak',
  'schmidt',
  'kowalski',
  'tanaka',
  'larsen',
  'haddad',
];
const DOMAINS = [
  'CONTOSO',
  'FABRIKAM',
  'NORTHWIND',
  'WOODGROVE',
  'TAILSPIN',
  'LITWARE',
  'ADATUM',
  'PROSEWARE',
];
const DEPTS = ['FIN', 'HR', 'ENG', 'OPS', 'MKT', 'SALES', 'LEGAL', 'IT'];
const SERVER_KINDS: ServerKind[] = [
  'web',
  'sql',
  'file',
  'app',
  'mgmt',
  'web',
  'app',
  'file',
  'sql',
];
const SERVER_NAME: Record<ServerKind, string> = {
  web: 'WEB',
  sql: 'SQL',
  file: 'FS',
  app: 'APP',
  mgmt: 'MGMT',
};

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MIN_MS = 60_000;

export interface EnvironmentOptions {
  seed: string;
  hosts: number;
  days: number;
  startMs: number;
  eventsPerHostDay: number;
}

function roleCounts(n: number): { dc: number; server: number; workstation: number } {
  if (n <= 1) return { dc: 0, server: 0, workstation: n };
  if (n === 2) return { dc: 1, server: 0, workstation: 1 };
  const dc = Math.min(4, Math.max(1, Math.round(n * 0.02)));
  const server = Math.max(1, Math.round(n * 0.15));
  return { dc, server, workstation: n - dc - server };
}

export function buildEnvironment(opts: EnvironmentOptions): Environment {
  const rng = Rng.derive(opts.seed, 'environment');
  const netbios = rng.pick(DOMAINS);
  const fqdn = `${netbios.toLowerCase()}.${rng.pick(['local', 'corp', 'lan', 'internal'])}`;
  const domainSid = `S-1-5-21-${rng.int(1_000_000_000, 4_000_000_000)}-${rng.int(1_000_000_000, 4_000_000_000)}-${rng.int(
    100_000_000,
    4_000_000_000,
  )}`;
  let nextRid = 1103;
  const account = (name: string, kind: AccountKind = 'user'): Account => ({
    name,
    domain: netbios,
    sid: `${domainSid}-${nextRid++}`,
    kind,
    profile: `C:\\Users\\${name}`,
  });

  const counts = roleCounts(opts.hosts);
  const usedNames = new Set<string>();
  const people: Person[] = [];
  const personCount = Math.max(counts.workstation, 3);
  for (let i = 0; i < personCount; i++) {
    let name = '';
    for (let attempt = 0; attempt < 20 && (name === '' || usedNames.has(name)); attempt++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      name = rng.chance(0.5) ? `${first}.${last}` : `${first[0]}${last}`;
    }
    if (usedNames.has(name)) name = `${name}${i}`;
    usedNames.add(name);
    const it = i < Math.max(2, Math.round(personCount * 0.06));
    const person: Person = { account: account(name), developer: !it && rng.chance(0.18), it };
    if (it) person.adminAccount = account(`adm-${name}`);
    people.push(person);
  }
  const itStaff = people.filter((p) => p.it);

  const hosts: HostInfo[] = [];
  const prefixes = new Set<string>();
  const subnet = rng.int(10, 200);
  const addHost = (
    role: HostRole,
    short: string,
    serverKind?: ServerKind,
    owner?: Person,
  ): void => {
    const index = hosts.length;
    let prefix = (hash32(`${opts.seed}|guid|${index}`) >>> 0).toString(16).padStart(8, '0');
    for (let k = 1; prefixes.has(prefix); k++) {
      prefix = (hash32(`${opts.seed}|guid|${index}|${k}`) >>> 0).toString(16).padStart(8, '0');
    }
    prefixes.add(prefix);
    const os: OsKind =
      role === 'workstation'
        ? rng.chance(0.3)
          ? 'win11'
          : 'win10'
        : rng.chance(0.6)
          ? 'srv2022'
          : 'srv2019';
    const third = role === 'workstation' ? 20 + Math.floor(index / 250) : 10;
    const fourth = role === 'workstation' ? (index % 250) + 2 : 10 + (index % 240);
    hosts.push({
      index,
      name: `${short.toLowerCase()}.${fqdn}`,
      short,
      role,
      serverKind,
      os,
      ip: `10.${subnet}.${third}.${fourth}`,
      guidPrefix: prefix,
      owner,
      localAdmin: {
        name: 'Administrator',
        domain: short,
        sid: `S-1-5-21-${hash32(`${short}a`)}-${hash32(`${short}b`)}-${hash32(`${short}c`)}-500`,
        kind: 'local',
        profile: 'C:\\Users\\Administrator',
      },
    });
  };
  for (let i = 0; i < counts.dc; i++) addHost('dc', `DC${String(i + 1).padStart(2, '0')}`);
  const kindSeen = new Map<ServerKind, number>();
  for (let i = 0; i < counts.server; i++) {
    const kind = SERVER_KINDS[i % SERVER_KINDS.length] as ServerKind;
    const n = (kindSeen.get(kind) ?? 0) + 1;
    kindSeen.set(kind, n);
    addHost('server', `SRV-${SERVER_NAME[kind]}${String(n).padStart(2, '0')}`, kind);
  }
  // IT staff own the first workstations so admin activity has a home.
  for (let i = 0; i < counts.workstation; i++) {
    const owner = people[i] as Person;
    const dept = owner.it ? 'IT' : owner.developer ? 'ENG' : rng.pick(DEPTS);
    const form = rng.chance(0.6) ? 'LT' : 'WS';
    addHost('workstation', `${dept}-${form}${String(i + 1).padStart(3, '0')}`, undefined, owner);
  }

  return {
    seed: opts.seed,
    startMs: opts.startMs,
    endMs: opts.startMs + opts.days * DAY_MS,
    days: opts.days,
    domain: { netbios, fqdn, sid: domainSid },
    hosts,
    people,
    itStaff,
    service: {
      sql: account('svc_sql', 'service'),
      sqlAgent: account('svc_sqlagent', 'service'),
      monitor: account('svc_scom', 'service'),
    },
    eventsPerHostDay: opts.eventsPerHostDay,
  };
}

export type SessionKind = 'console' | 'rdp';

export interface SessionPlan {
  person: Person;
  account: Account;
  kind: SessionKind;
  logon: number;
  logoff: number;
}

export interface DayPlan {
  day: number;
  dayStart: number;
  /** Power transitions in time order. A reboot is a 'down' followed shortly by an 'up'. */
  power: Array<{ t: number; up: boolean }>;
  sessions: SessionPlan[];
  /** Whether the host is powered off when the day ends. */
  offAtEnd: boolean;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(ms: number): number {
  return new Date(ms).getUTCDay();
}

function isPatchNight(ms: number): boolean {
  // The Wednesday after the second Tuesday of the month: Patch Tuesday updates install overnight.
  const d = new Date(ms);
  return d.getUTCDay() === 3 && d.getUTCDate() >= 9 && d.getUTCDate() <= 15;
}

function isServerPatchWindow(ms: number): boolean {
  const d = new Date(ms);
  return d.getUTCDay() === 0 && d.getUTCDate() >= 13 && d.getUTCDate() <= 19;
}

interface DrawnDay {
  sessions: SessionPlan[];
  /** When the user's session ends with a shutdown. */
  shutdownAt?: number;
  nightReboot?: number;
}

/** The random part of a day, independent of the previous day's power state. */
function drawDay(env: Environment, host: HostInfo, day: number): DrawnDay {
  const rng = Rng.derive(env.seed, 'day', host.index, day);
  const dayStart = env.startMs + day * DAY_MS;
  const wd = weekday(dayStart);
  const weekend = wd === 0 || wd === 6;
  const out: DrawnDay = { sessions: [] };
  if (host.role === 'workstation' && host.owner) {
    const owner = host.owner;
    const present = weekend ? rng.chance(0.06) : rng.chance(0.92);
    // Draw everything in a fixed order so one day's choices never shift another's.
    const logonH = weekend ? rng.float(10, 16) : Math.min(11, Math.max(6, rng.normal(8.1, 0.6)));
    const durH = weekend ? rng.float(0.5, 3) : Math.min(11, Math.max(4, rng.normal(8.6, 1)));
    const shutdown = rng.chance(weekend ? 0.7 : 0.38);
    const shutdownDelay = rng.float(20_000, 180_000);
    if (present) {
      const logon = dayStart + Math.round(logonH * HOUR_MS) + rng.int(0, 59_999);
      const logoff = logon + Math.round(durH * HOUR_MS);
      out.sessions.push({ person: owner, account: owner.account, kind: 'console', logon, logoff });
      if (shutdown) out.shutdownAt = logoff + Math.round(shutdownDelay);
    }
    const randomReboot = rng.chance(0.015);
    const rebootAt = dayStart + Math.round(rng.float(2, 4.5) * HOUR_MS);
    if (isPatchNight(dayStart) || randomReboot) out.nightReboot = rebootAt;
  } else if (host.role !== 'workstation') {
    const rdp = !weekend && rng.chance(host.role === 'dc' ? 0.35 : 0.25);
    const logon = dayStart + Math.round(rng.float(8.5, 17) * HOUR_MS);
    const dur = Math.round(Math.min(4 * HOUR_MS, rng.logNormal(25 * MIN_MS, 2.2)));
    const admin = env.itStaff.length > 0 ? rng.pick(env.itStaff) : undefined;
    if (rdp && admin) {
      out.sessions.push({
        person: admin,
        account: admin.adminAccount ?? admin.account,
        kind: 'rdp',
        logon,
        logoff: logon + Math.max(3 * MIN_MS, dur),
      });
    }
    const stagger = rng.float(1, 4) * HOUR_MS;
    if (isServerPatchWindow(dayStart)) out.nightReboot = dayStart + Math.round(stagger);
  }
  return out;
}

/**
 * Whether a workstation is off when `day` ends. Walks back over days without a logon (a
 * machine switched off on Friday stays off over the weekend); bounded by the planning horizon.
 */
export function offAtEndOf(env: Environment, host: HostInfo, day: number): boolean {
  if (host.role !== 'workstation') return false;
  for (let d = day, steps = 0; d >= 0 && steps < 60; d--, steps++) {
    const drawn = drawDay(env, host, d);
    if (drawn.sessions.length > 0) return drawn.shutdownAt !== undefined;
  }
  return false;
}

export function dayPlan(env: Environment, host: HostInfo, day: number): DayPlan {
  const dayStart = env.startMs + day * DAY_MS;
  const drawn = drawDay(env, host, day);
  const rng = Rng.derive(env.seed, 'power', host.index, day);
  const power: Array<{ t: number; up: boolean }> = [];
  // Every host is switched on at the start of the window so that every process in the
  // stream has its ancestors in the stream too.
  let on = day === 0 ? false : !offAtEndOf(env, host, day - 1);
  if (day === 0) {
    power.push({
      t: dayStart + rng.int(5_000, host.role === 'workstation' ? 20 * MIN_MS : 10 * MIN_MS),
      up: true,
    });
    on = true;
  }
  if (drawn.nightReboot !== undefined && on) {
    const first = power[0];
    if (!first || first.t < drawn.nightReboot) {
      power.push({ t: drawn.nightReboot, up: false });
      power.push({ t: drawn.nightReboot + rng.int(70_000, 240_000), up: true });
    }
  }
  for (const s of drawn.sessions) {
    if (!on) {
      power.push({ t: s.logon - rng.int(60_000, 360_000), up: true });
      on = true;
    }
  }
  if (drawn.shutdownAt !== undefined) {
    power.push({ t: drawn.shutdownAt, up: false });
    on = false;
  }
  power.sort((a, b) => a.t - b.t);
  return { day, dayStart, power, sessions: drawn.sessions, offAtEnd: !on };
}

export function accountLabel(a: Account): string {
  return `${a.domain}\\${a.name}`;
}
