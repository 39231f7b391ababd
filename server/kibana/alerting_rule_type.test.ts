/**
 * The "ProblemChild anomalous community" rule type against a fake of Kibana's alerting plugin
 * (testing/fake_alerting.ts, sources named there) and the real embedded community store:
 * registration shape, one alert per newly stored community with its context variables, the
 * state advancing, no second alert for the same community unless its severity rises, and the
 * feature's alerting privileges listing the rule type.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_ID } from '../../common/constants';
import { configSchema } from '../config';
import { ProblemChildPlugin } from '../plugin';
import { type EmbeddedStore, openEmbeddedStore } from '../stores/duckdb/embedded_store';
import { fixtureCommunity } from '../stores/testing/fixtures';
import {
  ACTION_GROUP,
  CONTEXT_VARIABLES,
  RULE_TYPE_ID,
  RULE_TYPE_NAME,
  anomalousCommunityRuleType,
} from './alerting_rule_type';
import type { CoreSetup } from './contracts';
import { PROBLEM_CHILD_FEATURE } from './feature';
import { FakeAlerting } from './testing/fake_alerting';
import { FakeTaskManager } from './testing/fake_kibana';

let dir: string;
let store: EmbeddedStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pc-rule-type-'));
  store = await openEmbeddedStore(join(dir, 'db.duckdb'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-02T12:00:00.000Z');
const at = (min: number) => new Date(T0 + min * 60_000);

async function detect(tag: string, score: number, detectedAt: Date, host = `${tag}.example.local`) {
  const c = fixtureCommunity({ tag, score, host });
  await store.communities.writeCommunities([c], {
    runId: `run-${tag}-${detectedAt.getTime()}`,
    detectedAt: detectedAt.toISOString(),
    replaced: [],
  });
  return c;
}

describe('alerting rule type', () => {
  it('registers with the shape Kibana 9.x requires', () => {
    const alerting = new FakeAlerting();
    alerting.setupContract.registerType(
      anomalousCommunityRuleType({
        communities: async () => store.communities,
        publicBaseUrl: () => undefined,
      }),
    );
    const t = alerting.types.get(RULE_TYPE_ID)!;
    expect(t).toMatchObject({
      id: RULE_TYPE_ID,
      name: RULE_TYPE_NAME,
      defaultActionGroupId: ACTION_GROUP,
      category: 'securitySolution',
      producer: FEATURE_ID,
      solution: 'security',
      minimumLicenseRequired: 'basic',
      isExportable: true,
      alerts: { shouldWrite: true },
    });
    expect(t.actionGroups.map((g) => g.id)).toContain(t.defaultActionGroupId);
    const names = t.actionVariables!.context!.map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(['score', 'severity', 'host', 'users', 'chain', 'techniques', 'link']),
    );
    expect(CONTEXT_VARIABLES.every((v) => v.description.length > 0)).toBe(true);
    expect(() => t.validate.params.validate({ minScore: 2 })).toThrow();
    expect(() => t.validate.params.validate({ other: 1 })).toThrow();
    expect(t.validate.params.validate({})).toEqual({ minScore: 0 });
  });

  it('one alert per new community with its context; state advances; re-alerts only on escalation', async () => {
    const alerting = new FakeAlerting();
    alerting.setupContract.registerType(
      anomalousCommunityRuleType({
        communities: async () => store.communities,
        publicBaseUrl: () => 'https://kibana.example.com/',
      }),
    );
    const rule = alerting.rule(RULE_TYPE_ID, {}, 'soc');
    const a = await detect('a', 0.8, at(0));
    const b = await detect('b', 0.95, at(1));

    const first = await rule.run(at(5));
    expect(first.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    const ctxA = first.find((r) => r.id === a.id)!;
    expect(ctxA.actionGroup).toBe(ACTION_GROUP);
    expect(ctxA.context).toMatchObject({
      communityId: a.id,
      score: 0.8,
      severity: 'risk',
      host: 'a.example.local',
      users: 'EXAMPLE\\alice',
      chain: a.chain,
      escalated: false,
      link: `https://kibana.example.com/s/soc/app/problemChild#community=${a.id}`,
    });
    expect(typeof ctxA.context!.techniques).toBe('string');
    expect(rule.state.cursor).toBe(at(5).toISOString());

    // Nothing new: no alert, cursor moves on.
    expect(await rule.run(at(10))).toEqual([]);
    expect(rule.state.cursor).toBe(at(10).toISOString());

    // A new community, and `a` re-detected in the same band: only the new one.
    const c = await detect('c', 0.7, at(12));
    await detect('a', 0.85, at(12));
    expect((await rule.run(at(15))).map((r) => r.id)).toEqual([c.id]);

    // `a` escalates to danger: alerted again, marked as escalated.
    await detect('a', 0.97, at(16));
    const esc = await rule.run(at(20));
    expect(esc.map((r) => r.id)).toEqual([a.id]);
    expect(esc[0]!.context).toMatchObject({ severity: 'danger', escalated: true });

    // A detection run that started before the last rule run but stored its result after it
    // (detectedAt = run start) is still seen thanks to the overlap.
    const late = await detect('late', 0.9, at(19));
    expect((await rule.run(at(25))).map((r) => r.id)).toEqual([late.id]);
  });

  it('minScore limits alerts; first run looks back a day', async () => {
    const alerting = new FakeAlerting();
    alerting.setupContract.registerType(
      anomalousCommunityRuleType({
        communities: async () => store.communities,
        publicBaseUrl: () => undefined,
      }),
    );
    const rule = alerting.rule(RULE_TYPE_ID, { minScore: 0.9 });
    const ids = (await rule.run(at(26))).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids)
      expect((await store.communities.get(id))!.score).toBeGreaterThanOrEqual(0.9);
    const old = await rule.run(at(26 + 3 * 24 * 60));
    expect(old).toEqual([]);
  });

  it('the feature lists the rule type in its alerting privileges', () => {
    const rules = [{ ruleTypeId: RULE_TYPE_ID, consumers: [FEATURE_ID, 'alerts'] }];
    expect(PROBLEM_CHILD_FEATURE.alerting).toEqual(rules);
    expect(PROBLEM_CHILD_FEATURE.privileges.all.alerting).toEqual({
      rule: { all: rules },
      alert: { all: rules },
    });
    expect(PROBLEM_CHILD_FEATURE.privileges.read.alerting).toEqual({
      rule: { read: rules },
      alert: { read: rules },
    });
  });

  it('the plugin registers it in setup when the alerting plugin is present, and not otherwise', () => {
    const core = {
      http: {
        createRouter: () => {
          const route = { addVersion: () => route };
          const method = () => route;
          return { versioned: { get: method, post: method, put: method, delete: method } };
        },
      },
      savedObjects: { registerType: () => undefined },
      getStartServices: () => new Promise(() => undefined),
    } as unknown as CoreSetup<never>;
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, get: () => quiet };
    const make = () =>
      new ProblemChildPlugin({
        logger: { get: () => quiet },
        config: { get: () => configSchema.validate({}) },
      });
    const alerting = new FakeAlerting();
    make().setup(core as never, {
      taskManager: new FakeTaskManager(),
      features: { registerKibanaFeature: () => undefined },
      alerting: alerting.setupContract,
    });
    expect([...alerting.types.keys()]).toEqual([RULE_TYPE_ID]);
    expect(() =>
      make().setup(core as never, {
        taskManager: new FakeTaskManager(),
        features: { registerKibanaFeature: () => undefined },
      }),
    ).not.toThrow();
  });
});
