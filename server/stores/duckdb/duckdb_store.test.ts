import { describeStoreContract } from '../store_contract';
import { duckStoreHarness } from './testing/store_harness';

describeStoreContract('duckdb', () => duckStoreHarness({ threads: 2 }));
