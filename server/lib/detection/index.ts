/** The detection engine's public surface (no Kibana, no Elasticsearch). */
export { ATTACK_RULES, techniquesForEvent, type TechniqueMatch } from './attack_mapping';
export {
  commandLineTemplate,
  eventCommandLineTemplate,
  MAX_TEMPLATE_LENGTH,
  type TemplateOptions,
} from './command_line_template';
export {
  DEFAULT_COMMUNITY_OPTIONS,
  detectCommunities,
  HUB_NAMES,
  type CommunityOptions,
  type CommunityResult,
} from './communities';
export {
  communityScore,
  DEFAULT_SCORING_OPTIONS,
  DEFAULT_THRESHOLD,
  edgeAnomaly,
  edgeRarity,
  type ScoringOptions,
} from './community_score';
export {
  DETECT_USAGE,
  parseDetectArgs,
  runDetectCli,
  type DetectArgs,
  type DetectDeps,
  type DetectIo,
} from './detect_cli';
export {
  communityId,
  DEFAULT_SEED,
  DEFAULT_WINDOW,
  findBadCommunities,
  findBadCommunitiesInStream,
  rankCommunities,
  renderChain,
  type FindBadCommunitiesOptions,
  type FindBadCommunitiesResult,
  type StreamOptions,
} from './find_bad_communities';
export {
  chainsFromLinks,
  evaluateLineage,
  summariseLineage,
  type ChainLineage,
  type LineageReport,
  type LineageSummary,
} from './lineage_eval';
export { hostKey, processName } from './names';
export {
  describeCmdlinePrevalence,
  describePairPrevalence,
  describePeriod,
  HostCounter,
  InMemoryPrevalence,
  NoPrevalence,
  type InMemoryPrevalenceOptions,
  type PrevalenceService,
} from './prevalence';
export { buildProcessGraph, type ProcessGraph, type ProcessGraphStats } from './process_graph';
export { seededRng } from '../prng';
export {
  pairRule,
  rulesFromCommunityVerdict,
  StaticSuppressionSource,
  SuppressionMatcher,
  type SuppressionSource,
  type VerdictAuthor,
} from './suppression';
export {
  groupByHostWindow,
  parseWindow,
  streamHostWindows,
  type HostWindowGroup,
} from './windowing';
