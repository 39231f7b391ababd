import { duckStoreHarness } from '../stores/duckdb/testing/store_harness';
import { describeJobContract } from './job_contract';

describeJobContract('the embedded store', () => duckStoreHarness());
