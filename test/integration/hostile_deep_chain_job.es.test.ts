/** The hostile hosts beside a fleet through the detection job on Elasticsearch. */
import { afterAll, inject } from 'vitest';
import { createEsClient } from '../../server/stores/elasticsearch/client';
import { esStoreHarness } from '../../server/stores/elasticsearch/testing/store_harness';
import { describeHostileJob } from '../hostile/deep_chain_job';

const client = createEsClient({ node: inject('esUrl') });
afterAll(async () => {
  await client.close();
});

// Smaller than on the embedded store (100,000 deep, 6 MiB): Elasticsearch refuses a document
// whose indexing-pressure estimate passes 10% of its heap (about 107 MB on the 1 GiB test node),
// and a community document carries its events whole, so the flagged community of a 100,000-deep
// chain, or of a 6 MiB command line (the line three times over), is refused, and that run fails
// at the write and retries. Bounding what a stored community holds is the fix (SECURITY.md,
// known limits): a 10,000-deep chain's community is already ~30 MB, estimated at 126 MB. 5,000
// deep still failed the old code (stack overflow past ~3,000 levels).
describeHostileJob(
  'Elasticsearch',
  () => esStoreHarness(client, `pc-hostile-deep-${process.pid}`),
  5_000,
  3,
);
