/**
 * A flagged community as an ECS alert document (`event.kind: "alert"`) for Elastic Security: pure,
 * so the unit test can check every field it writes against the ECS definitions (@elastic/ecs).
 * docs/alerts.md explains the index, the timestamps and the Security rule that promotes these
 * documents to Security alerts (server/alerts/security_rule.json).
 *
 * Field choices follow Elastic's own alert sources (Elastic Defend's `logs-endpoint.alerts-*`
 * and the "Endpoint Security" promotion rule in elastic/detection-rules
 * rules/promotions/endpoint_security.toml): `event.risk_score` 0–100 read by the rule's
 * risk_score_mapping, `event.severity` 21 / 47 / 73 / 99 read by its severity_mapping, and
 * `event.ingested` as the rule's timestamp_override while `@timestamp` is when the activity
 * happened.
 */
import { createHash } from 'node:crypto';
import { scoreToSeverity } from '../../common/severity';
import type { AnomalousCommunity } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import { threatRefs } from './attack_tactics';

/**
 * Matched by Elastic Security's default index pattern `logs-*` (securitySolution:defaultIndex,
 * DEFAULT_INDEX_PATTERN in security_solution/common/constants.ts) but not by `logs-*-*`, the
 * pattern of Elasticsearch's built-in `logs` template that turns names into append-only data
 * streams: a plain index, so a community's alert is updated in place by id.
 */
export const ALERT_INDEX = 'logs-problemchild.alerts';
export const ECS_VERSION = '9.3.0';

export const ALERT_RULE = {
  id: 'problemchild-anomalous-community',
  name: 'ProblemChild anomalous process community',
  description:
    'A group of related process creations on one host that stays anomalous after weighing how common its parent→child steps and command lines are in this environment (living-off-the-land activity).',
  ruleset: 'problemchild',
  category: 'Living off the land',
  version: '1',
  author: ['ProblemChild'],
} as const;

export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/**
 * Security's severity bands by risk score (RiskScore in the detection engine's
 * common_attributes.schema.yaml: 0–21 low, 22–47 medium, 48–73 high, 74–100 critical), mapped
 * onto the app's levels (common/severity.ts: ≥ 0.9 critical, ≥ 0.75 high, ≥ 0.5 medium), so the
 * app and Security agree. `eventSeverity` is the band's top, as Elastic Defend writes it.
 */
const BANDS: { min: number; max: number; lo: number; hi: number; label: AlertSeverity }[] = [
  { min: 0.9, max: 1, lo: 74, hi: 100, label: 'critical' },
  { min: 0.75, max: 0.9, lo: 48, hi: 73, label: 'high' },
  { min: 0.5, max: 0.75, lo: 22, hi: 47, label: 'medium' },
  { min: 0, max: 0.5, lo: 0, hi: 21, label: 'low' },
];
export const EVENT_SEVERITY: Record<AlertSeverity, number> = {
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

export function alertSeverity(score: number): AlertSeverity {
  switch (scoreToSeverity(score)) {
    case 'danger':
      return 'critical';
    case 'risk':
      return 'high';
    case 'warning':
      return 'medium';
    default:
      return 'low';
  }
}

/** Community score 0..1 → integer 0..100, monotone, inside the band of its severity. */
export function riskScore(score: number): number {
  const s = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  const band = BANDS.find((b) => s >= b.min)!;
  const frac = band.max > band.min ? (s - band.min) / (band.max - band.min) : 0;
  return Math.min(band.hi, band.lo + Math.floor(frac * (band.hi - band.lo + 1)));
}

/** ECS-typed fields this document may hold (dotted name → Elasticsearch core type). */
export type AlertFieldType = 'keyword' | 'date' | 'float' | 'long' | 'text';

/**
 * Every field the builder writes, with the type the index maps it to. ECS types the test
 * distribution lacks are replaced by their core equivalents (`wildcard` → keyword,
 * `match_only_text` → text); `problemchild.*` is our own namespace.
 */
export const ALERT_FIELDS: Record<string, AlertFieldType> = {
  '@timestamp': 'date',
  message: 'text',
  'ecs.version': 'keyword',
  'event.kind': 'keyword',
  'event.module': 'keyword',
  'event.dataset': 'keyword',
  'event.category': 'keyword',
  'event.type': 'keyword',
  'event.action': 'keyword',
  'event.id': 'keyword',
  'event.reason': 'keyword',
  'event.risk_score': 'float',
  'event.severity': 'long',
  'event.start': 'date',
  'event.end': 'date',
  'event.created': 'date',
  'event.ingested': 'date',
  'event.url': 'keyword',
  'rule.id': 'keyword',
  'rule.name': 'keyword',
  'rule.description': 'keyword',
  'rule.ruleset': 'keyword',
  'rule.category': 'keyword',
  'rule.version': 'keyword',
  'rule.author': 'keyword',
  'threat.framework': 'keyword',
  'threat.tactic.id': 'keyword',
  'threat.tactic.name': 'keyword',
  'threat.tactic.reference': 'keyword',
  'threat.technique.id': 'keyword',
  'threat.technique.name': 'keyword',
  'threat.technique.reference': 'keyword',
  'threat.technique.subtechnique.id': 'keyword',
  'threat.technique.subtechnique.name': 'keyword',
  'threat.technique.subtechnique.reference': 'keyword',
  'host.name': 'keyword',
  'user.name': 'keyword',
  'user.domain': 'keyword',
  'user.id': 'keyword',
  'process.entity_id': 'keyword',
  'process.pid': 'long',
  'process.name': 'keyword',
  'process.executable': 'keyword',
  'process.command_line': 'keyword',
  'process.hash.sha256': 'keyword',
  'process.parent.entity_id': 'keyword',
  'process.parent.pid': 'long',
  'process.parent.name': 'keyword',
  'process.parent.executable': 'keyword',
  'process.parent.command_line': 'keyword',
  'related.user': 'keyword',
  'related.hosts': 'keyword',
  'problemchild.severity': 'keyword',
  'problemchild.fingerprint': 'keyword',
  'problemchild.community.id': 'keyword',
  'problemchild.community.chain': 'keyword',
  'problemchild.community.score': 'float',
  'problemchild.community.max_anomaly': 'float',
  'problemchild.community.max_edge_score': 'float',
  'problemchild.community.event_count': 'long',
  'problemchild.community.edge_count': 'long',
  'problemchild.community.window.start': 'date',
  'problemchild.community.window.end': 'date',
  'problemchild.community.techniques': 'keyword',
};

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type EcsAlertDocument = { [k: string]: Json };

export interface AlertTimes {
  /** When this version of the alert is written (`event.ingested`, the rule's time field). */
  publishedAt: string;
  /** When the community's alert was first written (`event.created`); publishedAt when new. */
  createdAt?: string;
}

/** Drops undefined members so the document holds only fields it has values for. */
function compact<T extends Record<string, unknown>>(o: T): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = compact(v as Record<string, unknown>);
      if (Object.keys(inner).length) out[k] = inner;
    } else out[k] = v as Json;
  }
  return out;
}

function drivingEvent(c: AnomalousCommunity): ProcessEvent | undefined {
  const id = c.drivingEdge.eventId;
  return c.events.find((e) => e.event.event.id === id)?.event;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * What decides whether a stored alert is out of date: what the analyst sees and what Security's
 * rule maps (severity, processes, users, techniques), not the score's small drift from run to run
 * as prevalence moves, which would re-write (and, in Security, re-alert) unchanged findings.
 */
export function alertFingerprint(c: AnomalousCommunity): string {
  const material = {
    severity: alertSeverity(c.score),
    host: c.host,
    chain: c.chain,
    entities: c.entityIds,
    edges: c.edges.length,
    driving: c.drivingEdge.eventId,
    techniques: c.techniques.map((t) => t.id).sort(),
    users: [...c.users].sort(),
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}

/**
 * The alert document of a flagged community. `url` is the link back to it in the app (see
 * common/community_link.ts), omitted when the host has no address to give.
 */
export function toEcsAlert(
  c: AnomalousCommunity,
  times: AlertTimes,
  url?: string,
): EcsAlertDocument {
  const severity = alertSeverity(c.score);
  const edge = c.drivingEdge;
  const ev = drivingEvent(c);
  const threat = threatRefs(c.techniques);
  const users = [...new Set(c.users.filter(Boolean))].sort();
  const user = edge.user ?? ev?.user.name ?? users[0];
  const hasThreat = threat.techniques.length > 0;
  return compact({
    '@timestamp': c.lastSeen,
    message: `ProblemChild: anomalous process community on ${c.host}: ${c.chain} (score ${c.score.toFixed(2)}, ${severity})`,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      module: 'problemchild',
      dataset: 'problemchild.alerts',
      category: ['process'],
      type: ['info'],
      action: 'anomalous-process-community',
      id: c.id,
      reason: `anomalous process chain on ${c.host}: ${c.chain}`,
      risk_score: riskScore(c.score),
      severity: EVENT_SEVERITY[severity],
      start: c.firstSeen,
      end: c.lastSeen,
      created: times.createdAt ?? times.publishedAt,
      ingested: times.publishedAt,
      url,
    },
    rule: {
      id: ALERT_RULE.id,
      name: ALERT_RULE.name,
      description: ALERT_RULE.description,
      ruleset: ALERT_RULE.ruleset,
      category: ALERT_RULE.category,
      version: ALERT_RULE.version,
      author: [...ALERT_RULE.author],
    },
    threat: hasThreat
      ? {
          framework: 'MITRE ATT&CK',
          tactic: {
            id: threat.tactics.map((t) => t.id),
            name: threat.tactics.map((t) => t.name),
            reference: threat.tactics.map((t) => t.reference),
          },
          technique: {
            id: threat.techniques.map((t) => t.id),
            name: threat.techniques.map((t) => t.name),
            reference: threat.techniques.map((t) => t.reference),
            subtechnique: {
              id: threat.subtechniques.map((t) => t.id),
              name: threat.subtechniques.map((t) => t.name),
              reference: threat.subtechniques.map((t) => t.reference),
            },
          },
        }
      : undefined,
    host: { name: c.host },
    user: {
      name: user,
      // Domain and id only when they belong to the same user as the name.
      domain: ev && ev.user.name === user ? ev.user.domain : undefined,
      id: ev && ev.user.name === user ? ev.user.id : undefined,
    },
    process: {
      entity_id: edge.childEntityId,
      pid: ev?.process.pid,
      name: edge.childName,
      executable: ev?.process.executable,
      command_line: edge.commandLine ?? ev?.process.command_line,
      hash: { sha256: ev?.process.hash?.sha256 },
      parent: {
        entity_id: edge.parentEntityId,
        pid: ev?.process.parent.pid,
        name: edge.parentName,
        executable: ev?.process.parent.executable,
        command_line: edge.parentCommandLine ?? ev?.process.parent.command_line,
      },
    },
    related: { user: users, hosts: [c.host] },
    problemchild: {
      severity,
      fingerprint: alertFingerprint(c),
      community: {
        id: c.id,
        chain: c.chain,
        score: round(c.score),
        max_anomaly: round(c.maxAnomaly),
        max_edge_score: round(c.maxEdgeScore),
        event_count: c.events.length,
        edge_count: c.edges.length,
        window: { start: c.window.start, end: c.window.end },
        techniques: c.techniques.map((t) => t.id).sort(),
      },
    },
  });
}
