/**
 * Elastic Security's default index patterns, the value of the `securitySolution:defaultIndex`
 * advanced setting (server/ui_settings.ts sets it to DEFAULT_INDEX_PATTERN), as read in
 * elastic/kibana x-pack/solutions/security/plugins/security_solution/common/constants.ts
 * @ 007b90db6bc7e01d0e0e68f63a391f099fe7af14: INCLUDE_INDEX_PATTERN followed by
 * EXCLUDE_ELASTIC_CLOUD_INDICES. Tests query these, never our index name, to prove Security sees
 * the alerts without any configuration.
 */
export const SECURITY_INCLUDE_INDEX_PATTERN = [
  'apm-*-transaction*',
  'auditbeat-*',
  'endgame-*',
  'filebeat-*',
  'logs-*',
  'packetbeat-*',
  'traces-apm*',
  'winlogbeat-*',
] as const;
export const SECURITY_EXCLUDE_INDEX_PATTERN = ['-*elastic-cloud-logs-*'] as const;
export const SECURITY_DEFAULT_INDEX_PATTERN = [
  ...SECURITY_INCLUDE_INDEX_PATTERN,
  ...SECURITY_EXCLUDE_INDEX_PATTERN,
];
