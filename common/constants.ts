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
/** One-off task instance carrying a run-now range for one partition (deleted after it runs). */
export const rangedRunTaskId = (partition: number, partitions: number) =>
  `problem_child:detection-range:${partition + 1}-of-${partitions}`;

/** Results live in our own index behind an alias (core field types only). */
export const COMMUNITIES_ALIAS = 'problem-child-communities';
export const STATE_INDEX = 'problem-child-state';

/**
 * Under Kibana the plugin's own indices are named under `.kibana*`, the only names Kibana's
 * internal user (kibana_system) may manage besides Kibana's own: its reserved role grants `all`
 * on `.kibana*` and nothing on arbitrary names such as `problem-child-*` (Elasticsearch
 * KibanaOwnedReservedRoleDescriptors.kibanaSystem()). The standalone host keeps the names above.
 */
export const KIBANA_INDEX_NAMES = {
  communities: '.kibana-problem-child-communities',
  state: '.kibana-problem-child-state',
} as const;

/**
 * Detection access under Kibana: the API key an administrator's "Enable detection" creates, kept
 * in one hidden, space-agnostic saved object with the key encrypted. Encrypted saved objects only
 * take a predefined id when it is a UUID, hence the fixed UUID.
 */
export const DETECTION_CREDENTIALS_TYPE = 'problem-child-detection-credentials';
export const DETECTION_CREDENTIALS_ID = '5f1c2b9e-3d7a-4c61-9a2e-7b4d0c8e1f35';
export const DETECTION_API_KEY_NAME = 'problem-child-detection';
/** The only privileges the detection key holds, on the configured source indices only. */
export const SOURCE_READ_PRIVILEGES = ['read', 'view_index_metadata'] as const;
export const SOURCE_READER_ROLE = 'problem_child_source_reader';

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
