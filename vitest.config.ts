import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        resolve: {
          // Kibana provides @kbn/config-schema at runtime; tests use a structural fake of it.
          alias: {
            '@kbn/config-schema': new URL('./test/fakes/kbn_config_schema.ts', import.meta.url)
              .pathname,
          },
        },
        test: {
          name: 'unit',
          include: [
            '{server,common,public,standalone,scripts}/**/*.test.{ts,tsx}',
            'test/unit/**/*.test.ts',
          ],
          exclude: ['**/*.es.test.ts', 'node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        resolve: {
          alias: {
            '@kbn/config-schema': new URL('./test/fakes/kbn_config_schema.ts', import.meta.url)
              .pathname,
          },
        },
        test: {
          name: 'es',
          // Tests that talk to a real Elasticsearch: one server for the whole run, started by globalSetup.
          include: ['**/*.es.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: ['test/harness/es_global_setup.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          // A three-node cluster of its own per file (test/harness/es_cluster.ts), killed node by node.
          include: ['**/*.cluster.test.ts'],
          exclude: ['node_modules/**'],
          environment: 'node',
          testTimeout: 540_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
