/**
 * [Kibana glue] The alerting rule type "ProblemChild anomalous community": each run reads the
 * flagged communities stored since the previous run and raises one alert per community (alert
 * id = community id) with the community's score, severity, host, users, chain, techniques and a
 * link into the app as context variables, so any Kibana connector (Slack, e-mail, webhook,
 * Cases, ...) can carry it.
 *
 * Re-alerting: a community is alerted once, and again only when it ESCALATES (its severity level
 * rises above the one it was last alerted with). The rule's state keeps the severity alerted per
 * community id (pruned after 30 days, bounded) and a cursor; each run re-reads an overlap before
 * the cursor, because a detection run stamps `detectedAt` with its start time and may store its
 * communities after this rule last looked. An alert is not reported again on later runs, so the
 * framework recovers it on the next run: choose "On status change" action frequency for one
 * message per community.
 */
import { z } from 'zod';
import { FEATURE_ID } from '../../common/constants';
import { communityUrl, kibanaAppUrl } from '../../common/community_link';
import { listCommunitiesQuery } from '../../common/schemas';
import { SEVERITY_LEVELS, scoreToSeverity } from '../../common/severity';
import type { CommunityStore, CommunitySummary } from '../ports';
import type { ActionVariable, RuleExecutorOptions, RuleType } from './contracts';

export const RULE_TYPE_ID = 'problemChild.anomalousCommunity';
export const RULE_TYPE_NAME = 'ProblemChild anomalous community';
export const ACTION_GROUP = 'anomalous_community';
/** Consumers whose rules of this type a ProblemChild privilege covers (the app's and Stack Management's). */
export const RULE_CONSUMERS = [FEATURE_ID, 'alerts'] as const;

/** How far before the cursor each run looks again (longer than a detection task may run). */
export const OVERLAP_MS = 60 * 60_000;
/** The first run looks back this far. */
export const FIRST_RUN_LOOKBACK_MS = 24 * 60 * 60_000;
/** Kibana's default alerts-per-run limit (xpack.alerting.rules.run.alerts.max). */
export const MAX_ALERTS_PER_RUN = 1_000;
const KEEP_MS = 30 * 24 * 60 * 60_000;
const KEEP_MAX = 20_000;

export const ruleParams = z
  .object({
    /** Only communities scoring at least this much raise alerts. */
    minScore: z.number().min(0).max(1).default(0),
  })
  .strict();
export type RuleParams = z.infer<typeof ruleParams>;

export interface RuleState {
  [k: string]: unknown;
  /** Start of the last run: the next one reads communities stored since (minus the overlap). */
  cursor?: string;
  /** Community id → [severity alerted, epoch ms when alerted]. */
  alerted?: Record<string, [string, number]>;
}

export const CONTEXT_VARIABLES: ActionVariable[] = [
  { name: 'communityId', description: 'The community id (also the alert id).' },
  { name: 'score', description: 'Community score, 0 to 1.' },
  {
    name: 'severity',
    description: 'danger, risk, warning, ... (EUI severity level of the score).',
  },
  { name: 'host', description: 'The host the process chain ran on.' },
  { name: 'users', description: 'Users of its processes, comma-separated.' },
  { name: 'chain', description: 'The process chain in words, e.g. winword.exe → powershell.exe.' },
  { name: 'techniques', description: 'ATT&CK techniques, comma-separated (e.g. T1059.001).' },
  { name: 'firstSeen', description: 'First event of the community (ISO-8601).' },
  { name: 'lastSeen', description: 'Last event of the community (ISO-8601).' },
  {
    name: 'escalated',
    description: 'true when the community was alerted before at a lower severity.',
  },
  { name: 'link', description: 'The community in the ProblemChild app.', usesPublicBaseUrl: true },
];

export interface RuleTypeDeps {
  /** The plugin's community store (internal user): resolved per run, after Kibana started. */
  communities(): Promise<CommunityStore>;
  /** Kibana's public base URL (server.publicBaseUrl), if set: links are relative without it. */
  publicBaseUrl(): string | undefined;
}

const rank = (s: string) => SEVERITY_LEVELS.indexOf(s as never);

export function communityAppLink(publicBaseUrl: string | undefined, spaceId: string, id: string) {
  return communityUrl(kibanaAppUrl(publicBaseUrl, spaceId), id);
}

function contextOf(c: CommunitySummary, link: string, escalated: boolean) {
  return {
    communityId: c.id,
    score: Number(c.score.toFixed(3)),
    severity: scoreToSeverity(c.score),
    host: c.host,
    users: c.users.join(', '),
    chain: c.chain,
    techniques: c.techniques.join(', '),
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    escalated,
    link,
  };
}

async function* newSince(store: CommunityStore, since: string, minScore: number) {
  for (let page = 1; page <= MAX_ALERTS_PER_RUN / 100; page++) {
    const res = await store.list(
      listCommunitiesQuery.parse({
        detected_after: since,
        ...(minScore > 0 ? { min_score: minScore } : {}),
        sort: 'score',
        direction: 'desc',
        page,
        per_page: 100,
      }),
    );
    yield* res.items;
    if (page * 100 >= res.total) return;
  }
}

export function anomalousCommunityRuleType(deps: RuleTypeDeps): RuleType<RuleParams, RuleState> {
  return {
    id: RULE_TYPE_ID,
    name: RULE_TYPE_NAME,
    validate: { params: { validate: (o) => ruleParams.parse(o ?? {}) } },
    actionGroups: [{ id: ACTION_GROUP, name: 'Anomalous community' }],
    defaultActionGroupId: ACTION_GROUP,
    category: 'securitySolution',
    producer: FEATURE_ID,
    solution: 'security',
    minimumLicenseRequired: 'basic',
    isExportable: true,
    defaultScheduleInterval: '5m',
    actionVariables: { context: CONTEXT_VARIABLES },
    // Alerts as data: gives the executor alertsClient and lets the Cases action attach alerts.
    alerts: {
      context: 'problemchild.community',
      mappings: { fieldMap: {} },
      shouldWrite: true,
    },
    executor: (options) => runRule(deps, options),
  };
}

export async function runRule(
  deps: RuleTypeDeps,
  { params, state, startedAt, services, spaceId }: RuleExecutorOptions<RuleParams, RuleState>,
): Promise<{ state: RuleState }> {
  const now = startedAt.getTime();
  const cursor = state.cursor ? Date.parse(state.cursor) : NaN;
  const since = new Date(
    Number.isFinite(cursor) ? cursor - OVERLAP_MS : now - FIRST_RUN_LOOKBACK_MS,
  ).toISOString();
  const alerted: Record<string, [string, number]> = { ...(state.alerted ?? {}) };
  const store = await deps.communities();
  let raised = 0;
  let truncated = false;
  for await (const c of newSince(store, since, params.minScore ?? 0)) {
    if (raised >= MAX_ALERTS_PER_RUN || services.shouldStopExecution()) {
      // Not all read: keep the cursor so the next run reads them again (alerted ones are skipped).
      truncated = true;
      break;
    }
    const severity = scoreToSeverity(c.score);
    const before = alerted[c.id];
    if (before && rank(severity) <= rank(before[0])) continue;
    const context = contextOf(c, communityAppLink(deps.publicBaseUrl(), spaceId, c.id), !!before);
    if (services.alertsClient) {
      services.alertsClient.report({ id: c.id, actionGroup: ACTION_GROUP, context });
    } else {
      services.alertFactory.create(c.id).scheduleActions(ACTION_GROUP, context);
    }
    alerted[c.id] = [severity, now];
    raised++;
  }
  // Bounded state: forget communities alerted long ago, and the oldest beyond the cap.
  const kept = Object.entries(alerted)
    .filter(([, [, at]]) => now - at <= KEEP_MS)
    .sort((a, b) => b[1][1] - a[1][1])
    .slice(0, KEEP_MAX);
  const next = truncated ? state.cursor : startedAt.toISOString();
  return { state: { ...(next ? { cursor: next } : {}), alerted: Object.fromEntries(kept) } };
}
