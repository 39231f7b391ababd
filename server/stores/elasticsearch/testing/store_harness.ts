import type { Client } from '@elastic/elasticsearch';
import type { StoreHarness } from '../../store_contract';
import { EsStore } from '../es_store';
import { ensureEventIndex, indexEvents } from '../event_writer';

/** An empty Elasticsearch store under its own index names, for the shared contract suites. */
export async function esStoreHarness(client: Client, prefix: string): Promise<StoreHarness> {
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
      if (r.failed.length > 0) {
        throw new Error(`could not index ${r.failed.length} events: ${r.failed[0]?.reason}`);
      }
    },
    async cleanup() {
      await store.destroy();
      await client.indices.delete({ index: eventsIndex, ignore_unavailable: true });
    },
  };
}
