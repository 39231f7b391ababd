/**
 * Requests cannot starve each other (issue 18, finding 3), over real HTTP on a real DuckDB: a
 * slow request does not hold up the others, a client that hangs up stops its query (the
 * connection is interrupted and handed back), and a request past its time budget gets a 503
 * instead of holding a connection.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteContext, RouteDef } from '../server/routes/route_types';
import { Database } from '../server/stores/duckdb/database';
import { registerStandaloneRoutes } from './register_routes';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
// Minutes of work for DuckDB: only an interrupt ends it within the test.
const SLOW = 'SELECT sum(a.i * b.i) AS s FROM range(100000000) a(i), range(100000) b(i)';

let app: FastifyInstance | undefined;
let db: Database | undefined;
afterEach(async () => {
  await app?.close();
  await db?.close();
  app = undefined;
  db = undefined;
});

/** A server whose `/slow` runs SLOW and whose `/quick` a trivial read, on one store. */
async function serve(readers: number, requestTimeoutMs?: number) {
  db = await Database.open(':memory:', { threads: 1, readers });
  const d = db;
  const outcomes: string[] = [];
  const route = (path: string, sql: string): RouteDef => ({
    method: 'get',
    path,
    privilege: 'read',
    validate: {},
    handler: async () => {
      try {
        const rows = await d.all(sql);
        outcomes.push(`${path} ok`);
        return { status: 200, body: { n: Number(rows[0]!.n ?? rows[0]!.s) } };
      } catch (e) {
        outcomes.push(`${path} stopped: ${(e as Error).message}`);
        throw e;
      }
    },
  });
  app = Fastify({ logger: false });
  registerStandaloneRoutes(app, {
    routes: [route('/slow', SLOW), route('/quick', 'SELECT 1 AS n')],
    context: () => ({}) as RouteContext,
    logger: quiet,
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { base, outcomes };
}

const until = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Starts a GET and hangs up after `afterMs` (a browser tab closed mid-request). */
function hangUpAfter(url: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url);
    req.on('error', () => resolve());
    setTimeout(() => {
      req.destroy();
      resolve();
    }, afterMs);
  });
}

describe('request isolation', () => {
  it('serves other requests while a slow one runs, and stops it when its client hangs up', async () => {
    const { base, outcomes } = await serve(2);
    const gone = hangUpAfter(`${base}/slow`, 500);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const quick = await fetch(`${base}/quick`);
    expect(quick.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await gone;
    await until(() => outcomes.some((o) => o.startsWith('/slow stopped')), 5_000, 'interrupt');
    expect(outcomes).toContain('/slow stopped: the client went away');
  });

  it('frees the connection of a request whose client hung up', async () => {
    // One reader: the next request is only served if the hung-up one gave its connection back.
    const { base } = await serve(1);
    await hangUpAfter(`${base}/slow`, 300);
    const res = await Promise.race([
      fetch(`${base}/quick`).then((r) => r.status),
      new Promise((r) => setTimeout(() => r('still blocked'), 5_000)),
    ]);
    expect(res).toBe(200);
  });

  it('answers 503 past the request time budget', async () => {
    const { base, outcomes } = await serve(1, 300);
    const t0 = Date.now();
    const res = await fetch(`${base}/slow`);
    expect(res.status).toBe(503);
    expect((await res.json()).message).toMatch(/longer than 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(outcomes[0]).toMatch(/^\/slow stopped/);
    expect((await fetch(`${base}/quick`)).status).toBe(200);
  });
});
