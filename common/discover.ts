/**
 * Builds Discover locator params for a community's events. Pure and Kibana-free so it is unit
 * tested here and reused by the standalone host, which shows the same KQL for copying.
 * Param names follow Discover's DISCOVER_APP_LOCATOR (`common/app_locator.ts` in Kibana).
 */
import { DEFAULT_EVENT_INDICES } from './constants';

export interface DiscoverLocatorParams {
  /** A saved data view; when absent `dataViewSpec` describes an ad-hoc one. */
  dataViewId?: string;
  dataViewSpec?: { title: string; name?: string; timeFieldName?: string };
  timeRange: { from: string; to: string; mode: 'absolute' };
  query: { language: 'kuery'; query: string };
  columns: string[];
  sort: Array<[string, 'asc' | 'desc']>;
}

/** What to look at: the processes of one community (or several) on their host(s). */
export interface DiscoverTarget {
  hosts: readonly string[];
  entityIds: readonly string[];
  firstSeen: string;
  lastSeen: string;
}

export interface DiscoverOptions {
  /** Raw event indices (the `indices` setting); ignored when `dataViewId` is given. */
  indexPattern?: string;
  dataViewId?: string;
  /** Added before first and after last seen, so clock skew between sources hides nothing. */
  marginMs?: number;
  columns?: readonly string[];
}

export const DEFAULT_DISCOVER_MARGIN_MS = 60_000;

export const DEFAULT_DISCOVER_COLUMNS: readonly string[] = [
  'host.name',
  'user.name',
  'process.parent.name',
  'process.name',
  'process.command_line',
  'process.entity_id',
];

/**
 * A KQL quoted string. Inside quotes KQL only treats `\` and `"` as special, plus the escape
 * sequences `\t`, `\r`, `\n` and `\uXXXX`; escaping every backslash first keeps a Windows path
 * such as `C:\temp\new` from turning into a tab and a newline.
 */
export function quoteKqlValue(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

/** `field : ("a" or "b")`, values de-duplicated and sorted so equal inputs give equal queries. */
export function kqlAnyOf(field: string, values: readonly string[]): string {
  const unique = [...new Set(values.filter((v) => v !== ''))].sort();
  if (unique.length === 0) throw new RangeError(`kqlAnyOf(${field}) needs at least one value`);
  return `${field} : (${unique.map(quoteKqlValue).join(' or ')})`;
}

export function buildCommunityKql(target: Pick<DiscoverTarget, 'hosts' | 'entityIds'>): string {
  const clauses: string[] = [];
  if (target.hosts.some((h) => h !== '')) clauses.push(kqlAnyOf('host.name', target.hosts));
  if (target.entityIds.some((id) => id !== '')) {
    clauses.push(kqlAnyOf('process.entity_id', target.entityIds));
  }
  if (clauses.length === 0) throw new RangeError('a drill-down needs a host or an entity id');
  return clauses.join(' and ');
}

function shifted(iso: string, deltaMs: number, what: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`${what} is not a date: ${JSON.stringify(iso)}`);
  return new Date(t + deltaMs).toISOString();
}

export function buildDiscoverParams(
  target: DiscoverTarget,
  options: DiscoverOptions = {},
): DiscoverLocatorParams {
  const margin = Math.max(0, options.marginMs ?? DEFAULT_DISCOVER_MARGIN_MS);
  let from = shifted(target.firstSeen, -margin, 'firstSeen');
  let to = shifted(target.lastSeen, margin, 'lastSeen');
  if (from > to) [from, to] = [to, from];
  const params: DiscoverLocatorParams = {
    timeRange: { from, to, mode: 'absolute' },
    query: { language: 'kuery', query: buildCommunityKql(target) },
    columns: [...(options.columns ?? DEFAULT_DISCOVER_COLUMNS)],
    sort: [['@timestamp', 'asc']],
  };
  if (options.dataViewId) params.dataViewId = options.dataViewId;
  else {
    params.dataViewSpec = {
      title: options.indexPattern?.trim() || DEFAULT_EVENT_INDICES,
      name: 'ProblemChild process events',
      timeFieldName: '@timestamp',
    };
  }
  return params;
}

/** The slice of a stored community the drill-down needs. */
export interface DiscoverableCommunity {
  host: string;
  firstSeen: string;
  lastSeen: string;
  entityIds: readonly string[];
  events?: ReadonlyArray<{ event: { process: { entity_id: string } } }>;
}

/**
 * The processes the community's events created, not every node: a parent such as explorer.exe
 * may have started days earlier, and its own start event is not part of the community. This is
 * the same set of events the standalone raw-events view lists.
 */
export function discoverTargetOf(community: DiscoverableCommunity): DiscoverTarget {
  const fromEvents = (community.events ?? []).map((e) => e.event.process.entity_id);
  return {
    hosts: [community.host],
    entityIds: fromEvents.length > 0 ? fromEvents : community.entityIds,
    firstSeen: community.firstSeen,
    lastSeen: community.lastSeen,
  };
}
