/**
 * What the detection engine hands to analysts: scored process communities, the prevalence numbers
 * that moved their score, and the analyst verdicts that suppress known-benign patterns.
 */
import type { FeatureContribution, ScoredEvent } from './scoring';

/** A half-open time range [start, end) in ISO-8601 UTC. */
export interface TimeWindow {
  start: string;
  end: string;
}

// ---------------------------------------------------------------------------------------------
// Prevalence
// ---------------------------------------------------------------------------------------------

/** Process names are lower-cased basenames ("cmd.exe"), the same on every host. */
export interface PairKey {
  parentName: string;
  childName: string;
}

export interface PairPrevalence extends PairKey {
  /** Times this parent started this child in the lookback window, all hosts. */
  pairCount: number;
  /** Times this parent started any child in the lookback window, all hosts. */
  parentTotal: number;
  /** Hosts the pair was seen on (approximate above a few dozen hosts). */
  distinctHosts: number;
  firstSeen?: string;
  lastSeen?: string;
  /** Raw P(child | parent) = pairCount / parentTotal (0 when the parent was never seen). */
  probability: number;
}

export interface CmdlineKey {
  processName: string;
  /** `commandLineTemplate(command_line)`. */
  template: string;
}

export interface CmdlinePrevalence extends CmdlineKey {
  templateCount: number;
  processTotal: number;
  distinctHosts: number;
  firstSeen?: string;
  lastSeen?: string;
  /** Raw P(template | process) = templateCount / processTotal. */
  probability: number;
}

/** What the prevalence numbers were computed over. */
export interface PrevalenceEnvironment {
  hosts: number;
  events: number;
  from?: string;
  to?: string;
  lookbackDays: number;
}

/** Prevalence of one edge and how it moved the edge's anomaly (see the README, "How scoring works"). */
export interface EdgePrevalence {
  pair: PairPrevalence;
  cmdline: CmdlinePrevalence;
  /** 0 (never seen / one-off) .. 1 (routine) for the parent→child step. */
  pairCommonness: number;
  /** 0 .. 1 for the command-line shape of the child. */
  cmdlineCommonness: number;
  /** 1 − min(pairCommonness, cmdlineCommonness): the factor applied to the model score. */
  rarity: number;
  /** Plain words, e.g. "cmd.exe → whoami.exe seen 2 times on 1 host in 30 days". */
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Suppression (analyst verdicts)
// ---------------------------------------------------------------------------------------------

export type SuppressionKind = 'pair' | 'community';

/**
 * An analyst's "benign" verdict, applied to later detections. `pair` rules come from a verdict on a
 * single parent→child step; `community` rules are written one per driving edge of a community the
 * analyst judged benign (they always carry `cmdTemplate`, so they only match the same shape).
 */
export interface SuppressionRule {
  id: string;
  kind: SuppressionKind;
  parentName: string;
  childName: string;
  /** When set, only edges whose command-line template equals it are matched. */
  cmdTemplate?: string;
  /** When set, only edges on this host are matched. */
  host?: string;
  /** For `community` rules: the community the verdict was given on. */
  communityId?: string;
  createdBy: string;
  createdAt: string;
  reason: string;
}

/** A rule that fired inside a community, with the events it discounted. */
export interface SuppressionHit {
  ruleId: string;
  kind: SuppressionKind;
  createdBy: string;
  reason: string;
  eventIds: string[];
}

// ---------------------------------------------------------------------------------------------
// Communities
// ---------------------------------------------------------------------------------------------

export interface AttackTechniqueHit {
  /** ATT&CK id, e.g. "T1059.001". */
  id: string;
  name: string;
  /** Events that suggested it. */
  eventIds: string[];
  /** Why, in plain words (one per distinct rule that matched). */
  reasons: string[];
}

/** One process-creation edge of a community, with everything needed to explain it. */
export interface CommunityEdge {
  /** The representative event (the highest-scored one when duplicates of a creation exist). */
  eventId: string;
  /** All events that record this same creation (e.g. Sysmon and 4688 twins not merged upstream). */
  eventIds: string[];
  timestamp: string;
  parentEntityId: string;
  childEntityId: string;
  parentName: string;
  childName: string;
  parentCommandLine?: string;
  commandLine?: string;
  commandLineTemplate: string;
  user?: string;
  /** Model score 0..1. */
  score: number;
  /** Score after prevalence and suppression: what the community score is built from. */
  anomaly: number;
  prevalence: EdgePrevalence;
  topFeatures: FeatureContribution[];
  /** ATT&CK ids suggested by this event. */
  techniques: string[];
  /** Ids of the suppression rules that matched this edge. */
  suppressedBy?: string[];
}

export interface AnomalousCommunity {
  /** sha256 of host + sorted entity ids + window: the same community found twice has the same id. */
  id: string;
  host: string;
  window: TimeWindow;
  /** 1 = most anomalous in this run. */
  rank: number;
  /** Community score 0..1 (noisy-OR of its top edge anomalies). */
  score: number;
  /** Highest edge anomaly (model score × rarity × suppression): the ranking key. */
  maxAnomaly: number;
  /** Highest raw model score among its edges. */
  maxEdgeScore: number;
  /** The edge with the highest anomaly. */
  drivingEdge: CommunityEdge;
  /** Sorted by timestamp. */
  edges: CommunityEdge[];
  events: ScoredEvent[];
  /** Sorted process entity ids (the nodes of the community). */
  entityIds: string[];
  firstSeen: string;
  lastSeen: string;
  users: string[];
  techniques: AttackTechniqueHit[];
  /** Rules that discounted some of its edges (the community was still flagged). */
  suppressed: SuppressionHit[];
  /** The chain in plain words, e.g. "winword.exe → cmd.exe → powershell.exe → {net.exe, whoami.exe}". */
  chain: string;
}

/** A community that would have been flagged but every driving edge was suppressed. */
export interface SuppressedCommunity {
  id: string;
  host: string;
  window: TimeWindow;
  /** Score it would have had without suppression. */
  unsuppressedScore: number;
  scoreAfterSuppression: number;
  chain: string;
  suppressed: SuppressionHit[];
}

export interface DetectionStats {
  events: number;
  groups: number;
  hosts: number;
  nodes: number;
  edges: number;
  communities: number;
  /** Communities whose upper-bound score (model scores alone) could reach the threshold. */
  candidates: number;
  flagged: number;
  suppressedEdges: number;
  suppressedCommunities: SuppressedCommunity[];
  /** Events whose process was its own parent (kept, no edge drawn). */
  selfParented: number;
  /** Parents known only from `process.parent.*` fields of their children. */
  parentsWithoutEvent: number;
  /** Extra events for an already-seen creation, folded into one edge. */
  duplicateCreations: number;
  /** Group splits forced by the per-group event cap. */
  truncatedGroups: number;
  timingsMs: { graph: number; louvain: number; prevalence: number; score: number; total: number };
}
