import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreHarness } from '../../store_contract';
import { openEmbeddedStore, type EmbeddedStoreOptions } from '../embedded_store';

/** An empty embedded store in its own temporary folder, for the shared contract suites. */
export async function duckStoreHarness(opts: EmbeddedStoreOptions = {}): Promise<StoreHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-duck-'));
  const store = await openEmbeddedStore(join(dir, 'store.duckdb'), opts);
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
}
