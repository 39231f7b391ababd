/**
 * The drill-down from a community to its raw events in Discover, as pure, Kibana-free code: the
 * ids of the saved objects the server creates (server/kibana/saved_search.ts) and the params for
 * Discover's DISCOVER_APP_LOCATOR. Everything goes into the URL the locator builds (saved search
 * id, data view id, time range, KQL), so the link survives copy, share and a new tab; an ad-hoc
 * `dataViewSpec` would travel in history state only and be lost (Discover's
 * common/app_locator_get_location.ts, elastic/kibana @ 03556c44effdd7e5a70cc0ab6a0041b024154e44).
 * Param names follow common/app_locator.ts @ 0867c61cce06bfa4820e0cde96f80c8ae4b4770e.
 */

/** Stable ids (suffixed with the space id outside the default space, see saved_search.ts). */
export const DISCOVER_DATA_VIEW_ID = 'problem-child-events';
export const DISCOVER_SAVED_SEARCH_ID = 'problem-child-community-events';

/** The saved search's columns; Discover shows them in this order. */
export const DISCOVER_COLUMNS: readonly string[] = [
  '@timestamp',
  'host.name',
  'user.name',
  'process.parent.name',
  'process.name',
  'process.command_line',
];

export const DISCOVER_SORT: ReadonlyArray<readonly [string, 'asc' | 'desc']> = [
  ['@timestamp', 'asc'],
];

/**
 * Longest KQL put into a link. The locator rison-encodes app state into the URL's hash, which
 * roughly doubles quoted ids; 2,000 characters keeps the whole URL near 5 kB, within what
 * browsers, proxies and Kibana's short-URL service accept without hashing state away.
 */
export const MAX_DISCOVER_KQL_LENGTH = 2_000;

export const DEFAULT_DISCOVER_MARGIN_MS = 60_000;

export interface DiscoverLocatorParams {
  savedSearchId: string;
  dataViewId: string;
  timeRange: { from: string; to: string; mode: 'absolute' };
  query: { language: 'kuery'; query: string };
  columns: string[];
  sort: string[][];
}

/** What the server answers once the saved objects exist. */
export interface DiscoverSavedSearchIds {
  savedSearchId: string;
  dataViewId: string;
}

/** What to look at: the processes of one community on its host. */
export interface DiscoverTarget {
  hosts: readonly string[];
  /** The processes the community's events created. */
  entityIds: readonly string[];
  /** Their names, for the filter used when the id list is too long for a link. */
  processNames: readonly string[];
  firstSeen: string;
  lastSeen: string;
}

/**
 * How closely the link matches the community: `events` selects exactly its events by process
 * entity id; `processes` selects the host's events in the time span by process name (a
 * superset); `host` keeps only host and time span when even the names are too many.
 */
export type DiscoverPrecision = 'events' | 'processes' | 'host';

export interface DiscoverDrillDown {
  params: DiscoverLocatorParams;
  precision: DiscoverPrecision;
  /** Shown next to the link whenever Discover will show more than the community's events. */
  note?: string;
}

export interface DiscoverOptions extends Partial<DiscoverSavedSearchIds> {
  /** Added before first and after last seen, so clock skew between sources hides nothing. */
  marginMs?: number;
  maxKqlLength?: number;
}

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

const nonEmpty = (values: readonly string[]) => values.some((v) => v !== '');

function hostClause(target: Pick<DiscoverTarget, 'hosts'>): string[] {
  return nonEmpty(target.hosts) ? [kqlAnyOf('host.name', target.hosts)] : [];
}

/** Exactly the community's events: its host(s) and the entity ids its events created. */
export function buildCommunityKql(target: Pick<DiscoverTarget, 'hosts' | 'entityIds'>): string {
  const clauses = hostClause(target);
  if (nonEmpty(target.entityIds)) clauses.push(kqlAnyOf('process.entity_id', target.entityIds));
  if (clauses.length === 0) throw new RangeError('a drill-down needs a host or an entity id');
  return clauses.join(' and ');
}

function shifted(iso: string, deltaMs: number, what: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`${what} is not a date: ${JSON.stringify(iso)}`);
  return new Date(t + deltaMs).toISOString();
}

function processCount(n: number): string {
  return `${n} ${n === 1 ? 'process' : 'processes'}`;
}

/**
 * The most precise KQL that fits in a link: by entity id, else by process name, else host
 * alone, each within the same time span.
 */
function chooseQuery(
  target: DiscoverTarget,
  limit: number,
): { query: string; precision: DiscoverPrecision; note?: string } {
  const ids = [...new Set(target.entityIds.filter((v) => v !== ''))];
  if (ids.length > 0) {
    const exact = buildCommunityKql(target);
    if (exact.length <= limit) return { query: exact, precision: 'events' };
  }
  const tooMany =
    ids.length > 0
      ? `The community has ${processCount(ids.length)}, too many to list by id in a link`
      : "The community's process ids are not known";
  const hosts = hostClause(target);
  if (nonEmpty(target.processNames)) {
    const byName = [...hosts, kqlAnyOf('process.name', target.processNames)].join(' and ');
    if (byName.length <= limit) {
      return {
        query: byName,
        precision: 'processes',
        note:
          `${tooMany}: Discover shows every event of its host in its time span whose process ` +
          'has one of its process names, which may include events outside the community.',
      };
    }
  }
  if (hosts.length === 0) throw new RangeError('a drill-down needs a host or an entity id');
  return {
    query: hosts.join(' and '),
    precision: 'host',
    note:
      `${tooMany}${nonEmpty(target.processNames) ? ' or by process name' : ''}: Discover shows ` +
      'every event of its host in its time span, ' +
      'which may include events outside the community.',
  };
}

export function buildDiscoverDrillDown(
  target: DiscoverTarget,
  options: DiscoverOptions = {},
): DiscoverDrillDown {
  const margin = Math.max(0, options.marginMs ?? DEFAULT_DISCOVER_MARGIN_MS);
  let from = shifted(target.firstSeen, -margin, 'firstSeen');
  let to = shifted(target.lastSeen, margin, 'lastSeen');
  if (from > to) [from, to] = [to, from];
  const chosen = chooseQuery(target, options.maxKqlLength ?? MAX_DISCOVER_KQL_LENGTH);
  const params: DiscoverLocatorParams = {
    savedSearchId: options.savedSearchId ?? DISCOVER_SAVED_SEARCH_ID,
    dataViewId: options.dataViewId ?? DISCOVER_DATA_VIEW_ID,
    timeRange: { from, to, mode: 'absolute' },
    query: { language: 'kuery', query: chosen.query },
    columns: [...DISCOVER_COLUMNS],
    sort: DISCOVER_SORT.map((s) => [...s]),
  };
  return chosen.note
    ? { params, precision: chosen.precision, note: chosen.note }
    : { params, precision: chosen.precision };
}

/** The slice of a stored community the drill-down needs. */
export interface DiscoverableCommunity {
  host: string;
  firstSeen: string;
  lastSeen: string;
  entityIds: readonly string[];
  events?: ReadonlyArray<{ event: { process: { entity_id: string; name?: string } } }>;
  edges?: ReadonlyArray<{ childName: string }>;
}

/**
 * The processes the community's events created, not every node: a parent such as explorer.exe
 * may have started days earlier, and its own start event is not part of the community. This is
 * the same set of events the standalone raw-events view lists.
 */
export function discoverTargetOf(community: DiscoverableCommunity): DiscoverTarget {
  const events = community.events ?? [];
  const fromEvents = events.map((e) => e.event.process.entity_id);
  const names = events.map((e) => e.event.process.name ?? '').filter((n) => n !== '');
  return {
    hosts: [community.host],
    entityIds: fromEvents.length > 0 ? fromEvents : community.entityIds,
    processNames: names.length > 0 ? names : (community.edges ?? []).map((e) => e.childName),
    firstSeen: community.firstSeen,
    lastSeen: community.lastSeen,
  };
}
