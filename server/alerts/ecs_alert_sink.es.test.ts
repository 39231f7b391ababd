/**
 * Findings as Elastic Security alerts, against the real Elasticsearch: detection runs over a
 * generated fleet with attacks through the job with the ECS alert sink on the Elasticsearch store;
 * the alerts are then found the way Security finds them — by its default index patterns
 * (securitySolution:defaultIndex), never by our index name — and by the shipped rule's own query
 * (its KQL translated as Kibana does, see testing/kql_subset.ts, over the rule's index patterns
 * and look-back on its timestamp_override field).
 *
 * The alert index is named like the production one but unique to this run
 * (`logs-problemchild.alerts_t<pid>`: still inside `logs-*`, still outside `logs-*-*`), so tests
 * running at the same time on the same cluster cannot see each other's documents.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { estypes } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listCommunitiesQuery } from '../../common/schemas';
import type { EdgeScorer } from '../../common/types/scoring';
import { runDetectionJob } from '../jobs/detection_job';
import { jobFleetEvents } from '../jobs/job_contract';
import { TfjsEdgeScorer } from '../lib/model/scorer';
import type { Stores } from '../ports';
import { createEsClient } from '../stores/elasticsearch/client';
import { esStoreHarness } from '../stores/elasticsearch/testing/store_harness';
import type { StoreHarness } from '../stores/store_contract';
import { ALERT_INDEX } from './ecs_alert';
import { EcsAlertSink } from './ecs_alert_sink';
import rule from './security_rule.json';
import { kqlToDsl } from './testing/kql_subset';
import { SECURITY_DEFAULT_INDEX_PATTERN } from './testing/security_defaults';

const MODEL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/default',
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const INDEX = `${ALERT_INDEX}_t${process.pid}`;
const APP_URL = 'http://127.0.0.1:5601/';

interface AlertSource {
  event: { kind: string; module: string; created: string; ingested: string; url?: string };
  problemchild: { community: { id: string; score: number } };
}

async function flaggedIds(stores: Stores): Promise<string[]> {
  const out: string[] = [];
  for (let page = 1; ; page++) {
    const res = await stores.communities.list(
      listCommunitiesQuery.parse({ per_page: '100', page: String(page) }),
    );
    out.push(...res.items.map((c) => c.id));
    if (out.length >= res.total || res.items.length === 0) return out.sort();
  }
}

describe('ECS alert sink on Elasticsearch', () => {
  const client = createEsClient({ node: inject('esUrl') });
  let h: StoreHarness;
  let model: EdgeScorer;
  let range: { from: string; to: string };
  const sink = new EcsAlertSink({ client, index: INDEX, appUrl: () => APP_URL });

  beforeAll(async () => {
    await client.indices.delete({ index: INDEX, ignore_unavailable: true });
    h = await esStoreHarness(client, `pc-alerts-${process.pid}`);
    model = await TfjsEdgeScorer.load({ modelDir: MODEL_DIR });
    const events = jobFleetEvents();
    await h.importEvents(events);
    await h.stores.settings.update({ threshold: 0.5 });
    const times = events.map((e) => Date.parse(e['@timestamp']));
    range = {
      from: new Date(Math.min(...times)).toISOString(),
      to: new Date(Math.max(...times) + 1).toISOString(),
    };
  }, 180_000);

  afterAll(async () => {
    await h?.cleanup();
    await client.indices.delete({ index: INDEX, ignore_unavailable: true }).catch(() => {});
    await client.close();
  });

  const detect = () =>
    runDetectionJob(
      { stores: h.stores, scorer: async () => model, logger: quiet, sinks: [sink] },
      { partition: { index: 0, count: 1 }, graphWindow: '1h', range },
    );

  /** Alerts as Security sees them: its default index patterns, `event.kind: alert`. */
  async function securityAlerts(): Promise<estypes.SearchHit<AlertSource>[]> {
    await client.indices.refresh({ index: INDEX });
    const res = await client.search<AlertSource>({
      index: SECURITY_DEFAULT_INDEX_PATTERN.join(','),
      ignore_unavailable: true,
      allow_no_indices: true,
      query: { term: { 'event.kind': 'alert' } },
      size: 10_000,
      version: true,
    });
    // Other tests may leave alerts of their own under the same patterns: count ours.
    return res.hits.hits.filter((hit) => hit._index === INDEX);
  }

  let first: estypes.SearchHit<AlertSource>[] = [];
  let ids: string[] = [];

  it('writes one alert per flagged community that Security finds by its default patterns', async () => {
    const report = await detect();
    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    expect(report.flagged).toBeGreaterThan(0);
    ids = await flaggedIds(h.stores);
    expect(ids.length).toBe(report.flagged);

    first = await securityAlerts();
    const found = first.map((hit) => hit._source!.problemchild.community.id).sort();
    expect(found).toEqual(ids);
    for (const hit of first) {
      expect(hit._id).toBe(hit._source!.problemchild.community.id);
      expect(hit._source!.event.module).toBe('problemchild');
      expect(hit._source!.event.url).toBe(
        `${APP_URL}#community=${hit._source!.problemchild.community.id}`,
      );
    }
    // A plain index, not a data stream (the name is outside the logs-*-* template).
    const ds = await client.indices.getDataStream({ name: INDEX }).catch(() => undefined);
    expect(ds?.data_streams ?? []).toEqual([]);
  }, 180_000);

  it('re-running detection neither duplicates nor rewrites an unchanged alert', async () => {
    const report = await detect();
    expect(report.status, report.errors.join('; ')).toBe('succeeded');
    const again = await securityAlerts();
    expect(again.map((hit) => hit._id).sort()).toEqual(ids);
    const versions = (hits: estypes.SearchHit<AlertSource>[]) =>
      Object.fromEntries(hits.map((hit) => [hit._id, hit._version]));
    // Unchanged communities keep their document version: Security's rule window does not see
    // them again, and their event.ingested stays when they were first published.
    expect(versions(again)).toEqual(versions(first));
  }, 180_000);

  it('updates a community whose severity changed in place, keeping when it was first seen', async () => {
    const id = ids[0]!;
    const community = (await h.stores.communities.get(id))!;
    const before = first.find((hit) => hit._id === id)!;
    const escalated = { ...community, score: community.score >= 0.9 ? 0.6 : 0.95 };
    await sink.publish([{ community: escalated, previous: community }], {
      runId: 'test',
      detectedAt: new Date().toISOString(),
    });
    const after = await securityAlerts();
    expect(after.length).toBe(ids.length);
    const hit = after.find((x) => x._id === id)!;
    expect(hit._version).toBe((before._version ?? 1) + 1);
    expect(hit._source!.problemchild.community.score).toBeCloseTo(escalated.score, 6);
    expect(hit._source!.event.created).toBe(before._source!.event.created);
    expect(Date.parse(hit._source!.event.ingested)).toBeGreaterThanOrEqual(
      Date.parse(before._source!.event.ingested),
    );
  }, 60_000);

  it("the shipped rule's query, over its index patterns and look-back, finds them all", async () => {
    const timeField = rule.timestamp_override;
    const res = await client.search<AlertSource>({
      index: rule.index.join(','),
      ignore_unavailable: true,
      allow_no_indices: true,
      query: {
        bool: {
          filter: [
            kqlToDsl(rule.query),
            { range: { [timeField]: { gte: rule.from, lte: 'now' } } },
          ],
        },
      },
      size: 10_000,
    });
    const ours = res.hits.hits.filter((hit) => hit._index === INDEX);
    expect(ours.map((hit) => hit._id).sort()).toEqual(ids);
    // And nothing that is not one of our alerts: the query is specific to ProblemChild.
    for (const hit of res.hits.hits) expect(hit._source!.event.module).toBe('problemchild');
  }, 60_000);
});
