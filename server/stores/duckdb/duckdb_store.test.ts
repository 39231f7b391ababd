import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../store_contract';
import { openEmbeddedStore } from './embedded_store';

describeStoreContract('duckdb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-duck-contract-'));
  const store = await openEmbeddedStore(join(dir, 'store.duckdb'), { threads: 2 });
  return {
    stores: store.stores,
    async importEvents(events) {
      await store.insertEvents(events);
    },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
