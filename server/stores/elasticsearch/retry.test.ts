import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/harness/elasticsearch';
import { errorResponse, storeStatus } from '../../routes/errors';
import { createEsClient } from './client';
import {
  backoffDelay,
  errorName,
  isRetryableError,
  requestOptions,
  retryDelay,
  statusOf,
  withRetry,
} from './retry';

function responseError(statusCode: number): errors.ResponseError {
  return new errors.ResponseError({
    body: { error: { type: statusCode === 429 ? 'es_rejected_execution_exception' : 'other' } },
    statusCode,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

describe('withRetry', () => {
  it('retries overload and unavailability, then succeeds', async () => {
    const seen: number[] = [];
    const out = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw responseError(attempt === 0 ? 429 : 503);
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(out).toBe('ok');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('gives up after the bounded number of attempts', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw responseError(429);
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((err as errors.ResponseError).statusCode).toBe(429);
  });

  it('does not retry a request that is wrong', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw responseError(400);
      }),
    ).rejects.toBeInstanceOf(errors.ResponseError);
    expect(calls).toBe(1);
    expect(isRetryableError(responseError(409))).toBe(false);
    expect(isRetryableError(new Error('x'))).toBe(false);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const ctl = new AbortController();
    const t0 = Date.now();
    const p = withRetry(
      async () => {
        throw responseError(503);
      },
      { baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 1, signal: ctl.signal },
    );
    setTimeout(() => ctl.abort(new Error('shutting down')), 20);
    await expect(p).rejects.toThrow('shutting down');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('uses full jitter under a cap', () => {
    expect(backoffDelay(0, 100, 5_000, () => 0.999)).toBe(99);
    expect(backoffDelay(10, 100, 5_000, () => 0.999)).toBe(4_995);
    expect(backoffDelay(3, 100, 5_000, () => 0)).toBe(0);
  });

  it('never retries sooner than the floor, nor later than the cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000, minDelayMs: 40 };
    expect(retryDelay(0, { ...policy, random: () => 0 })).toBe(40);
    expect(retryDelay(0, { ...policy, random: () => 0.999 })).toBe(99);
    expect(retryDelay(8, { ...policy, random: () => 0.999 })).toBe(999);
    // By default the floor is 50 ms, or the base when that is smaller.
    expect(retryDelay(0, { random: () => 0 })).toBe(50);
    expect(retryDelay(0, { baseDelayMs: 1, random: () => 0 })).toBe(1);
    expect(retryDelay(0, { minDelayMs: 5_000, maxDelayMs: 300, random: () => 0 })).toBe(300);
  });

  it('waits at least the floor between tries', async () => {
    const at: number[] = [];
    await withRetry(
      async (attempt) => {
        at.push(performance.now());
        if (attempt < 2) throw responseError(429);
      },
      { baseDelayMs: 1, minDelayMs: 30, maxDelayMs: 30 },
    );
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(29);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(29);
  });

  it('retries connection errors against a real socket and reports them', async () => {
    const port = await freePort();
    const client = createEsClient({ node: `http://127.0.0.1:${port}`, requestTimeoutMs: 2_000 });
    let calls = 0;
    const err = await withRetry(
      () => {
        calls++;
        return client.cluster.health({}, requestOptions());
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    await client.close();
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(errors.ConnectionError);
  });
});

/**
 * Kibana hands the plugin its own copy of @elastic/elasticsearch, whose error classes are not
 * ours: errors must be told apart by name and status. This copies the client and its transport
 * into a temporary node_modules (every other dependency linked to ours) and loads them from
 * there, so the errors below are thrown by a second module instance, as under Kibana.
 */
describe('error classification with a second copy of the client', () => {
  type SecondModule = typeof import('@elastic/elasticsearch');
  let second: SecondModule;
  let dir: string;
  const servers: { close(): void }[] = [];

  beforeAll(() => {
    const repoModules = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../node_modules',
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-second-client-'));
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(path.join(modules, '@elastic'), { recursive: true });
    for (const entry of fs.readdirSync(repoModules)) {
      if (entry === '@elastic' || entry.startsWith('.')) continue;
      fs.symlinkSync(path.join(repoModules, entry), path.join(modules, entry));
    }
    for (const pkg of ['elasticsearch', 'transport'])
      fs.cpSync(path.join(repoModules, '@elastic', pkg), path.join(modules, '@elastic', pkg), {
        recursive: true,
        dereference: true,
        filter: (src) => !src.endsWith('.d.ts') && !src.endsWith('.map'),
      });
    const require = createRequire(path.join(dir, 'index.js'));
    second = require('@elastic/elasticsearch') as SecondModule;
  });

  afterAll(() => {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** An HTTP server that answers every request with `status` as Elasticsearch would. */
  async function answering(status: number): Promise<string> {
    const server = http.createServer((_req, res) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
      });
      res.end(JSON.stringify({ error: { type: 'some_exception', reason: 'r' }, status }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  /** A server that accepts connections and never answers. */
  async function silent(): Promise<string> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({
      close: () => {
        for (const s of sockets) s.destroy();
        server.close();
      },
    });
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  const client = (node: string, requestTimeout = 2_000) =>
    new second.Client({ node, requestTimeout, maxRetries: 0 });

  it('is really another copy', () => {
    expect(second.errors.ConnectionError).not.toBe(errors.ConnectionError);
  });

  it('retries a real connection error', async () => {
    const c = client(`http://127.0.0.1:${await freePort()}`);
    let calls = 0;
    const err = await withRetry(
      () => {
        calls++;
        return c.cluster.health({}, requestOptions());
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(second.errors.ConnectionError);
    expect(err).not.toBeInstanceOf(errors.ConnectionError);
    expect(errorName(err)).toBe('ConnectionError');
    expect(calls).toBe(3);
  });

  it('retries a real timeout', async () => {
    const c = client(await silent(), 200);
    let calls = 0;
    const err = await withRetry(
      () => {
        calls++;
        return c.info({}, requestOptions());
      },
      { attempts: 2, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    await c.close();
    expect(errorName(err)).toBe('TimeoutError');
    expect(err).not.toBeInstanceOf(errors.TimeoutError);
    expect(calls).toBe(2);
  });

  it('does not retry a real abort', async () => {
    const c = client(await silent());
    const ctl = new AbortController();
    const pending = c.info({}, { signal: ctl.signal, maxRetries: 0 }).catch((e: unknown) => e);
    setTimeout(() => ctl.abort(), 50);
    const err = await pending;
    await c.close();
    expect(errorName(err)).toBe('RequestAbortedError');
    expect(isRetryableError(err)).toBe(false);
  });

  it('retries 503 and 429 answers, not 400, and reads their status', async () => {
    for (const [status, retried] of [
      [503, true],
      [429, true],
      [400, false],
    ] as const) {
      const c = client(await answering(status));
      let calls = 0;
      const err = await withRetry(
        () => {
          calls++;
          return c.info({}, requestOptions());
        },
        { attempts: 3, baseDelayMs: 1 },
      ).catch((e: unknown) => e);
      await c.close();
      expect(err).toBeInstanceOf(second.errors.ResponseError);
      expect(statusOf(err)).toBe(status);
      expect(calls, `status ${status}`).toBe(retried ? 3 : 1);
    }
  });

  it('maps a refusal from the second copy to 403, not 500, in the routes', async () => {
    const c = client(await answering(403));
    const err = await c.info().catch((e: unknown) => e);
    await c.close();
    expect(storeStatus(err)).toBe(403);
    expect(errorResponse(err).status).toBe(403);
  });
});
