import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../stores/duckdb/embedded_store';
import { describeJobContract } from './job_contract';

describeJobContract('the embedded store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-job-duck-'));
  const store = await openEmbeddedStore(join(dir, 'store.duckdb'));
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
