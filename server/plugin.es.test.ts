/**
 * The Kibana server plugin against a real Elasticsearch, with the Kibana contracts faked as in
 * server/kibana/testing (Kibana cannot run here): start returns at once and set-up creates the
 * `.kibana-problem-child-*` indices in the background; enabling detection stores a key; a
 * run-now with a range reaches the task, which reads real events through a client carrying the
 * key's `authorization` header (core's asScoped is a child client with that header) and writes
 * real communities and a run report.
 *
 * The test cluster has no security module, so it ignores the header: what is verified here is
 * the data path, not Elasticsearch's enforcement of the key (see server/kibana/detection_access.test.ts
 * for that, against a fake of the security layer).
 */
import type { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KIBANA_INDEX_NAMES, rangedRunTaskId } from '../common/constants';
import { generate } from './lib/generator/generate';
import { createEsClient } from './stores/elasticsearch/client';
import { EsStore } from './stores/elasticsearch/es_store';
import { ensureEventIndex, indexEvents } from './stores/elasticsearch/event_writer';
import type { FakeRequest, KibanaRequest } from './kibana/contracts';
import { type HarnessUser, KibanaHarness } from './kibana/testing/plugin_harness';

const API = '/internal/problem_child';
const EVENTS = 'pc-plugin-events-1';
const ADMIN: HarnessUser = {
  name: 'admin',
  feature: 'all',
  indices: { read: ['pc-plugin-events-*'], write: [] },
};
const DAY = 86_400_000;

describe('ProblemChild Kibana plugin on a real Elasticsearch', () => {
  const client = createEsClient({ node: inject('esUrl') });
  afterAll(async () => {
    await new EsStore({ client, names: KIBANA_INDEX_NAMES }).destroy();
    await client.indices.delete({ index: EVENTS, ignore_unavailable: true });
    const left = await client.indices.get({
      index: '.kibana-problem-child-*',
      expand_wildcards: 'all',
    });
    await client.close();
    expect(Object.keys(left)).toEqual([]);
  });

  it('sets up in the background, enables, and runs a ranged detection over real events', async () => {
    const kibana = new KibanaHarness({
      config: { indices: 'pc-plugin-events-*', graphWindow: '1h', partitions: 1 },
    });
    kibana.addUser(ADMIN);
    const headersSeen: string[] = [];
    Object.assign(kibana.coreStart.elasticsearch.client, {
      asInternalUser: client,
      asScoped: (request: KibanaRequest | FakeRequest) => {
        const authorization = (request as FakeRequest).headers?.authorization;
        if (authorization) headersSeen.push(authorization);
        const scoped = authorization ? client.child({ headers: { authorization } }) : client;
        return { asCurrentUser: scoped as Client, asInternalUser: client };
      },
    });
    kibana.setup();
    const t0 = performance.now();
    kibana.startPlugin();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await kibana.plugin.whenSetUp()).toMatchObject({ state: 'ready' });

    const alias = await client.indices.getAlias({ name: KIBANA_INDEX_NAMES.communities });
    expect(Object.keys(alias)).toEqual([`${KIBANA_INDEX_NAMES.communities}-000001`]);
    expect(await client.indices.exists({ index: KIBANA_INDEX_NAMES.state })).toBe(true);
    expect(await client.indices.exists({ index: 'problem-child-state' })).toBe(false);
    // Hidden, as Elasticsearch expects of dot-prefixed indices that are not system indices.
    const settings = await client.indices.getSettings({ index: KIBANA_INDEX_NAMES.state });
    expect(settings[KIBANA_INDEX_NAMES.state]?.settings?.index?.hidden).toBe('true');

    // One generated day of a few hosts, two days ago.
    const start = new Date(Math.floor(Date.now() / DAY) * DAY - 2 * DAY).toISOString();
    await ensureEventIndex(client, EVENTS);
    async function* events() {
      for await (const r of generate({
        hosts: 3,
        days: 1,
        attacks: 1,
        seed: 5,
        start,
        eventsPerHostDay: 150,
      }))
        yield r.event;
    }
    const indexed = await indexEvents(client, EVENTS, events(), { refresh: true });
    expect(indexed.failed).toEqual([]);
    expect(indexed.indexed).toBeGreaterThan(100);

    const enable = await kibana.request(ADMIN, 'post', `${API}/detection/_enable`, { body: {} });
    expect(enable.status, JSON.stringify(enable.payload)).toBe(200);

    const range = { from: start, to: new Date(Date.parse(start) + DAY).toISOString() };
    const run = await kibana.request(ADMIN, 'post', `${API}/detection/_run`, { body: range });
    expect(run.status, JSON.stringify(run.payload)).toBe(202);
    const out = await kibana.taskManager.run(rangedRunTaskId(0, 1));
    expect(out).toMatchObject({ state: { runs: 1, lastStatus: 'succeeded' } });
    expect(headersSeen.length).toBeGreaterThan(0);
    expect(headersSeen.every((h) => h.startsWith('ApiKey '))).toBe(true);

    const status = await kibana.request(ADMIN, 'get', `${API}/detection/status`);
    const body = status.payload as {
      lastRun: { eventsRead: number; window: { start: string; end: string } };
      access: { state: string };
      setup: { state: string };
    };
    expect(body.setup.state).toBe('ready');
    expect(body.access.state).toBe('enabled');
    expect(body.lastRun.eventsRead).toBe(indexed.indexed);
    expect(body.lastRun.window).toEqual({ start: range.from, end: range.to });

    const list = await kibana.request(ADMIN, 'get', `${API}/communities`, {
      query: { include_unflagged: 'true', from: range.from, to: range.to },
    });
    expect(list.status).toBe(200);
    expect((list.payload as { total: number }).total).toBeGreaterThan(0);
  });
});
