/** The embedded default store (DuckDB): see embedded_store.ts. */
export {
  EmbeddedStore,
  openEmbeddedStore,
  type EmbeddedStoreInfo,
  type EmbeddedStoreOptions,
  type IntegrityReport,
} from './embedded_store';
export type {
  ImportInput,
  ImportOptions,
  ImportProgress,
  ImportReport,
  ImportSourceReport,
  InsertCounts,
} from './event_store';
export { DEFAULT_SETTINGS } from './settings_store';
export { SCHEMA_VERSION } from './schema';
