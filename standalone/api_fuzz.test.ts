/**
 * Property-based fuzzing of every API route of the standalone host over real HTTP, on a real
 * embedded store seeded with a generated environment and with the scheduler running (so run-now
 * really starts detection runs). Whatever the path, query string, headers or body, the host
 * must answer 2xx or 4xx with a JSON body, never 500; every 4xx carries a message and every 400
 * names the part of the request at fault; the host keeps serving, no detection run started from
 * the API fails, nothing reaches the error log, and no prototype is polluted.
 *
 * Run counts are fixed and modest so the file stays fast; on a failure fast-check prints the
 * seed and the shrunk request, which replays with `{ seed, path }` in the assert options.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../server/routes';
import type { RouteDef } from '../server/routes/route_types';
import { startStandalone, type RunningStandalone } from './main';
import { SORT_FIELDS } from '../common/schemas';

const API = '/internal/problem_child';
const RUNS = 120;

const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-fuzz-static-'));
fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');

interface Sent {
  method: string;
  /** Path after the API prefix, already encoded (raw fragments are sent as they are). */
  path: string;
  query?: string;
  body?: string;
  contentType?: string;
  xsrf?: boolean;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(base: string, req: Sent): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (req.xsrf !== false && req.method !== 'GET') headers['kbn-xsrf'] = 'fuzz';
  if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
  const url = `${base}${API}${req.path}${req.query ? `?${req.query}` : ''}`;
  const res = await fetch(url, { method: req.method, headers, body: req.body });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text: await res.text(),
  };
}

const short = (s: string | undefined) =>
  s === undefined ? undefined : s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;

/** The contract every answer keeps, whatever was sent. */
function checkAnswer(req: Sent, a: Answer): void {
  const what = JSON.stringify({ ...req, body: short(req.body), answer: short(a.text) });
  expect(a.status, what).toBeGreaterThanOrEqual(200);
  expect(a.status, what).toBeLessThan(500);
  expect(a.contentType, what).toMatch(/^application\/json/);
  const body = JSON.parse(a.text) as {
    statusCode?: number;
    message?: unknown;
    errors?: { field?: unknown; message?: unknown }[];
  };
  if (a.status < 400) return;
  if (body.statusCode !== undefined) expect(body.statusCode, what).toBe(a.status);
  expect(typeof body.message, what).toBe('string');
  expect((body.message as string).length, what).toBeGreaterThan(0);
  if (a.status !== 400) return;
  expect(Array.isArray(body.errors) && body.errors.length > 0, what).toBe(true);
  for (const e of body.errors!) {
    expect(e.field, what).toMatch(/^(params|query|body|headers|path)(\.|$)/);
    expect(typeof e.message, what).toBe('string');
    expect(body.message as string, what).toContain(`[${e.field as string}]`);
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const ADVERSARIAL = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '..',
  '../../etc/passwd',
  '..\\..\\windows\\system32',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e\u0644\u0627',
  '😀👩‍💻',
  'ＡＢＣ',
  "' OR 1=1 --",
  '"; DROP TABLE communities; --',
  '$1',
  '%s%s%n',
  '${jndi:ldap://example.invalid/a}',
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e309',
  '-1e309',
  '0x1F',
  '9007199254740993',
  '-1',
  'true',
  'null',
  '[]',
  '{}',
  '*',
  '?',
  '\\',
  '\\\\.\\pipe\\x',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '0000-00-00',
  '2024-02-30',
  '2024-13-01T25:61:61Z',
  'yesterday',
  'now-7d',
  '15m',
  '0s',
  '0d',
  '8d',
  '366d',
  '99999999999999999999d',
];

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ADVERSARIAL) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  {
    weight: 1,
    arbitrary: fc
      .date({ noInvalidDate: false })
      .map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  },
  // Past every length limit of the schemas; in a URL, past the 16 KiB header limit too.
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 1, arbitrary: fc.nat({ max: 300 }).map((n) => '\\users\\x'.repeat(n)) },
);

/** URLs carry bytes: lone surrogates cannot be percent-encoded, so they become U+FFFD here. */
const enc = (s: string) =>
  encodeURIComponent(
    s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );

/** Valid community/suppression ids, real ones (filled in once the host is up) and garbage. */
const realIds: string[] = ['placeholder'];
const idSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constant(null).map(() => realIds[0]!),
  fc.nat({ max: 1_000 }).map((i) => realIds[i % realIds.length]!),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,140}$/),
  nastyString.map(enc),
  fc.constantFrom(
    '%zz',
    '%',
    '%2e%2e',
    '%2F',
    '..%2F..%2F',
    '%00',
    '%E0%A4%A',
    '%C3%28',
    '%ED%A0%80',
    'a'.repeat(1_100),
  ),
);

const isoNearNow = fc
  .integer({ min: -40 * 86_400_000, max: 2 * 86_400_000 })
  .map((offset) => new Date(Date.now() + offset).toISOString());

/** Plausible values for every field name the schemas know, so fuzzing also gets past validation. */
const GOOD: Record<string, fc.Arbitrary<unknown>> = {
  from: isoNearNow,
  to: isoNearNow,
  host: fc.constantFrom('it-lt001.adatum.local', 'WS-01', 'unknown'),
  status: fc.constantFrom('open', 'acknowledged', 'closed'),
  min_score: fc.double({ min: 0, max: 1, noNaN: true }),
  q: fc.constantFrom('powershell', '-enc', 'whoami', 'a b c'),
  include_unflagged: fc.constantFrom('true', 'false'),
  sort: fc.constantFrom(...SORT_FIELDS),
  direction: fc.constantFrom('asc', 'desc'),
  page: fc.integer({ min: 1, max: 10_000 }),
  per_page: fc.integer({ min: 1, max: 100 }),
  parent: fc.constantFrom('services.exe', 'C:\\Windows\\explorer.exe', 'winword.exe'),
  child: fc.constantFrom('svchost.exe', 'cmd.exe', 'powershell.exe'),
  command_line: fc.constantFrom('cmd.exe /c whoami', 'powershell -enc SQBFAFgA', ''),
  assignee: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null)),
  note: fc.string({ maxLength: 200 }),
  verdict: fc.constantFrom('benign', 'malicious', null),
  suppress: fc.boolean(),
  version: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
  ids: fc.array(idSegment.map(decodeURIComponentSafe), { minLength: 1, maxLength: 5 }),
  threshold: fc.double({ min: 0, max: 1, noNaN: true }),
  interval: fc.constantFrom('15m', '1h', '30s', '7d'),
  lookback: fc.constantFrom('45m', '2h', '30d', '1s'),
  prevalence_lookback: fc.constantFrom('30d', '365d', '1h'),
  indices: fc.constantFrom('winlogbeat-*', 'logs-*,-logs-excluded', '*'),
  score_source: fc.constantFrom('model', 'elastic', 'blend'),
};

/** Values on and just past each field's limits, where off-by-one and overflow bugs live. */
const EDGE: Record<string, fc.Arbitrary<unknown>> = {
  from: fc.constantFrom('0001-01-01', '1970-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z'),
  to: fc.constantFrom('9999-12-31', '1970-01-01', '-271821-04-20T00:00:00.000Z'),
  min_score: fc.constantFrom(-0, 1, 1.0000001, -1e-300, '1e-400'),
  page: fc.constantFrom(0, 10_000, 10_001, 2 ** 53),
  per_page: fc.constantFrom(0, 100, 101, -1),
  version: fc.constantFrom(-1, 2 ** 31, 2 ** 53 + 1, 0.5),
  ids: fc.constantFrom(
    Array.from({ length: 501 }, (_, i) => `id-${i}`),
    Array.from({ length: 500 }, () => 'same-id'),
  ),
  threshold: fc.constantFrom(-0, 0, 1, 1.0000001, -Number.MIN_VALUE),
  interval: fc.constantFrom('0s', '0m', '7d', '8d', '604800s', '99999999999999999999d'),
  lookback: fc.constantFrom('0s', '30d', '31d', '720h', '99999999999999999999d'),
  prevalence_lookback: fc.constantFrom('0d', '365d', '366d', '99999999999999999999d'),
  note: fc.constantFrom('x'.repeat(10_000), 'x'.repeat(10_001)),
  assignee: fc.constantFrom('x'.repeat(256), 'x'.repeat(257)),
  command_line: fc.constantFrom('x'.repeat(12_000), 'powershell -enc ' + 'A'.repeat(10_000)),
};

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** JSON values of every kind, including the awkward ones. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  nastyString,
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 53 + 2, -(2 ** 31) - 1, 1e308, [], {}),
);

const fieldValue = (key: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    ...(Object.hasOwn(GOOD, key) ? [{ weight: 6, arbitrary: GOOD[key]! }] : []),
    ...(Object.hasOwn(EDGE, key) ? [{ weight: 1, arbitrary: EDGE[key]! }] : []),
    { weight: 1, arbitrary: anyJson },
  );

/** An object over the schema's own keys (some good, some not) plus, sometimes, unknown keys. */
function objectFor(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = fc.record(Object.fromEntries(keys.map((k) => [k, fieldValue(k)])), {
    requiredKeys: [],
  });
  const extra = fc.dictionary(
    fc.oneof(
      fc.constantFrom('extra', 'toString', 'valueOf', 'isAdmin', 'id', 'constructor'),
      nastyString,
    ),
    anyJson,
    { minKeys: 1, maxKeys: 2 },
  );
  return fc
    .tuple(
      known,
      fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: extra }),
    )
    .map(([k, e]) => (e ? { ...e, ...k } : k) as Record<string, unknown>);
}

/** Raw body texts JSON.stringify cannot produce: pollution keys, nesting, broken or huge JSON. */
const rawBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"status":"closed","__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"ids":["a"],"status":"open","constructor":{"prototype":{"polluted":true}}}',
    '{"threshold":1e999}',
    '{"threshold":-0}',
    '{"version":1e400}',
    '{"threshold":0.5,"threshold":7}',
    '{',
    '{"a":}',
    '',
    'null',
    '"str"',
    '\u0000',
    '\ufeff{}',
    '{"note":"\\ud800"}',
  ),
  fc.integer({ min: 1, max: 50_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 1, max: 2 }).map((n) => JSON.stringify({ note: 'x'.repeat(n * 700_000) })),
);

function keysOf(schema: unknown): string[] {
  let s = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown } | undefined;
  if (s && !s.shape && typeof s.unwrap === 'function') s = s.unwrap() as typeof s;
  return s?.shape ? Object.keys(s.shape) : [];
}

function queryFor(route: RouteDef): fc.Arbitrary<string | undefined> {
  const encoded = objectFor(keysOf(route.validate.query)).map((o) =>
    Object.entries(o)
      .map(([k, v]) => `${enc(k)}=${enc(typeof v === 'string' ? v : String(JSON.stringify(v)))}`)
      .join('&'),
  );
  const raw = fc.constantFrom(
    '%zz',
    'page=%',
    'q=%C3%28',
    'host=%ED%A0%80',
    '&&&',
    '=',
    'a=1&a=2&a=3',
    'page=1&page=2',
    'per_page=1;per_page=2',
    '__proto__[polluted]=1',
    'constructor[prototype][polluted]=1',
  );
  return fc.oneof(
    { weight: 6, arbitrary: encoded },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

function bodyFor(route: RouteDef): fc.Arbitrary<string | undefined> {
  if (route.method === 'get') return fc.constant(undefined);
  return fc.oneof(
    { weight: 5, arbitrary: objectFor(keysOf(route.validate.body)).map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: rawBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

function requestFor(route: RouteDef): fc.Arbitrary<Sent> {
  const rel = route.path.slice(API.length);
  return fc
    .record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant(route.method.toUpperCase()) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') },
      ),
      path: rel.includes('{id}')
        ? idSegment.map((id) => rel.replace('{id}', id))
        : fc.constant(rel),
      query: queryFor(route),
      body: bodyFor(route),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/json; charset=latin1',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json, text/html',
          ),
        },
      ),
      xsrf: fc.oneof(
        { weight: 9, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    })
    .map((r) => (r.method === 'GET' ? { ...r, body: undefined } : r));
}

// ---------------------------------------------------------------------------------------------

describe('API fuzzing of the standalone host', () => {
  let host: RunningStandalone;
  let base: string;
  const errors: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-fuzz-'));
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    host = await startStandalone({
      port: 0,
      dataDir,
      staticDir,
      demo: { hosts: 3, days: 1, attacks: 2, seed: 11, eventsPerHostDay: 200 },
      // The scheduler runs (with its next tick far away) so that run-now really starts runs.
      schedule: true,
      interval: '1d',
      logger: {
        debug() {},
        info() {},
        warn() {},
        error: (m, meta) => errors.push(`${m} ${JSON.stringify(meta ?? {})}`),
      },
    });
    base = host.url;
    const list = await fetch(`${base}${API}/communities?per_page=100&include_unflagged=true`);
    const ids = ((await list.json()) as { items: { id: string }[] }).items.map((c) => c.id);
    realIds.splice(0, realIds.length, ...ids, 'no-such-community');
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const route of ROUTES) {
    it(`${route.method.toUpperCase()} ${route.path} answers every input with 2xx/4xx JSON`, async () => {
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (req) => {
          checkAnswer(req, await send(base, req));
        }),
        { numRuns: RUNS },
      );
      // Still serving after the barrage.
      expect((await send(base, { method: 'GET', path: '/settings' })).status).toBe(200);
    });
  }

  /** Waits for the run in progress, if any, to finish. */
  async function idle(ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    while (host.scheduler.running && Date.now() < until)
      await new Promise((r) => setTimeout(r, 25));
    expect(host.scheduler.running, `a detection run still busy after ${ms} ms`).toBe(false);
  }

  /** Only the values settings fields can take in practice: good ones and boundary ones. */
  const settingsBody = fc.record(
    Object.fromEntries(
      ['threshold', 'interval', 'lookback', 'prevalence_lookback', 'score_source'].map((k) => [
        k,
        fc.oneof(GOOD[k]!, EDGE[k] ?? GOOD[k]!),
      ]),
    ),
    { requiredKeys: [] },
  );

  it('keeps prevalence working under any settings the API accepts', async () => {
    const before = await (await fetch(`${base}${API}/settings`)).json();
    try {
      await fc.assert(
        fc.asyncProperty(settingsBody, async (settings) => {
          const put: Sent = { method: 'PUT', path: '/settings', body: JSON.stringify(settings) };
          const answer = await send(base, put);
          checkAnswer(put, answer);
          const read: Sent = {
            method: 'GET',
            path: '/prevalence',
            query: 'parent=services.exe&child=svchost.exe&command_line=svchost.exe%20-k%20netsvcs',
          };
          const prevalence = await send(base, read);
          checkAnswer(read, prevalence);
          expect(prevalence.status, `after ${put.body} → ${answer.text}`).toBe(200);
        }),
        {
          numRuns: 60,
          // Settings that once passed validation and then broke every prevalence read.
          examples: [
            [{ prevalence_lookback: '0d' }],
            [{ prevalence_lookback: '99999999999999999999d' }],
            [{ lookback: '0s', interval: '0m' }],
          ],
        },
      );
    } finally {
      await send(base, { method: 'PUT', path: '/settings', body: JSON.stringify(before) });
    }
  });

  it('completes every detection run it accepts through run-now', async () => {
    const range = fc.record(
      { from: fc.oneof(GOOD.from!, EDGE.from!), to: fc.oneof(GOOD.to!, EDGE.to!) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(range, async (body) => {
        await idle();
        const req: Sent = { method: 'POST', path: '/detection/_run', body: JSON.stringify(body) };
        const answer = await send(base, req);
        checkAnswer(req, answer);
        if (answer.status !== 202) return;
        await idle();
        const [last] = await host.stores.state.recentRuns(1);
        expect(['succeeded', 'nothing_to_do'], `${req.body}: ${JSON.stringify(last)}`).toContain(
          last!.status,
        );
      }),
      {
        numRuns: 20,
        // Ranges that once got past validation: a run over two millennia exhausts memory, one
        // ending at the first representable date computes an invalid start.
        examples: [
          [{ from: '0001-01-01' }],
          [{ from: '0001-01-01', to: '9999-12-31' }],
          [{ to: '-271821-04-20T00:00:00.000Z' }],
          [{ from: '2020-01-02', to: '2020-01-01' }],
        ],
      },
    );
  });

  it('answers paths and methods outside the API table the same way', async () => {
    const anyPath = fc.array(nastyString.map(enc), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        anyPath,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        async (segments, method) => {
          const req: Sent = { method, path: `/${segments.join('/')}` };
          checkAnswer(req, await send(base, req));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('survived without errors, failed runs or prototype pollution', async () => {
    // Let a run started by the fuzzing finish: its failure would be logged as an error.
    await idle();
    expect(errors).toEqual([]);
    const runs = await host.stores.state.recentRuns(100);
    expect(runs.filter((r) => r.status === 'failed')).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await send(base, { method: 'GET', path: '/detection/status' })).status).toBe(200);
  });
});
