/**
 * An HTTP proxy in front of a real Elasticsearch that misbehaves on request: slow answers, 429
 * and 503 bursts, bulk requests of which some items are refused, and a node that dies in the
 * middle of a bulk request. Everything it lets through really reaches Elasticsearch, so the
 * store under test sees the cluster's genuine state, only with the faults a busy or restarting
 * production cluster shows.
 *
 * Rules match by method and path; each counts what it did so a test can assert that the fault
 * it meant to inject was actually hit, and the request log keeps the time of every request so
 * retry spacing can be measured from the outside.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One operation of a bulk request, as the proxy sees it. */
export interface BulkItem {
  action: 'index' | 'create' | 'update' | 'delete';
  index: string | undefined;
  id: string | undefined;
  /** Position of the item in its request (0-based). */
  position: number;
}

export type Fault =
  /** Waits before forwarding (`request`, the default) or before answering (`response`). */
  | { kind: 'latency'; ms: number; phase?: 'request' | 'response' }
  /** Answers with an Elasticsearch-shaped error instead of forwarding. */
  | { kind: 'status'; status: 429 | 503 }
  /**
   * Forwards the bulk request without the selected items and answers as Elasticsearch does when
   * it refuses items under load: those items with status 429 (es_rejected_execution_exception),
   * every other item with its real result.
   */
  | { kind: 'reject_bulk_items'; select: (item: BulkItem) => boolean }
  /**
   * Forwards only the selected items of a bulk request, waits for Elasticsearch to apply them,
   * runs `die` (typically stopping the node) and hangs up without answering: a node that went
   * away half way through a bulk request.
   */
  | { kind: 'die_mid_bulk'; apply: (item: BulkItem) => boolean; die: () => Promise<void> };

export interface FaultRule {
  /** Names the rule in the request log. */
  name: string;
  /** HTTP method, case-insensitive; any method when omitted. */
  method?: string;
  /** Tested against the path without the query string, e.g. /^\/_bulk$/ or /\/_pit$/. */
  path: RegExp;
  /** Matching requests let through untouched before the rule starts to fire (default 0). */
  skip?: number;
  /** Requests the rule faults at most; unlimited when omitted. */
  times?: number;
  fault: Fault;
}

export interface RuleHandle {
  readonly rule: FaultRule;
  /** Requests this rule faulted. */
  readonly hits: number;
  /** Bulk items it refused or never delivered. */
  readonly itemsRefused: number;
}

export interface LoggedRequest {
  seq: number;
  /** Date.now() when the request arrived at the proxy. */
  at: number;
  method: string;
  path: string;
  /** Same for requests with the same method, URL and body: a retry has its original's key. */
  key: string;
  /** Names of the rules that faulted this request. */
  faults: string[];
  /** Status sent to the client, or 'hang_up' when the connection was dropped. */
  status: number | 'hang_up' | undefined;
  /** The answer's body when it is short (a point in time's id, an error), for tests to act on. */
  reply?: string;
  /** Operations in a bulk request, and how many of them the proxy refused or never delivered. */
  bulkItems?: number;
  itemsRefused?: number;
}

export interface FaultProxy {
  url: string;
  add(rule: FaultRule): RuleHandle;
  /** Removes every rule; the log is kept. */
  clear(): void;
  readonly log: readonly LoggedRequest[];
  close(): Promise<void>;
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  hits: number;
  itemsRefused: number;
}

interface ParsedItem extends BulkItem {
  lines: string[];
}

const ES_HEADERS = {
  'content-type': 'application/vnd.elasticsearch+json;compatible-with=9',
  'x-elastic-product': 'Elasticsearch',
};

/** The error bodies Elasticsearch 9 sends for these statuses. */
function errorBody(status: 429 | 503): Record<string, unknown> {
  const cause =
    status === 429
      ? {
          type: 'es_rejected_execution_exception',
          reason:
            'rejected execution of org.elasticsearch.common.util.concurrent.TimedRunnable@1f2e3d4c ' +
            'on TaskExecutionTimeTrackingEsThreadPoolExecutor[name = node/search, queue capacity = 1000]',
        }
      : {
          type: 'cluster_block_exception',
          reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];',
        };
  return { error: { root_cause: [cause], ...cause }, status };
}

function rejectedItem(item: BulkItem): Record<string, unknown> {
  return {
    [item.action]: {
      _index: item.index,
      _id: item.id,
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        reason:
          'rejected execution of primary operation [coordinating_and_primary_bytes=104857600, ' +
          'replica_bytes=0, all_bytes=104857600, primary_operation_bytes=2048, ' +
          'max_coordinating_and_primary_bytes=104857600]',
      },
    },
  };
}

function parseBulk(body: string, pathIndex: string | undefined): ParsedItem[] {
  const lines = body.split('\n').filter((l) => l.length > 0);
  const items: ParsedItem[] = [];
  for (let i = 0; i < lines.length;) {
    const actionLine = lines[i]!;
    const action = JSON.parse(actionLine) as Record<string, { _index?: string; _id?: string }>;
    const kind = Object.keys(action)[0] as BulkItem['action'];
    const meta = action[kind] ?? {};
    const n = kind === 'delete' ? 1 : 2;
    items.push({
      action: kind,
      index: meta._index ?? pathIndex,
      id: meta._id,
      position: items.length,
      lines: lines.slice(i, i + n),
    });
    i += n;
  }
  return items;
}

function bulkBody(items: ParsedItem[]): string {
  return items.flatMap((it) => it.lines).join('\n') + '\n';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const rules: RuleState[] = [];
  const log: LoggedRequest[] = [];
  let seq = 0;

  interface Upstream {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { ...req.headers };
      // The body may have been rewritten; plain responses are what the proxy can rewrite.
      delete headers['content-length'];
      delete headers['accept-encoding'];
      delete headers['connection'];
      headers.host = upstream.host;
      headers['content-length'] = body.length;
      const up = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
  ): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: LoggedRequest = {
      seq: seq++,
      at: Date.now(),
      method,
      path: url.pathname,
      key: createHash('sha1')
        .update(`${method} ${req.url ?? ''}\n`)
        .update(body)
        .digest('hex'),
      faults: [],
      status: undefined,
    };
    log.push(entry);

    const firing: RuleState[] = [];
    for (const r of rules) {
      if (r.rule.method && r.rule.method.toUpperCase() !== method) continue;
      if (!r.rule.path.test(url.pathname)) continue;
      r.seen++;
      if (r.seen <= (r.rule.skip ?? 0)) continue;
      if (r.rule.times !== undefined && r.hits >= r.rule.times) continue;
      r.hits++;
      entry.faults.push(r.rule.name);
      firing.push(r);
    }

    const send = (status: number, headers: http.OutgoingHttpHeaders, payload: Buffer | string) => {
      entry.status = status;
      if (Buffer.byteLength(payload) <= 4_096) entry.reply = payload.toString();
      res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    const relay = (up: Upstream) => {
      const headers = { ...up.headers };
      for (const h of ['content-length', 'transfer-encoding', 'connection', 'keep-alive'])
        delete headers[h];
      send(up.status, headers, up.body);
    };
    const hangUp = () => {
      entry.status = 'hang_up';
      req.socket.destroy();
    };

    let responseDelay = 0;
    let answer: 429 | 503 | undefined;
    const refusing: RuleState[] = [];
    let dying: RuleState | undefined;
    for (const r of firing) {
      const f = r.rule.fault;
      if (f.kind === 'latency') {
        if (f.phase === 'response') responseDelay += f.ms;
        else await sleep(f.ms);
      } else if (f.kind === 'status') answer ??= f.status;
      else if (f.kind === 'reject_bulk_items') refusing.push(r);
      else dying ??= r;
    }
    if (answer !== undefined) {
      send(answer, ES_HEADERS, JSON.stringify(errorBody(answer)));
      return;
    }
    const bulkPath = /^(?:\/([^/]+))?\/_bulk$/.exec(url.pathname);
    let items: ParsedItem[] = [];
    if (bulkPath) {
      try {
        items = parseBulk(body.toString('utf8'), bulkPath[1]);
        entry.bulkItems = items.length;
      } catch {
        // Not NDJSON: Elasticsearch will say so; there is nothing to refuse in it.
      }
    }
    if ((refusing.length > 0 || dying) && !bulkPath) {
      // A test whose rule matches the wrong requests should fail loudly, not see odd errors.
      send(500, { 'content-type': 'text/plain' }, `bulk fault on ${method} ${url.pathname}`);
      return;
    }

    try {
      if (dying && dying.rule.fault.kind === 'die_mid_bulk') {
        const f = dying.rule.fault;
        const applied = items.filter((it) => f.apply(it));
        dying.itemsRefused += items.length - applied.length;
        entry.itemsRefused = items.length - applied.length;
        if (applied.length > 0) await forward(req, Buffer.from(bulkBody(applied)));
        await f.die();
        hangUp();
        return;
      }
      const refused = new Set<number>();
      for (const r of refusing) {
        const f = r.rule.fault;
        if (f.kind !== 'reject_bulk_items') continue;
        const mine = items.filter((it) => !refused.has(it.position) && f.select(it));
        for (const it of mine) refused.add(it.position);
        r.itemsRefused += mine.length;
        // A request with nothing to refuse does not use up the rule: `times` counts requests
        // that really lost items.
        if (mine.length === 0) {
          r.hits--;
          entry.faults = entry.faults.filter((n) => n !== r.rule.name);
        }
      }
      if (refused.size > 0) {
        entry.itemsRefused = refused.size;
        const through = items.filter((it) => !refused.has(it.position));
        let applied: unknown[] = [];
        let took = 0;
        if (through.length > 0) {
          const up = await forward(req, Buffer.from(bulkBody(through)));
          if (up.status !== 200) {
            relay(up);
            return;
          }
          const parsed = JSON.parse(up.body.toString('utf8')) as {
            took?: number;
            items?: unknown[];
          };
          if (!Array.isArray(parsed.items)) throw new Error('bulk response without items');
          applied = parsed.items;
          took = parsed.took ?? 0;
        }
        // Elasticsearch answers item by item in request order.
        let k = 0;
        const merged = items.map((it) =>
          refused.has(it.position) ? rejectedItem(it) : applied[k++],
        );
        send(200, ES_HEADERS, JSON.stringify({ errors: true, took, items: merged }));
        return;
      }
      const up = await forward(req, body);
      if (responseDelay > 0) await sleep(responseDelay);
      relay(up);
    } catch {
      // Elasticsearch unreachable (stopped, restarting): the client sees a dropped connection,
      // as it would talking to the node directly.
      hangUp();
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    add(rule) {
      const state: RuleState = { rule, seen: 0, hits: 0, itemsRefused: 0 };
      rules.push(state);
      return {
        rule,
        get hits() {
          return state.hits;
        },
        get itemsRefused() {
          return state.itemsRefused;
        },
      };
    },
    clear() {
      rules.length = 0;
    },
    log,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
