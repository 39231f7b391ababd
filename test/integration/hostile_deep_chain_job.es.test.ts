/** The hostile hosts beside a fleet through the detection job on Elasticsearch. */
import { afterAll, inject } from 'vitest';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { esStoreHarness } from '../../server/stores/elasticsearch/testing/store_harness';
import { describeHostileJob } from '../hostile/deep_chain_job';

const client = createEsClient({ node: inject('esUrl') });
afterAll(async () => {
  await client.close();
});

// 20,000 deep, not 100,000: the community of a 100,000-deep chain is one ~100 MB document, which
// Elasticsearch refuses (indexing pressure: more than 10% of the heap in one operation), so that
// run fails at the write and retries forever. Bounding what a stored community holds is the fix
// (see SECURITY.md, known limits); 20,000 already failed the old code (stack overflow past ~3,000).
describeHostileJob(
  'Elasticsearch',
  () => esStoreHarness(client, `pc-hostile-deep-${process.pid}`),
  20_000,
);
