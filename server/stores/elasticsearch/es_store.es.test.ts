/**
 * The shared store contract (server/stores/store_contract.ts) against a real Elasticsearch: every
 * test gets its own freshly created indices, deleted afterwards.
 */
import { afterAll, inject } from 'vitest';
import { describeStoreContract } from '../store_contract';
import { createEsClient } from './client';
import { esStoreHarness } from './testing/store_harness';

const client = createEsClient({ node: inject('esUrl') });
let n = 0;

afterAll(async () => {
  await client.close();
});

describeStoreContract('elasticsearch', () =>
  esStoreHarness(client, `pc-contract-${process.pid}-${++n}`),
);
