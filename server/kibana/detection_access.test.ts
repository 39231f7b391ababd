/**
 * The detection key's life cycle under Kibana, through the real plugin, its routes and its task,
 * against the fakes of testing/ (core security's API keys, saved objects with the encryption
 * extension, the encryptedSavedObjects plugin, Task Manager, and a cluster with its security
 * layer): what enabling grants and stores, what the task reads with, what disabling removes, and
 * how a key Elasticsearch stops accepting shows up. The integration-test Elasticsearch has no
 * security module, so none of this can run against the real one.
 */
import { describe, expect, it } from 'vitest';
import {
  DETECTION_API_KEY_NAME,
  DETECTION_CREDENTIALS_ID,
  DETECTION_CREDENTIALS_TYPE,
  taskId,
} from '../../common/constants';
import type { DetectionAccessStatus } from '../ports';
import { observeAuthFailures } from './source_client';
import { type HarnessOptions, type HarnessUser, KibanaHarness } from './testing/plugin_harness';

const API = '/internal/problem_child';
const SOURCES = 'logs-endpoint.events.process-*,winlogbeat-*';

const ADMIN: HarnessUser = {
  name: 'admin',
  feature: 'all',
  indices: { read: ['logs-*', 'winlogbeat-*'], write: [] },
};
const READER: HarnessUser = { name: 'reader', feature: 'read', indices: { read: [], write: [] } };
const BLIND_ADMIN: HarnessUser = {
  name: 'blind-admin',
  feature: 'all',
  indices: { read: ['metrics-*'], write: [] },
};

async function harness(opts: HarnessOptions = {}): Promise<KibanaHarness> {
  const kibana = new KibanaHarness({ ...opts, config: { indices: SOURCES, ...opts.config } });
  for (const u of [ADMIN, READER, BLIND_ADMIN]) kibana.addUser(u);
  await kibana.start();
  return kibana;
}

async function status(kibana: KibanaHarness, user = READER) {
  const res = await kibana.request(user, 'get', `${API}/detection/status`);
  expect(res.status).toBe(200);
  return res.payload as { access: DetectionAccessStatus; setup: { state: string } };
}

const enable = (kibana: KibanaHarness, user = ADMIN, body: unknown = {}) =>
  kibana.request(user, 'post', `${API}/detection/_enable`, { body });

const recurring = taskId(0, 1);

describe('detection access under Kibana', () => {
  it('starts not enabled, and the task runs nothing without a key', async () => {
    const kibana = await harness();
    const { access, setup } = await status(kibana);
    expect(setup.state).toBe('ready');
    expect(access).toMatchObject({
      host: 'kibana',
      state: 'not_enabled',
      enabled: false,
      indices: ['logs-endpoint.events.process-*', 'winlogbeat-*'],
    });
    kibana.cluster.calls.length = 0;
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { lastStatus: 'not_enabled' },
    });
    expect(kibana.cluster.calls).toEqual([]);
    const run = await kibana.request(ADMIN, 'post', `${API}/detection/_run`);
    expect(run.status).toBe(409);
    expect((run.payload as { message: string }).message).toMatch(/not enabled/);
  });

  it('grants a key limited to reading the source indices, stores it encrypted and reads with it', async () => {
    const kibana = await harness();
    const res = await enable(kibana);
    expect(res.status, JSON.stringify(res.payload)).toBe(200);

    // Granted as the internal user for the administrator's request, limited by role_descriptors.
    expect(kibana.security.grants).toHaveLength(1);
    const grant = kibana.security.grants[0]!;
    expect(grant.user).toBe('admin');
    expect(grant.params).toEqual({
      name: DETECTION_API_KEY_NAME,
      role_descriptors: {
        problem_child_source_reader: {
          cluster: [],
          indices: [
            {
              names: ['logs-endpoint.events.process-*', 'winlogbeat-*'],
              privileges: ['read', 'view_index_metadata'],
              allow_restricted_indices: false,
            },
            // And writing the Elastic Security alerts, on that one index only.
            {
              names: ['logs-problemchild.alerts'],
              privileges: ['read', 'create_index', 'index'],
              allow_restricted_indices: false,
            },
          ],
        },
      },
      metadata: { managed_by: 'problem_child', enabled_by: 'admin' },
    });

    // Kept through the encryption extension: the stored key is not the key, nor is it shown.
    expect(kibana.eso.registrations.get(DETECTION_CREDENTIALS_TYPE)?.attributesToEncrypt).toEqual(
      new Set(['apiKey']),
    );
    const stored = kibana.savedObjects.raw(DETECTION_CREDENTIALS_TYPE, DETECTION_CREDENTIALS_ID, [
      DETECTION_CREDENTIALS_TYPE,
    ]).attributes as { apiKey: string; apiKeyId: string };
    const secret = kibana.cluster.apiKey(stored.apiKeyId)!.secret;
    expect(stored.apiKey).not.toContain(secret);
    expect(kibana.savedObjects.types.get(DETECTION_CREDENTIALS_TYPE)).toMatchObject({
      hidden: true,
      namespaceType: 'agnostic',
    });

    const { access } = await status(kibana);
    expect(JSON.stringify(access)).not.toContain(secret);
    expect(access).toMatchObject({
      state: 'enabled',
      enabled: true,
      enabledBy: 'admin',
      indices: ['logs-endpoint.events.process-*', 'winlogbeat-*'],
      privileges: ['read', 'view_index_metadata'],
      readable: { 'logs-endpoint.events.process-*': true, 'winlogbeat-*': true },
    });
    expect(Date.parse(access.enabledAt!)).not.toBeNaN();

    // The task reads source events with the key, and writes as Kibana's internal user.
    kibana.cluster.calls.length = 0;
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { runs: 1, lastStatus: 'nothing_to_do' },
    });
    const calls = kibana.cluster.calls;
    const source = calls.filter((c) => c.indices.some((i) => SOURCES.includes(i)));
    expect(source.length).toBeGreaterThan(0);
    expect(new Set(source.map((c) => c.identity))).toEqual(new Set([`api_key:${stored.apiKeyId}`]));
    const own = calls.filter((c) => c.indices.some((i) => i.startsWith('.kibana-problem-child-')));
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((c) => c.identity))).toEqual(new Set(['kibana_system']));
    // The key does nothing else than reading source indices (and its point in time).
    const byKey = calls.filter((c) => c.identity.startsWith('api_key:'));
    expect(byKey.filter((c) => !source.includes(c) && !/^\/(_search|_pit)/.test(c.path))).toEqual(
      [],
    );
    expect(calls.filter((c) => c.status >= 400)).toEqual([]);

    const run = await kibana.request(ADMIN, 'post', `${API}/detection/_run`);
    expect(run.status).toBe(202);
  });

  it('invalidates the key and forgets it on disable; the task then runs nothing', async () => {
    const kibana = await harness();
    await enable(kibana);
    const keyId = (await status(kibana)).access.enabledBy && kibana.security.grants.length;
    expect(keyId).toBe(1);
    const stored = kibana.savedObjects.raw(DETECTION_CREDENTIALS_TYPE, DETECTION_CREDENTIALS_ID, [
      DETECTION_CREDENTIALS_TYPE,
    ]).attributes as { apiKeyId: string };

    const res = await kibana.request(ADMIN, 'post', `${API}/detection/_disable`, { body: {} });
    expect(res.status).toBe(200);
    expect(res.payload).toMatchObject({ state: 'not_enabled', enabled: false });
    expect(kibana.security.invalidations).toEqual([[stored.apiKeyId]]);
    expect(kibana.cluster.apiKey(stored.apiKeyId)?.invalidated).toBe(true);
    expect(() =>
      kibana.savedObjects.raw(DETECTION_CREDENTIALS_TYPE, DETECTION_CREDENTIALS_ID, [
        DETECTION_CREDENTIALS_TYPE,
      ]),
    ).toThrow(/not found/);

    kibana.cluster.calls.length = 0;
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { lastStatus: 'not_enabled' },
    });
    expect(kibana.cluster.calls).toEqual([]);
    // Disabling again is harmless.
    expect((await kibana.request(ADMIN, 'post', `${API}/detection/_disable`)).status).toBe(200);
    expect(kibana.security.invalidations).toHaveLength(1);
  });

  it('shows "detection stopped: re-enable" once Elasticsearch answers 401 to the key, and re-enabling resumes', async () => {
    const kibana = await harness();
    await enable(kibana);
    const { apiKeyId } = kibana.savedObjects.raw(
      DETECTION_CREDENTIALS_TYPE,
      DETECTION_CREDENTIALS_ID,
      [DETECTION_CREDENTIALS_TYPE],
    ).attributes as { apiKeyId: string };
    // Invalidated (or expired) outside Kibana, e.g. from Stack Management.
    kibana.cluster.invalidateApiKeys([apiKeyId]);

    kibana.cluster.calls.length = 0;
    const out = await kibana.taskManager.run(recurring);
    expect(out).toMatchObject({ state: { lastStatus: 'failed' } });
    expect(kibana.cluster.calls.some((c) => c.status === 401)).toBe(true);

    const { access } = await status(kibana);
    expect(access).toMatchObject({ state: 'stopped', enabled: false, enabledBy: 'admin' });
    expect(access.reason).toMatch(/^Detection stopped: re-enable\. .*no longer accepts/);
    expect(Date.parse(access.stoppedAt!)).not.toBeNaN();

    // No further reads with a refused key, and run-now says why.
    kibana.cluster.calls.length = 0;
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { lastStatus: 'stopped' },
    });
    expect(kibana.cluster.calls).toEqual([]);
    const run = await kibana.request(ADMIN, 'post', `${API}/detection/_run`);
    expect(run.status).toBe(409);
    expect((run.payload as { message: string }).message).toMatch(/re-enable/);

    expect((await enable(kibana)).status).toBe(200);
    expect((await status(kibana)).access).toMatchObject({ state: 'enabled' });
    expect((await status(kibana)).access.stoppedAt).toBeUndefined();
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { lastStatus: 'nothing_to_do' },
    });
  });

  it('replaces the key on re-enable and invalidates the old one', async () => {
    const kibana = await harness();
    await enable(kibana);
    await enable(kibana, ADMIN, { indices: 'winlogbeat-*' });
    expect(kibana.security.grants).toHaveLength(2);
    const [first] = kibana.security.invalidations;
    expect(first).toEqual(['key-1']);
    expect((await status(kibana)).access).toMatchObject({
      state: 'enabled',
      indices: ['winlogbeat-*'],
    });
    // The setting still names more than the key reads: the status says so.
    expect((await status(kibana)).access.reason).toMatch(/logs-endpoint\.events\.process-\*/);
  });

  it('refuses with 400 naming xpack.encryptedSavedObjects.encryptionKey when Kibana cannot encrypt', async () => {
    for (const opts of [{ canEncrypt: false }, { eso: false }]) {
      const kibana = await harness(opts);
      const res = await enable(kibana);
      expect(res.status).toBe(400);
      expect((res.payload as { message: string }).message).toMatch(
        /xpack\.encryptedSavedObjects\.encryptionKey/,
      );
      expect(kibana.security.grants).toEqual([]);
      const { access } = await status(kibana);
      expect(access.state).toBe('not_enabled');
      expect(access.reason).toMatch(/xpack\.encryptedSavedObjects\.encryptionKey/);
    }
  });

  it('refuses with 400 when Elasticsearch grants no API key', async () => {
    const kibana = await harness();
    kibana.security.apiKeysEnabled = false;
    const res = await enable(kibana);
    expect(res.status).toBe(400);
    expect((res.payload as { message: string }).message).toMatch(/API keys are disabled/);
    expect((await status(kibana)).access.state).toBe('not_enabled');
  });

  it('refuses a key that could read none of the source indices, and leaves none behind', async () => {
    const kibana = await harness();
    const res = await enable(kibana, BLIND_ADMIN);
    expect(res.status).toBe(403);
    expect((res.payload as { message: string }).message).toMatch(/cannot read any of/);
    expect(kibana.security.invalidations).toEqual([['key-1']]);
    expect((await status(kibana)).access.state).toBe('not_enabled');
  });

  it('refuses enable and disable to a reader, and bad patterns with 400 naming the field', async () => {
    const kibana = await harness();
    expect((await enable(kibana, READER)).status).toBe(403);
    expect(
      (await kibana.request(READER, 'post', `${API}/detection/_disable`, { body: {} })).status,
    ).toBe(403);
    const bad = await enable(kibana, ADMIN, { indices: 'logs-*,,x' });
    expect(bad.status).toBe(400);
    expect((bad.payload as { message: string }).message).toMatch(/body\.indices/);
    expect((await enable(kibana, ADMIN, { surprise: 1 })).status).toBe(400);
    expect(kibana.security.grants).toEqual([]);
  });

  it('stops detection when the stored key cannot be decrypted (encryption key changed)', async () => {
    const kibana = await harness();
    await enable(kibana);
    const so = kibana.savedObjects.raw(DETECTION_CREDENTIALS_TYPE, DETECTION_CREDENTIALS_ID, [
      DETECTION_CREDENTIALS_TYPE,
    ]);
    so.attributes.apiKey = 'encrypted with another key';
    expect(await kibana.taskManager.run(recurring)).toMatchObject({
      state: { lastStatus: 'stopped' },
    });
    const { access } = await status(kibana);
    expect(access.state).toBe('stopped');
    expect(access.reason).toMatch(/encryptionKey/);
  });
});

describe('observeAuthFailures', () => {
  it('reports 401 and 403 answers of a real client and passes every answer on unchanged', async () => {
    const kibana = new KibanaHarness();
    kibana.addUser({ name: 'u', feature: null, indices: { read: ['a'], write: [] } });
    const seen: number[] = [];
    const client = observeAuthFailures(kibana.cluster.client('u'), (f) => seen.push(f.status));
    await expect(client.search({ index: 'b' })).rejects.toMatchObject({ statusCode: 403 });
    expect((await client.search({ index: 'a' })).hits.hits).toEqual([]);
    const nobody = observeAuthFailures(kibana.cluster.client('ApiKey bm86a2V5'), (f) =>
      seen.push(f.status),
    );
    await expect(nobody.search({ index: 'a' })).rejects.toMatchObject({ statusCode: 401 });
    expect(seen).toEqual([403, 401]);
  });
});
