/**
 * Proves the test Elasticsearch is a real engine: templates, bulk, point-in-time paging and
 * composite aggregations behave as the product's Elasticsearch store will rely on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { PROCESS_EVENT_MAPPINGS } from '../../server/stores/elasticsearch/process_event_mappings';
import { smokeEvents } from './smoke_events';

const INDEX = 'pc-smoke-events';
const TEMPLATE = 'pc-smoke-template';
const N = 10_000;

describe('Elasticsearch smoke test', () => {
  let es: Client;
  const events = smokeEvents(N, 42);

  beforeAll(async () => {
    es = createEsClient({ node: inject('esUrl') });
    await es.indices.delete({ index: INDEX, ignore_unavailable: true });
    await es.indices.putIndexTemplate({
      name: TEMPLATE,
      index_patterns: ['pc-smoke-*'],
      priority: 500,
      template: {
        settings: { number_of_shards: 2, number_of_replicas: 0 },
        mappings: PROCESS_EVENT_MAPPINGS,
      },
    });
    const operations = events.flatMap((e) => [{ index: { _index: INDEX, _id: e.event.id } }, e]);
    const res = await es.bulk({ operations, refresh: 'wait_for' });
    expect(res.errors).toBe(false);
  });

  afterAll(async () => {
    await es?.indices.delete({ index: INDEX, ignore_unavailable: true });
    await es?.indices.deleteIndexTemplate({ name: TEMPLATE }).catch(() => undefined);
    await es?.close();
  });

  it('applies the template mappings to the new index', async () => {
    const m = await es.indices.getMapping({ index: INDEX });
    const props = m[INDEX]?.mappings.properties;
    expect(props?.['@timestamp']).toEqual({ type: 'date' });
    const processProps = (props?.process as { properties: Record<string, { type: string }> })
      .properties;
    expect(processProps.pid?.type).toBe('long');
    expect(processProps.name?.type).toBe('keyword');
  });

  it('pages through every event with a point in time and search_after', async () => {
    const pit = await es.openPointInTime({ index: INDEX, keep_alive: '1m' });
    const seen = new Set<string>();
    let searchAfter: (string | number)[] | undefined;
    let pages = 0;
    try {
      for (;;) {
        const page = await es.search<{ event: { id: string } }>({
          pit: { id: pit.id, keep_alive: '1m' },
          size: 1_000,
          sort: [{ '@timestamp': 'asc' }],
          _source: ['event.id'],
          ...(searchAfter ? { search_after: searchAfter } : {}),
        });
        const hits = page.hits.hits;
        if (hits.length === 0) break;
        pages++;
        for (const h of hits) seen.add(h._source!.event.id);
        searchAfter = hits[hits.length - 1]!.sort as (string | number)[];
      }
    } finally {
      await es.closePointInTime({ id: pit.id });
    }
    expect(pages).toBe(N / 1_000);
    expect(seen.size).toBe(N);
    expect([...seen].sort()).toEqual(events.map((e) => e.event.id).sort());
  });

  it('counts every parent→child pair exactly with a composite aggregation', async () => {
    const expected = new Map<string, number>();
    for (const e of events) {
      const k = `${e.process.parent.name}\u0000${e.process.name}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const actual = new Map<string, number>();
    let after: Record<string, string | number | null> | undefined;
    for (;;) {
      const res = await es.search({
        index: INDEX,
        size: 0,
        aggs: {
          pairs: {
            composite: {
              size: 7, // small pages, so the after_key loop is exercised
              sources: [
                { parent: { terms: { field: 'process.parent.name' } } },
                { child: { terms: { field: 'process.name' } } },
              ],
              ...(after ? { after } : {}),
            },
          },
        },
      });
      const agg = res.aggregations?.pairs as {
        buckets: { key: { parent: string; child: string }; doc_count: number }[];
        after_key?: Record<string, string>;
      };
      for (const b of agg.buckets) actual.set(`${b.key.parent}\u0000${b.key.child}`, b.doc_count);
      if (!agg.after_key || agg.buckets.length === 0) break;
      after = agg.after_key;
    }
    expect(actual.size).toBeGreaterThan(10);
    expect(actual).toEqual(expected);
  });
});
