/** The hostile hosts beside a fleet through the detection job on the embedded (DuckDB) store. */
import { describeHostileJob } from '../hostile/deep_chain_job';
import { duckStoreHarness } from '../../server/stores/duckdb/testing/store_harness';

describeHostileJob('the embedded store', () => duckStoreHarness());
