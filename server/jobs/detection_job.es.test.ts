import { afterAll, inject } from 'vitest';
import { createEsClient } from '../stores/elasticsearch/client';
import { EsStore } from '../stores/elasticsearch/es_store';
import { ensureEventIndex, indexEvents } from '../stores/elasticsearch/event_writer';
import { describeJobContract } from './job_contract';

const client = createEsClient({ node: inject('esUrl') });
afterAll(async () => {
  await client.close();
});

describeJobContract('Elasticsearch', async () => {
  const prefix = `pc-job-${process.pid}`;
  const eventsIndex = `${prefix}-events`;
  const store = new EsStore({
    client,
    names: { communities: `${prefix}-communities`, state: `${prefix}-state` },
    settingsDefaults: { indices: eventsIndex },
  });
  await store.setup();
  await ensureEventIndex(client, eventsIndex);
  return {
    stores: store.stores,
    async importEvents(events) {
      const r = await indexEvents(client, eventsIndex, events, { refresh: true });
      if (r.failed.length > 0)
        throw new Error(`could not index ${r.failed.length} events: ${r.failed[0]?.reason}`);
    },
    async cleanup() {
      await store.destroy();
      await client.indices.delete({ index: eventsIndex, ignore_unavailable: true });
    },
  };
});
