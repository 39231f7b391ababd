/**
 * The shipped Security detection rule (security_rule.json) against the detection engine's create
 * schema for a custom query rule, QueryRuleCreateProps, as read in elastic/kibana
 * x-pack/solutions/security/plugins/security_solution/common/api/detection_engine/model/rule_schema/
 * rule_schemas.schema.yaml @ 026d206a2925c18b1d9623e0ddc22f6c81756760 (BaseRequiredFields,
 * BaseOptionalFields, BaseDefaultableFields, QueryRule*Fields) and common_attributes.schema.yaml
 * @ 00c7693be31e3fee5b959f64928e1740c25d2f4e (the attribute types). Kibana's own validation is
 * not importable here; this mirrors the parts the rule uses and refuses any other key.
 */
import { describe, expect, it } from 'vitest';
import rule from './security_rule.json';
import { ALERT_FIELDS, ALERT_INDEX, EVENT_SEVERITY } from './ecs_alert';
import { kqlToDsl } from './testing/kql_subset';
import { SECURITY_INCLUDE_INDEX_PATTERN } from './testing/security_defaults';

type Check = (v: unknown) => string | undefined;
const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const nonEmpty: Check = (v) =>
  typeof v === 'string' && v.length >= 1 ? undefined : 'must be a non-empty string';
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be an integer in ${min}..${max}`;
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v as string) ? undefined : `must be one of ${values.join(', ')}`;
const arrayOf =
  (item: Check, minItems = 0): Check =>
  (v) => {
    if (!Array.isArray(v)) return 'must be an array';
    if (v.length < minItems) return `must have at least ${minItems} item(s)`;
    for (const [i, x] of v.entries()) {
      const why = item(x);
      if (why) return `[${i}] ${why}`;
    }
    return undefined;
  };
const object =
  (props: Record<string, Check>, required: string[] = []): Check =>
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object';
    const o = v as Record<string, unknown>;
    for (const r of required) if (!(r in o)) return `.${r} is required`;
    for (const [k, x] of Object.entries(o)) {
      const check = props[k];
      if (!check) return `.${k} is not a known property`;
      const why = check(x);
      if (why) return `.${k} ${why}`;
    }
    return undefined;
  };
/** RuleIntervalFrom is `format: date-math`; the engine takes `now-<n><unit>`. */
const dateMath: Check = (v) =>
  typeof v === 'string' && /^now(-\d+[smhd])?$/.test(v) ? undefined : 'must be date math now-Nu';
const interval: Check = (v) =>
  typeof v === 'string' && /^[1-9]\d*[smhd]$/.test(v) ? undefined : 'must be like 5m';

const severity = oneOf('low', 'medium', 'high', 'critical');
const riskScore = int(0, 100);
const ref = object({ id: str, name: str, reference: str }, ['id', 'name', 'reference']);
const threat = object(
  {
    framework: str,
    tactic: ref,
    technique: arrayOf(
      object({ id: str, name: str, reference: str, subtechnique: arrayOf(ref) }, [
        'id',
        'name',
        'reference',
      ]),
    ),
  },
  ['framework', 'tactic'],
);

/** QueryRuleCreateProps: the properties the rule may have, with their types. */
const QUERY_RULE_CREATE_PROPS: Record<string, Check> = {
  // SharedCreateProps
  rule_id: str,
  // BaseRequiredFields
  name: nonEmpty,
  description: nonEmpty,
  risk_score: riskScore,
  severity,
  // BaseOptionalFields (the ones a shipped rule may carry)
  rule_name_override: str,
  timestamp_override: str,
  timestamp_override_fallback_disabled: bool,
  timeline_id: str,
  timeline_title: str,
  license: str,
  note: str,
  building_block_type: str,
  investigation_fields: object({ field_names: arrayOf(nonEmpty, 1) }, ['field_names']),
  // BaseDefaultableFields
  version: int(1),
  tags: arrayOf(str),
  enabled: bool,
  risk_score_mapping: arrayOf(
    object({ field: str, operator: oneOf('equals'), value: str, risk_score: riskScore }, [
      'field',
      'operator',
      'value',
    ]),
  ),
  severity_mapping: arrayOf(
    object({ field: str, operator: oneOf('equals'), severity, value: str }, [
      'field',
      'operator',
      'severity',
      'value',
    ]),
  ),
  interval,
  from: dateMath,
  to: str,
  author: arrayOf(str),
  false_positives: arrayOf(str),
  references: arrayOf(str),
  max_signals: int(1),
  threat: arrayOf(threat),
  setup: str,
  required_fields: arrayOf(object({ name: nonEmpty, type: nonEmpty }, ['name', 'type'])),
  // QueryRuleRequiredFields / OptionalFields / DefaultableFields
  type: oneOf('query'),
  index: arrayOf(str),
  data_view_id: str,
  filters: arrayOf(() => undefined),
  saved_id: str,
  query: str,
  language: oneOf('kuery', 'lucene'),
};
const REQUIRED = ['name', 'description', 'risk_score', 'severity', 'type'];

const validateRule = object(QUERY_RULE_CREATE_PROPS, REQUIRED);

describe('the shipped Security detection rule', () => {
  it('is a valid custom query rule (QueryRuleCreateProps)', () => {
    expect(validateRule(rule)).toBeUndefined();
    expect(rule.type).toBe('query');
    expect(rule.language).toBe('kuery');
  });

  it('the validation refuses what the schema refuses', () => {
    expect(validateRule({ ...rule, severity: 'urgent' })).toMatch(/\.severity must be one of/);
    expect(validateRule({ ...rule, risk_score: 101 })).toMatch(/\.risk_score must be an integer/);
    expect(validateRule({ ...rule, unknown_key: 1 })).toMatch(/unknown_key is not a known/);
    const { name: _name, ...noName } = rule;
    expect(validateRule(noName)).toMatch(/\.name is required/);
  });

  it('has a stable rule_id, so importing it again updates rather than duplicates', () => {
    expect(rule.rule_id).toBe('problemchild-anomalous-process-community');
  });

  it('looks where Security looks by default and where the alerts are written', () => {
    const covers = (pattern: string, name: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.]/g, '\\.'))
          .join('.*')}$`,
      ).test(name);
    for (const p of rule.index)
      expect(SECURITY_INCLUDE_INDEX_PATTERN as readonly string[]).toContain(p);
    expect(rule.index.some((p) => covers(p, ALERT_INDEX))).toBe(true);
  });

  it('matches the documents the sink writes and maps their risk score and severity', () => {
    expect(rule.query).toBe('event.kind: "alert" and event.module: "problemchild"');
    expect(rule.timestamp_override).toBe('event.ingested');
    expect(rule.risk_score_mapping).toEqual([
      { field: 'event.risk_score', operator: 'equals', value: '' },
    ]);
    expect(
      Object.fromEntries(rule.severity_mapping.map((m) => [m.severity, Number(m.value)])),
    ).toEqual(EVENT_SEVERITY);
    // Every field the rule names is one the alert documents carry.
    const named = [
      rule.timestamp_override,
      ...rule.risk_score_mapping.map((m) => m.field),
      ...rule.severity_mapping.map((m) => m.field),
      ...rule.investigation_fields.field_names,
      ...rule.required_fields.map((f) => f.name),
    ];
    for (const f of named) expect(ALERT_FIELDS, f).toHaveProperty([f]);
    for (const f of rule.required_fields) expect(ALERT_FIELDS[f.name], f.name).toBe(f.type);
    // The look-back overlaps the interval, so a document written just after a run is still seen.
    const minutes = (s: string) => Number(/(\d+)m$/.exec(s)![1]);
    expect(minutes(rule.from)).toBeGreaterThan(minutes(rule.interval));
  });
});

describe('the test translation of the rule query', () => {
  it('turns the rule query into the filters Kibana builds for it, and refuses anything else', () => {
    expect(kqlToDsl(rule.query)).toEqual({
      bool: {
        filter: [
          { match_phrase: { 'event.kind': 'alert' } },
          { match_phrase: { 'event.module': 'problemchild' } },
        ],
      },
    });
    expect(kqlToDsl('host.name: ws01')).toEqual({
      bool: { filter: [{ match: { 'host.name': 'ws01' } }] },
    });
    expect(() => kqlToDsl('event.kind: alert or event.module: x')).toThrow(/not supported/);
    expect(() => kqlToDsl('not event.kind: alert')).toThrow(/not supported/);
  });
});
