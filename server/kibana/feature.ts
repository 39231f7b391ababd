import {
  API_PRIVILEGE_ALL,
  API_PRIVILEGE_READ,
  APP_ID,
  FEATURE_ID,
  PLUGIN_NAME,
} from '../../common/constants';
import type { KibanaFeatureConfig } from './contracts';

/** The Kibana feature whose privileges gate every route: read to browse, all to triage and run. */
export const PROBLEM_CHILD_FEATURE: KibanaFeatureConfig = {
  id: FEATURE_ID,
  name: PLUGIN_NAME,
  category: { id: 'securitySolution', label: 'Security' },
  app: [APP_ID],
  privileges: {
    all: {
      app: [APP_ID],
      api: [API_PRIVILEGE_READ, API_PRIVILEGE_ALL],
      ui: ['show', 'triage', 'run'],
      savedObject: { all: [], read: [] },
    },
    read: {
      app: [APP_ID],
      api: [API_PRIVILEGE_READ],
      ui: ['show'],
      savedObject: { all: [], read: [] },
    },
  },
};
