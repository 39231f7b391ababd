/**
 * Every field of every alert document written for generated communities is checked against the
 * ECS field definitions of @elastic/ecs (EcsFlat, pinned at the stack's 9.3.0): it exists in ECS
 * with a compatible type, array-ness and allowed values, or it lives under our own
 * `problemchild.*` namespace; and the index mapping gives it the same type.
 */
import { EcsFlat, EcsVersion } from '@elastic/ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { communityUrl, kibanaAppUrl } from '../../common/community_link';
import type { AnomalousCommunity } from '../../common/types/community';
import { findBadCommunities } from '../lib/detection/find_bad_communities';
import { ATTACK_RULES } from '../lib/detection/attack_mapping';
import { InMemoryPrevalence } from '../lib/detection/prevalence';
import { scoreWithHeuristic } from '../lib/detection/testing/heuristic_scorer';
import { ATTACK_KINDS, syntheticEnvironment } from '../lib/detection/testing/synthetic_hosts';
import { isKnownTechnique, threatRefs } from './attack_tactics';
import {
  ALERT_FIELDS,
  ALERT_INDEX,
  ECS_VERSION,
  EVENT_SEVERITY,
  alertFingerprint,
  alertSeverity,
  riskScore,
  toEcsAlert,
  type EcsAlertDocument,
} from './ecs_alert';
import { alertIndexMappings } from './ecs_alert_sink';

interface EcsField {
  type: string;
  normalize: string[];
  allowed_values?: { name: string; expected_event_types?: string[] }[];
}
const ECS = EcsFlat as unknown as Record<string, EcsField>;

/** ECS types the test distribution lacks, and the core type the index uses instead. */
const CORE_EQUIVALENT: Record<string, string> = {
  wildcard: 'keyword',
  match_only_text: 'text',
  constant_keyword: 'keyword',
  scaled_float: 'float',
};

/** Dotted leaf paths with their values (arrays are leaves). */
function flatten(doc: EcsAlertDocument, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [p, x] of flatten(v as EcsAlertDocument, path)) out.set(p, x);
    } else out.set(path, v);
  }
  return out;
}

function mappedType(path: string): string | undefined {
  let props = alertIndexMappings().properties as Record<
    string,
    { type?: string; properties?: object }
  >;
  const parts = path.split('.');
  for (const [i, part] of parts.entries()) {
    const p = props[part];
    if (!p) return undefined;
    if (i === parts.length - 1) return p.type;
    props = p.properties as typeof props;
  }
  return undefined;
}

/** Why a value does not fit an Elasticsearch type, or undefined. */
function valueProblem(type: string, v: unknown): string | undefined {
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof v === 'string' ? undefined : `expected a string, got ${JSON.stringify(v)}`;
    case 'long':
      return Number.isSafeInteger(v) ? undefined : `expected an integer, got ${JSON.stringify(v)}`;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `expected a number`;
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v)
        ? undefined
        : `expected an ISO date, got ${JSON.stringify(v)}`;
    default:
      return `unexpected type ${type}`;
  }
}

/** Every problem with one document, as "field: why". */
function validate(doc: EcsAlertDocument): string[] {
  const problems: string[] = [];
  for (const [path, value] of flatten(doc)) {
    const ours = ALERT_FIELDS[path];
    if (!ours) problems.push(`${path}: not in ALERT_FIELDS`);
    const mapped = mappedType(path);
    if (mapped !== ours) problems.push(`${path}: mapped as ${mapped}, listed as ${ours}`);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const why = valueProblem(ours ?? 'none', v);
      if (why) problems.push(`${path}: ${why}`);
    }
    if (path.startsWith('problemchild.')) continue;
    const ecs = ECS[path];
    if (!ecs) {
      problems.push(`${path}: not an ECS ${EcsVersion} field and not under problemchild.*`);
      continue;
    }
    const expected = CORE_EQUIVALENT[ecs.type] ?? ecs.type;
    if (expected !== ours) problems.push(`${path}: ECS type ${ecs.type}, written as ${ours}`);
    const isArray = ecs.normalize.includes('array');
    if (isArray !== Array.isArray(value))
      problems.push(`${path}: ECS ${isArray ? 'expects' : 'does not expect'} an array`);
    if (ecs.allowed_values) {
      const allowed = new Set(ecs.allowed_values.map((a) => a.name));
      for (const v of values)
        if (!allowed.has(v as string)) problems.push(`${path}: ${String(v)} is not allowed`);
    }
  }
  // ECS: each event.type must be expected for the event.category it accompanies.
  const event = doc.event as { category: string[]; type: string[] };
  for (const cat of event.category) {
    const def = ECS['event.category']!.allowed_values!.find((a) => a.name === cat);
    for (const t of event.type)
      if (!def?.expected_event_types?.includes(t))
        problems.push(`event.type ${t} is not expected with event.category ${cat}`);
  }
  return problems;
}

describe('ECS alert documents', () => {
  let communities: AnomalousCommunity[] = [];

  beforeAll(async () => {
    // Every attack kind the synthetic environment knows, on busy hosts with routine admin work.
    const env = syntheticEnvironment({
      seed: 5,
      hosts: 6,
      benignEventsPerHost: 500,
      adminRunsPerHost: 3,
      attacks: ATTACK_KINDS.map((kind, i) => ({
        host: i % 6,
        kind,
        offsetMs: 1_200_000 + i * 2_400_000,
      })),
    });
    const res = await findBadCommunities(scoreWithHeuristic(env.map((l) => l.event)), {
      prevalence: await InMemoryPrevalence.fromEvents(env.map((l) => l.event)),
      seed: 3,
      window: '1h',
      // Low, so that communities of every severity are written.
      threshold: 0.2,
    });
    communities = res.communities;
  }, 120_000);

  it('uses the ECS version it is validated against', () => {
    expect(EcsVersion).toBe(ECS_VERSION);
  });

  it('writes only ECS fields of the right type, or fields under problemchild.*', () => {
    expect(communities.length).toBeGreaterThan(5);
    const severities = new Set(communities.map((c) => alertSeverity(c.score)));
    expect(severities.size).toBeGreaterThan(1);
    const seen = new Set<string>();
    for (const c of communities) {
      const doc = toEcsAlert(
        c,
        { publishedAt: '2026-03-02T10:00:00.000Z', createdAt: '2026-03-01T10:00:00.000Z' },
        communityUrl(kibanaAppUrl('https://kibana.example.com/'), c.id),
      );
      expect(validate(doc), c.id).toEqual([]);
      for (const p of flatten(doc).keys()) seen.add(p);
    }
    // The generated attacks exercise the threat, process and user fields, not just the basics.
    for (const f of [
      'threat.tactic.id',
      'threat.technique.subtechnique.id',
      'process.parent.command_line',
      'user.name',
      'related.user',
      'event.url',
    ])
      expect(seen, f).toContain(f);
  });

  it('the validation itself catches unknown fields, wrong types, arrays and values', () => {
    const doc = toEcsAlert(communities[0]!, { publishedAt: '2026-03-02T10:00:00.000Z' });
    const bad = structuredClone(doc) as Record<string, Record<string, unknown>>;
    bad.event!.severity = 'high';
    bad.event!.kind = 'finding';
    bad.host!.name = ['a', 'b'];
    bad.host!.nickname = 'x';
    const problems = validate(bad as EcsAlertDocument).join('\n');
    expect(problems).toMatch(/event\.severity: expected an integer/);
    expect(problems).toMatch(/event\.kind: finding is not allowed/);
    expect(problems).toMatch(/host\.name: ECS does not expect an array/);
    expect(problems).toMatch(/host\.nickname: not in ALERT_FIELDS/);
    expect(problems).toMatch(/host\.nickname: not an ECS 9\.3\.0 field/);
  });

  it('maps every listed field to the type ECS gives it', () => {
    for (const [path, type] of Object.entries(ALERT_FIELDS)) {
      expect(mappedType(path), path).toBe(type);
      if (path.startsWith('problemchild.')) continue;
      const ecs = ECS[path];
      expect(ecs, `${path} is an ECS field`).toBeDefined();
      expect(CORE_EQUIVALENT[ecs!.type] ?? ecs!.type, path).toBe(type);
    }
  });

  it('carries what Security maps and what an analyst needs', () => {
    const c = communities[0]!;
    const doc = toEcsAlert(
      c,
      { publishedAt: '2026-03-02T10:00:00.000Z' },
      'https://x/#community=1',
    );
    const flat = flatten(doc);
    expect(flat.get('event.kind')).toBe('alert');
    expect(flat.get('event.module')).toBe('problemchild');
    expect(flat.get('event.dataset')).toBe('problemchild.alerts');
    expect(flat.get('event.id')).toBe(c.id);
    expect(flat.get('problemchild.community.id')).toBe(c.id);
    expect(flat.get('host.name')).toBe(c.host);
    expect(flat.get('related.hosts')).toEqual([c.host]);
    expect(flat.get('process.name')).toBe(c.drivingEdge.childName);
    expect(flat.get('process.parent.name')).toBe(c.drivingEdge.parentName);
    expect(flat.get('@timestamp')).toBe(c.lastSeen);
    expect(flat.get('event.created')).toBe('2026-03-02T10:00:00.000Z');
    expect(flat.get('event.ingested')).toBe('2026-03-02T10:00:00.000Z');
    expect(flat.get('event.risk_score')).toBe(riskScore(c.score));
    expect(flat.get('event.severity')).toBe(EVENT_SEVERITY[alertSeverity(c.score)]);
    expect(flat.get('event.url')).toBe('https://x/#community=1');
    expect(communityUrl(kibanaAppUrl('https://k.example.com/'), 'a b')).toBe(
      'https://k.example.com/app/problemChild#community=a%20b',
    );
    expect(kibanaAppUrl(undefined)).toBe('/app/problemChild');
    // Without a link base the field is left out rather than written empty.
    expect(
      flatten(toEcsAlert(c, { publishedAt: '2026-03-02T10:00:00.000Z' })).has('event.url'),
    ).toBe(false);
  });

  it('keeps risk score inside the severity band Security uses, monotone in the score', () => {
    const band = { low: [0, 21], medium: [22, 47], high: [48, 73], critical: [74, 100] } as const;
    let last = -1;
    for (let i = 0; i <= 1000; i++) {
      const s = i / 1000;
      const r = riskScore(s);
      const [lo, hi] = band[alertSeverity(s)];
      expect(r, `score ${s}`).toBeGreaterThanOrEqual(lo);
      expect(r, `score ${s}`).toBeLessThanOrEqual(hi);
      expect(Number.isSafeInteger(r)).toBe(true);
      expect(r).toBeGreaterThanOrEqual(last);
      last = r;
    }
    expect(riskScore(1)).toBe(100);
    expect(riskScore(Number.NaN)).toBe(0);
    expect(EVENT_SEVERITY).toEqual({ low: 21, medium: 47, high: 73, critical: 99 });
  });

  it('knows the tactic of every technique the ATT&CK mapping can suggest', () => {
    const ids = ATTACK_RULES.flatMap((r) => r.techniques.map((t) => t.id));
    for (const id of ids) expect(isKnownTechnique(id), id).toBe(true);
    const refs = threatRefs([
      { id: 'T1059.001', name: 'PowerShell' },
      { id: 'T1027', name: 'Obfuscated Files or Information' },
    ]);
    expect(refs.tactics.map((t) => t.id)).toEqual(['TA0002', 'TA0005']);
    expect(refs.techniques).toEqual([
      {
        id: 'T1027',
        name: 'Obfuscated Files or Information',
        reference: 'https://attack.mitre.org/techniques/T1027/',
      },
      {
        id: 'T1059',
        name: 'Command and Scripting Interpreter',
        reference: 'https://attack.mitre.org/techniques/T1059/',
      },
    ]);
    expect(refs.subtechniques).toEqual([
      {
        id: 'T1059.001',
        name: 'PowerShell',
        reference: 'https://attack.mitre.org/techniques/T1059/001/',
      },
    ]);
  });

  it('fingerprints what matters: same community same print, a severity change a new one', () => {
    const c = communities[0]!;
    expect(alertFingerprint({ ...c, rank: 99, maxAnomaly: c.maxAnomaly * 0.999 })).toBe(
      alertFingerprint(c),
    );
    const other = c.score >= 0.9 ? 0.6 : 0.95;
    expect(alertFingerprint({ ...c, score: other })).not.toBe(alertFingerprint(c));
  });

  it('names an index Security covers by default and the logs data-stream template does not', () => {
    // DEFAULT_INDEX_PATTERN (security_solution/common/constants.ts) includes `logs-*`;
    // Elasticsearch's logs@template.json matches `logs-*-*`.
    const matches = (pattern: string, name: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.]/g, '\\.'))
          .join('.*')}$`,
      ).test(name);
    expect(matches('logs-*', ALERT_INDEX)).toBe(true);
    expect(matches('logs-*-*', ALERT_INDEX)).toBe(false);
    expect(matches('*elastic-cloud-logs-*', ALERT_INDEX)).toBe(false);
  });
});
