import {
  API_PRIVILEGE_ALL,
  API_PRIVILEGE_READ,
  APP_ID,
  FEATURE_ID,
  PLUGIN_NAME,
} from '../../common/constants';
import { RULE_CONSUMERS, RULE_TYPE_ID } from './alerting_rule_type';
import type { KibanaFeatureConfig } from './contracts';

/** The rule type with the consumers the feature covers: without it no role could create it. */
const RULES = [{ ruleTypeId: RULE_TYPE_ID, consumers: [...RULE_CONSUMERS] }];

/**
 * The Kibana feature whose privileges gate every route: read to browse, all to triage, run and
 * enable detection. `scope` lists spaces as well as security so the feature also appears in
 * each Space's feature visibility toggles (KibanaFeatureScope, features/common/kibana_feature.ts).
 * Communities themselves are global: a Space only decides whether the app is shown.
 */
export const PROBLEM_CHILD_FEATURE: KibanaFeatureConfig = {
  id: FEATURE_ID,
  name: PLUGIN_NAME,
  category: { id: 'securitySolution', label: 'Security' },
  scope: ['security', 'spaces'],
  app: [APP_ID],
  alerting: RULES,
  privileges: {
    all: {
      app: [APP_ID],
      api: [API_PRIVILEGE_READ, API_PRIVILEGE_ALL],
      ui: ['show', 'triage', 'run'],
      savedObject: { all: [], read: [] },
      alerting: { rule: { all: RULES }, alert: { all: RULES } },
    },
    read: {
      app: [APP_ID],
      api: [API_PRIVILEGE_READ],
      ui: ['show'],
      savedObject: { all: [], read: [] },
      alerting: { rule: { read: RULES }, alert: { read: RULES } },
    },
  },
};
