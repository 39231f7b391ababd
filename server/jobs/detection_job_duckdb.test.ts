import { duckStoreHarness } from '../stores/duckdb/testing/store_harness';
import { describeJobContract } from './job_contract';
import { describeJobIsolationContract } from './job_isolation_contract';

describeJobContract('the embedded store', () => duckStoreHarness());
describeJobIsolationContract('the embedded store', () => duckStoreHarness());
