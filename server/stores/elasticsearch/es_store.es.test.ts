/**
 * The shared store contract (server/stores/store_contract.ts) against a real Elasticsearch: every
 * test gets its own freshly created indices, deleted afterwards.
 */
import { afterAll, inject } from 'vitest';
import { describeStoreContract } from '../store_contract';
import { createEsClient } from './client';
import { EsStore } from './es_store';
import { ensureEventIndex, indexEvents } from './event_writer';

const client = createEsClient({ node: inject('esUrl') });
let n = 0;

afterAll(async () => {
  await client.close();
});

describeStoreContract('elasticsearch', async () => {
  const prefix = `pc-contract-${process.pid}-${++n}`;
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
