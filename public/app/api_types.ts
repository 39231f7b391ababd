/**
 * Response shapes of the internal API, as the routes send them. The store-facing types live in
 * server/ports.ts; importing them type-only keeps one definition without bundling server code.
 */
export type {
  CommunityPage,
  CommunitySummary,
  DetectionAccessState,
  DetectionAccessStatus,
  QuarantinedHostWindow,
  RunReport,
  SetupStatus,
  Settings,
  StoredCommunity,
  TriageChange,
  TriageState,
  TriageStatus,
  Verdict,
} from '../../server/ports';
export type {
  AttackTechniqueHit,
  CommunityEdge,
  EdgePrevalence,
  PrevalenceEnvironment,
  SuppressionRule,
} from '../../common/types/community';
export type { FeatureContribution, ScoredEvent } from '../../common/types/scoring';
export type { ProcessEvent } from '../../common/types/process_event';

import type {
  CommunityStats,
  DetectionAccessStatus,
  QuarantinedHostWindow,
  RunReport,
  SetupStatus,
  StoredCommunity,
  TriageStatus,
  Verdict,
} from '../../server/ports';
import type {
  CmdlinePrevalence,
  PairPrevalence,
  PrevalenceEnvironment,
  SuppressionRule,
} from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';

export type SortField =
  'rank' | 'max_score' | 'score' | 'host' | 'first_seen' | 'last_seen' | 'event_count' | 'status';

export interface ListCommunitiesParams {
  from?: string;
  to?: string;
  host?: string;
  status?: TriageStatus;
  min_score?: number;
  /** Exclusive upper bound on the score (a score-histogram bar). */
  score_below?: number;
  /** First seen in [first_seen_from, first_seen_to) (a bar of the over-time chart). */
  first_seen_from?: string;
  first_seen_to?: string;
  q?: string;
  include_unflagged?: boolean;
  sort?: SortField;
  direction?: 'asc' | 'desc';
  page?: number;
  per_page?: number;
}

/** The charts' filters: the list's, without paging or sorting. */
export type CommunityStatsParams = Omit<
  ListCommunitiesParams,
  'sort' | 'direction' | 'page' | 'per_page'
>;

/** GET communities/_stats: counts over all matching communities and the detection threshold. */
export type CommunityStatsResponse = CommunityStats & { threshold: number };

export interface TriageRequest {
  status?: TriageStatus;
  assignee?: string | null;
  note?: string;
  verdict?: Verdict | null;
  /** Only with verdict "benign": also suppress the pattern in later runs. */
  suppress?: boolean;
}

export interface TriageResponse {
  community: StoredCommunity;
  suppressionsAdded: string[];
}

export interface BulkTriageResponse {
  updated: string[];
  failed: { id: string; status: number; message: string }[];
}

export interface CommunityEventsResponse {
  total: number;
  events: ProcessEvent[];
}

export interface RunDetectionResponse {
  started: boolean;
  message: string;
}

export interface DetectionStatus {
  lastRun: RunReport | null;
  recentRuns: RunReport[];
  nextRunAt: string | null;
  /** The host's background set-up; absent from hosts that predate it. */
  setup?: SetupStatus;
  /** Whether detection may read source events (Kibana: the administrator's key). */
  access?: DetectionAccessStatus;
}

export interface PrevalenceResponse {
  environment: PrevalenceEnvironment;
  pair?: PairPrevalence;
  pairText?: string;
  commandLine?: CmdlinePrevalence;
  commandLineText?: string;
}

export interface SuppressionsResponse {
  total: number;
  rules: SuppressionRule[];
}

/** GET /detection/quarantine */
export interface QuarantineResponse {
  items: QuarantinedHostWindow[];
}
