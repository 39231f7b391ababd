/**
 * Concurrent load on the standalone API's read routes over a store built by load_data.ts, shared
 * by the load test (which asserts on errors) and the `api` benchmark (which prints figures).
 * Every answer is checked against what was asked, so a fast wrong answer never counts as served.
 */
import autocannon from 'autocannon';
import { SORT_FIELDS } from '../../common/schemas';
import { API_BASE } from '../../common/constants';
import type { LoadData } from './load_data';

export interface RouteLoad {
  name: string;
  /** The next request's path under the API base, and text its answer must contain. */
  next(): { path: string; expect: string };
}

export interface RouteFigures {
  name: string;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 answers that were not about what was asked. */
  wrong: number;
  firstWrong: string;
  statusCodes: string;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** The list (paging, every sort, filters), detail, raw events and prevalence routes. */
export function readRoutes(data: LoadData): RouteLoad[] {
  const communities = data.communityIds.length;
  const filters: (() => string)[] = [
    () => '',
    () => `&host=${encodeURIComponent(pick(data.hosts))}`,
    () => `&min_score=${pick(['0.6', '0.8', '0.95'])}`,
    () => `&status=open`,
    () => `&q=${pick(['domain', 'whoami', 'iwr'])}`,
  ];
  return [
    {
      name: 'GET /communities (list)',
      next: () => {
        const perPage = pick([20, 50, 100]);
        const filter = pick(filters)();
        // Deep pages only where the filter leaves enough rows to reach them.
        const narrow = filter.includes('host=') || filter.includes('q=');
        const page = 1 + Math.floor(Math.random() * (narrow ? 2 : communities / perPage / 2));
        const sort = `sort=${pick(SORT_FIELDS)}&direction=${pick(['asc', 'desc'])}`;
        return {
          path: `/communities?page=${page}&per_page=${perPage}&${sort}${filter}`,
          expect: `"page":${page},"perPage":${perPage},`,
        };
      },
    },
    {
      name: 'GET /communities/{id} (detail)',
      next: () => {
        const id = pick(data.communityIds);
        return { path: `/communities/${id}`, expect: `"id":"${id}"` };
      },
    },
    {
      name: 'GET /communities/{id}/events',
      next: () => {
        const c = Math.floor(Math.random() * communities);
        return {
          path: `/communities/${data.communityIds[c]}/events`,
          expect: `{"total":${data.communitySize(c)},"events":[{`,
        };
      },
    },
    {
      name: 'GET /prevalence',
      next: () => {
        const p = pick(data.pairs);
        const q = `parent=${encodeURIComponent(p.parent)}&child=${encodeURIComponent(p.child)}`;
        return {
          path: `/prevalence?${q}&command_line=${encodeURIComponent(p.commandLine)}`,
          expect: `"events":${data.events}`,
        };
      },
    },
  ];
}

/** Drives one route with autocannon for `seconds` over `connections` keep-alive connections. */
export async function loadRoute(
  base: string,
  route: RouteLoad,
  opts: { seconds: number; connections: number },
): Promise<RouteFigures> {
  let wrong = 0;
  let firstWrong = '';
  const result = await autocannon({
    url: base,
    connections: opts.connections,
    duration: opts.seconds,
    // Seconds; autocannon counts a slower answer as a timeout.
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (req, context) => {
          const { path, expect } = route.next();
          (context as { expect?: string }).expect = expect;
          return { ...req, path: `${API_BASE}${path}` };
        },
        onResponse: (status, body, context) => {
          const expect = (context as { expect?: string }).expect ?? '';
          if (status === 200 && !body.includes(expect)) {
            wrong++;
            firstWrong ||= `expected ${expect} in ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  return {
    name: route.name,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    wrong,
    firstWrong,
    statusCodes: JSON.stringify(result.statusCodeStats ?? {}),
  };
}

export const FIGURES_HEADER = `${'route'.padEnd(34)} ${'requests'.padStart(9)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`;

export function figuresRow(f: RouteFigures): string {
  return (
    `${f.name.padEnd(34)} ${String(f.requests).padStart(9)} ${f.requestsPerSecond.toFixed(0).padStart(8)} ` +
    `${String(f.p50).padStart(8)} ${String(f.p99).padStart(8)} ${String(f.max).padStart(8)}`
  );
}
