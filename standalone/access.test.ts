/**
 * Who can reach the standalone host, and what it gives away: loopback by default, an API key
 * (sent as a header, compared in constant time) on every route once it listens further, no CORS,
 * security headers on every answer, no answer for foreign host names on loopback (DNS
 * rebinding), and the key never in logs or answers. Real hosts over real sockets.
 * (api.test.ts already covers the refusal to listen beyond loopback without a key, a 401 on two
 * routes and the headers of the app page.)
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../server/routes';
import type { Logger } from '../server/ports';
import { startStandalone, type RunningStandalone } from './main';
import { apiKeyMatches } from './register_routes';

const API = '/internal/problem_child';
const KEY = 'pc-test-key-6f1d0c9e2b7a4d35a8e1';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// The app folder sits beside a file that must never be served, as build/ sits in the checkout.
const staticParent = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-access-static-'));
const staticDir = path.join(staticParent, 'public');
const OUTSIDE = 'outside-the-app-folder-3f9a';
fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
fs.writeFileSync(path.join(staticParent, 'secret.txt'), OUTSIDE);

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http rather than fetch: these tests must set Host and Origin freely. */
function raw(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        // Node sends DELETE bodies without framing unless told the length.
        headers:
          opts.body === undefined
            ? opts.headers
            : { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A concrete request for every route (ids that do not exist are fine: auth comes first). */
function routeRequests(): { method: string; path: string; body?: string }[] {
  return ROUTES.map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path.replace('{id}', 'some-id'),
    body: r.method === 'get' ? undefined : '{}',
  }));
}

function headersFor(
  r: { method: string; body?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(r.method !== 'GET' ? { 'kbn-xsrf': 'true' } : {}),
    ...extra,
  };
}

async function start(opts: Parameters<typeof startStandalone>[0] = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-access-'));
  const host = await startStandalone({
    port: 0,
    dataDir,
    staticDir,
    demo: false,
    schedule: false,
    logger: quiet,
    ...opts,
  });
  return {
    host,
    async close() {
      await host.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function externalIPv4(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === 'IPv4' && !i.internal)
    .map((i) => i.address);
}

describe('standalone access: bind address', () => {
  it('listens on 127.0.0.1 only by default', async () => {
    const { host, close } = await start();
    try {
      const addr = host.app.server.address();
      expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
      expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(host.url).port;
      // Where the machine has another interface, the port must be closed on it.
      for (const ip of externalIPv4()) {
        await expect(raw(`http://${ip}:${port}`, { path: `${API}/settings` })).rejects.toThrow(
          /ECONNREFUSED/,
        );
      }
    } finally {
      await close();
    }
  });

  it('refuses every other bind address without a non-empty API key', async () => {
    for (const address of ['0.0.0.0', '::', '10.1.2.3', 'example.com', '']) {
      await expect(start({ host: address })).rejects.toThrow(/api-key/);
      await expect(start({ host: address, apiKey: '' })).rejects.toThrow(/api-key/);
    }
  });
});

describe('standalone access: API key beyond loopback', () => {
  let host: RunningStandalone;
  let close: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    ({ host, close } = await start({ host: '0.0.0.0', apiKey: KEY }));
    base = `http://127.0.0.1:${new URL(host.url).port}`;
  });
  afterAll(() => close());

  const WRONG: Record<string, string>[] = [
    {},
    { 'x-api-key': '' },
    { 'x-api-key': 'wrong' },
    { 'x-api-key': KEY.slice(0, -1) },
    { 'x-api-key': `${KEY}x` },
    { 'x-api-key': KEY.toUpperCase() },
    { authorization: `Bearer ${KEY}` },
    { authorization: `Basic ${Buffer.from(`elastic:${KEY}`).toString('base64')}` },
    { authorization: `ApiKey ${KEY.slice(1)}` },
    { cookie: `api_key=${KEY}` },
  ];

  it('answers 401 on every route without the right key, before any validation', async () => {
    for (const r of routeRequests()) {
      for (const extra of WRONG) {
        const res = await raw(base, {
          method: r.method,
          path: r.path,
          headers: headersFor(r, extra),
          body: r.body,
        });
        expect(res.status, `${r.method} ${r.path} with ${JSON.stringify(extra)}`).toBe(401);
        expect(JSON.parse(res.body).message).toMatch(/API key/);
      }
      // No kbn-xsrf and an invalid body: still 401, so callers without the key learn nothing.
      const bare = await raw(base, { method: r.method, path: r.path, body: r.body });
      expect(bare.status, `${r.method} ${r.path} bare`).toBe(401);
    }
  });

  it('does not take the key from the query string', async () => {
    for (const q of [`api_key=${KEY}`, `apiKey=${KEY}`, `x-api-key=${KEY}`]) {
      const res = await raw(base, { path: `${API}/settings?${q}` });
      expect(res.status).toBe(401);
    }
  });

  it('serves every route to the key holder, in either header', async () => {
    for (const r of routeRequests()) {
      const holders: Record<string, string>[] = [
        { 'x-api-key': KEY },
        { authorization: `ApiKey ${KEY}` },
      ];
      for (const auth of holders) {
        const res = await raw(base, {
          method: r.method,
          path: r.path,
          headers: headersFor(r, auth),
          body: r.body,
        });
        expect(res.status, `${r.method} ${r.path}`).not.toBe(401);
        expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500);
      }
    }
  });
});

describe('standalone access: key comparison', () => {
  it('accepts exactly the key, whatever the lengths involved', () => {
    expect(apiKeyMatches(KEY, KEY)).toBe(true);
    for (const given of [
      undefined,
      '',
      'x',
      KEY.slice(0, -1),
      `${KEY}\u0000`,
      'ü'.repeat(KEY.length),
    ])
      expect(apiKeyMatches(KEY, given)).toBe(false);
  });

  it('takes as long for a near miss as for a wrong first character', () => {
    // With a long key, an early-exit comparison is orders of magnitude faster when the first
    // character differs than when only the last does; a constant-time one is not.
    const key = 'k'.repeat(2_000_000);
    const nearMiss = `${'k'.repeat(1_999_999)}x`;
    const farMiss = `x${'k'.repeat(1_999_999)}`;
    const time = (given: string) => {
      const t0 = performance.now();
      apiKeyMatches(key, given);
      return performance.now() - t0;
    };
    const near: number[] = [];
    const far: number[] = [];
    // Interleaved, so load from other processes hits both series alike; the fastest of many
    // tries is the least disturbed measure of each. An early exit would differ by 100× or more.
    for (let i = 0; i < 31; i++) {
      near.push(time(nearMiss));
      far.push(time(farMiss));
    }
    const ratio = Math.min(...near) / Math.min(...far);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });
});

describe('standalone access: browsers', () => {
  let host: RunningStandalone;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ host, close } = await start());
  });
  afterAll(() => close());

  const CORS_HEADERS = [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-allow-methods',
    'access-control-allow-headers',
  ];

  it('grants no cross-origin access: preflights and requests get no CORS headers', async () => {
    const origin = 'https://attacker.example';
    const preflight = await raw(host.url, {
      method: 'OPTIONS',
      path: `${API}/communities/_bulk_triage`,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'kbn-xsrf, content-type',
      },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    for (const h of CORS_HEADERS) expect(preflight.headers[h]).toBeUndefined();

    for (const p of [`${API}/communities`, `${API}/settings`, '/']) {
      const res = await raw(host.url, { path: p, headers: { origin } });
      for (const h of CORS_HEADERS) expect(res.headers[h], p).toBeUndefined();
    }
  });

  it('ignores a cross-site form post, which cannot carry kbn-xsrf', async () => {
    const before = await raw(host.url, { path: `${API}/settings` });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await raw(host.url, {
        method: 'PUT',
        path: `${API}/settings`,
        headers: { origin: 'https://attacker.example', 'content-type': contentType },
        body: contentType === 'text/plain' ? '{"threshold":0.01}' : 'threshold=0.01',
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    const after = await raw(host.url, { path: `${API}/settings` });
    expect(after.body).toBe(before.body);
  });

  it('answers only its own host names while on loopback (DNS rebinding)', async () => {
    const port = new URL(host.url).port;
    for (const name of ['attacker.example', `attacker.example:${port}`, '10.0.0.5', '0']) {
      const res = await raw(host.url, { path: `${API}/settings`, headers: { host: name } });
      expect(res.status, `Host: ${name}`).toBe(403);
      expect(JSON.parse(res.body).message).toMatch(/host/i);
      const page = await raw(host.url, { path: '/', headers: { host: name } });
      expect(page.status, `Host: ${name} (app)`).toBe(403);
    }
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, '[::1]']) {
      const res = await raw(host.url, { path: `${API}/settings`, headers: { host: name } });
      expect(res.status, `Host: ${name}`).toBe(200);
    }
    // HTTP/1.0 needs no Host header at all; node:http would add one, so write the request by hand.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.end(`GET ${API}/settings HTTP/1.0\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.[01] 403 /);
  });

  it('serves nothing outside the app folder, however the path is spelt', async () => {
    const probes = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/.%2e/.%2e/secret.txt',
      '//../secret.txt',
      '/assets//..//..//secret.txt',
      '/..%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/%c0%ae%c0%ae/secret.txt',
    ];
    for (const p of probes) {
      const res = await raw(host.url, { path: p });
      expect(res.body, p).not.toContain(OUTSIDE);
      expect(res.status, p).toBeLessThan(500);
    }
  });

  it('sends security headers on every kind of answer', async () => {
    const cases: {
      what: string;
      method?: string;
      path: string;
      headers?: Record<string, string>;
      body?: string;
    }[] = [
      { what: 'app page', path: '/' },
      { what: 'deep link', path: '/communities/abc' },
      { what: 'API 200', path: `${API}/settings` },
      { what: 'API 400', path: `${API}/communities?per_page=0` },
      { what: 'API 404', path: `${API}/communities/nope` },
      { what: 'no route', path: `${API}/nothing` },
      { what: 'undecodable path', path: `${API}/communities/%zz` },
      {
        what: 'malformed JSON',
        method: 'PUT',
        path: `${API}/settings`,
        headers: { 'content-type': 'application/json', 'kbn-xsrf': 'x' },
        body: '{',
      },
      { what: 'foreign host', path: '/', headers: { host: 'attacker.example' } },
    ];
    for (const c of cases) {
      const res = await raw(host.url, c);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, c.what).toMatch(/frame-ancestors 'none'/);
      expect(csp, c.what).toMatch(/script-src 'self'/);
      expect(csp, c.what).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp, c.what).toMatch(/object-src 'none'/);
      expect(res.headers['x-content-type-options'], c.what).toBe('nosniff');
      expect(res.headers['x-frame-options'], c.what).toBe('DENY');
      expect(res.headers['referrer-policy'], c.what).toBe('no-referrer');
    }
  });
});

describe('standalone access: secrets', () => {
  it('never writes the API key to its logs or answers, through failed logins and errors', async () => {
    const lines: string[] = [];
    const capture = (level: string) => (m: string, meta?: Record<string, unknown>) =>
      lines.push(`${level} ${m} ${JSON.stringify(meta ?? {})}`);
    const logger: Logger = {
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    };
    const { host, close } = await start({ host: '0.0.0.0', apiKey: KEY, logger });
    const base = `http://127.0.0.1:${new URL(host.url).port}`;
    const answers: string[] = [];
    const keep = (r: Raw) => answers.push(JSON.stringify(r.headers), r.body);
    try {
      const attempts: Record<string, string>[] = [
        { 'x-api-key': `${KEY}x` },
        { 'x-api-key': KEY.slice(0, -1) },
        { authorization: `ApiKey ${KEY}-old` },
        { authorization: `Bearer ${KEY}` },
      ];
      for (const extra of attempts) {
        keep(await raw(base, { path: `${API}/communities`, headers: extra }));
        keep(await raw(base, { path: `${API}/settings?api_key=${KEY}`, headers: extra }));
      }
      // A server error: the store vanishes under the host.
      const ok = { 'x-api-key': KEY };
      await (host.stores as unknown as { close(): Promise<void> }).close();
      const failed = await raw(base, { path: `${API}/communities`, headers: ok });
      keep(failed);
      expect(failed.status).toBe(500);
    } finally {
      await close().catch(() => undefined);
    }
    expect(lines.some((l) => l.startsWith('error'))).toBe(true);
    for (const l of lines) expect(l).not.toContain(KEY);
    for (const a of answers) expect(a).not.toContain(KEY);
  });
});
