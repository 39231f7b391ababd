import { afterAll, inject } from 'vitest';
import { createEsClient } from '../stores/elasticsearch/client';
import { esStoreHarness } from '../stores/elasticsearch/testing/store_harness';
import { describeJobContract } from './job_contract';
import { describeJobIsolationContract } from './job_isolation_contract';

const client = createEsClient({ node: inject('esUrl') });
afterAll(async () => {
  await client.close();
});

describeJobContract('Elasticsearch', () => esStoreHarness(client, `pc-job-${process.pid}`));
describeJobIsolationContract('Elasticsearch', () =>
  esStoreHarness(client, `pc-jobiso-${process.pid}`),
);
