/**
 * The plugin's lifecycle against Kibana's rules (fakes in server/kibana/testing): start must
 * return well within the 10 s Kibana allows (plugins_system.ts), whatever Elasticsearch is doing;
 * set-up then runs in the background, retried with backoff, and its state (pending / ready /
 * failed with the reason) is visible in the detection status. Elasticsearch here is a real
 * client against a closed port, so the failures are the client's own.
 */
import { describe, expect, it } from 'vitest';
import { FEATURE_ID, TASK_TYPE, taskId } from '../common/constants';
import { freePort } from '../test/harness/elasticsearch';
import { createEsClient } from './stores/elasticsearch/client';
import { PROBLEM_CHILD_FEATURE } from './kibana/feature';
import { type HarnessUser, KibanaHarness } from './kibana/testing/plugin_harness';

const API = '/internal/problem_child';
const READER: HarnessUser = { name: 'reader', feature: 'read', indices: { read: [], write: [] } };

describe('ProblemChildPlugin lifecycle', () => {
  it('registers a feature shown in the Spaces feature toggles as well as in roles', () => {
    const kibana = new KibanaHarness();
    kibana.setup();
    expect(kibana.features.map((f) => f.id)).toEqual([FEATURE_ID]);
    expect(PROBLEM_CHILD_FEATURE.scope).toEqual(['security', 'spaces']);
    expect(Object.keys(kibana.taskManager.definitions)).toEqual([TASK_TYPE]);
  });

  it('returns from start at once while Elasticsearch is unreachable, then reports set-up failed', async () => {
    const port = await freePort();
    const down = createEsClient({ node: `http://127.0.0.1:${port}`, requestTimeoutMs: 1_000 });
    const kibana = new KibanaHarness({
      setupRetry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 50 },
    });
    kibana.addUser(READER);
    Object.assign(kibana.coreStart.elasticsearch.client, { asInternalUser: down });
    kibana.setup();

    const t0 = performance.now();
    const contract = kibana.startPlugin();
    const took = performance.now() - t0;
    // Synchronous, so Kibana's 10 s start timeout never applies.
    expect(contract).toEqual({});
    expect(contract instanceof Promise).toBe(false);
    expect(took).toBeLessThan(1_000);

    const pending = await kibana.request(READER, 'get', `${API}/detection/status`);
    expect(pending.status).toBe(200);
    expect(pending.payload).toMatchObject({
      setup: { state: 'pending', attempts: 1 },
      lastRun: null,
    });

    const final = await kibana.plugin.whenSetUp();
    expect(final).toMatchObject({ state: 'failed', attempts: 2 });
    expect(final.reason).toMatch(/^creating the plugin indices failed: /);
    const failed = await kibana.request(READER, 'get', `${API}/detection/status`);
    expect(failed.payload).toMatchObject({ setup: { state: 'failed', reason: final.reason } });
    // Nothing was scheduled against a cluster that never answered.
    expect(kibana.taskManager.tasks.size).toBe(0);
    await down.close();
  }, 60_000);

  it('schedules the current partitions and removes the tasks of the earlier partitioning on start', async () => {
    const kibana = new KibanaHarness({ config: { partitions: 2 } });
    kibana.setup();
    // Left by an earlier start with partitions: 1.
    await kibana.taskManager.ensureScheduled({
      id: taskId(0, 1),
      taskType: TASK_TYPE,
      schedule: { interval: '15m' },
      params: { partition: 0, partitions: 1 },
      state: {},
    });
    kibana.startPlugin();
    expect(await kibana.plugin.whenSetUp()).toMatchObject({ state: 'ready' });
    expect([...kibana.taskManager.tasks.keys()].sort()).toEqual([taskId(0, 2), taskId(1, 2)]);
  });

  it('stops retrying set-up when Kibana stops', async () => {
    const port = await freePort();
    const down = createEsClient({ node: `http://127.0.0.1:${port}`, requestTimeoutMs: 1_000 });
    const kibana = new KibanaHarness({
      setupRetry: { attempts: 50, baseDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    Object.assign(kibana.coreStart.elasticsearch.client, { asInternalUser: down });
    kibana.setup();
    kibana.startPlugin();
    await new Promise((r) => setTimeout(r, 200));
    kibana.plugin.stop();
    const final = await kibana.plugin.whenSetUp();
    expect(final).toMatchObject({ state: 'failed', reason: 'Kibana is stopping' });
    await down.close();
  }, 60_000);
});
