export const PLUGIN_ID = 'problemChild';
export const PLUGIN_NAME = 'ProblemChild';
export const APP_ID = 'problemChild';
export const FEATURE_ID = 'problemChild';

/** Internal API prefix shared by the Kibana plugin and the standalone host. */
export const API_BASE = '/internal/problem_child';
export const API_VERSION = '1';

/** Route privileges: `read` to browse, `all` to triage and run detection. */
export const API_PRIVILEGE_READ = 'problem_child-read';
export const API_PRIVILEGE_ALL = 'problem_child-all';

export const TASK_TYPE = 'problem_child:detection';
export const taskId = (partition: number, partitions: number) =>
  `problem_child:detection:${partition + 1}-of-${partitions}`;

/** Results live in our own index behind an alias (core field types only). */
export const COMMUNITIES_ALIAS = 'problem-child-communities';
export const STATE_INDEX = 'problem-child-state';

export const DEFAULT_EVENT_INDICES =
  'logs-endpoint.events.process-*,logs-windows.sysmon_operational-*,winlogbeat-*';
export const DEFAULT_INTERVAL = '15m';
export const DEFAULT_LOOKBACK = '45m';
/** Community score at which a community is flagged (Elastic alerts at anomaly 75 of 100). */
export const DEFAULT_THRESHOLD = 0.75;
export const DEFAULT_PREVALENCE_LOOKBACK = '30d';
export const DEFAULT_SCORE_SOURCE = 'model';
/**
 * One process graph per host per graph window. Chains that cross a window boundary are split
 * there, so windows much shorter than an intrusion cost recall; each run re-reads whole windows,
 * so longer ones cost reads.
 */
export const DEFAULT_GRAPH_WINDOW = '4h';
