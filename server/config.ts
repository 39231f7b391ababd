/**
 * [Kibana glue] kibana.yml settings under `problemChild.*`, validated by Kibana's config-schema.
 * The prefix is kibana.json's `configPath` (["problemChild"]); without it Kibana would derive
 * `problem_child` from the plugin id (plugin_manifest_parser.ts) and refuse every documented key.
 * The same keys and defaults drive the standalone host (standalone/serve_cli.ts).
 */
import { schema, type TypeOf } from '@kbn/config-schema';
import {
  DEFAULT_EVENT_INDICES,
  DEFAULT_GRAPH_WINDOW,
  DEFAULT_INTERVAL,
  DEFAULT_LOOKBACK,
  DEFAULT_THRESHOLD,
} from '../common/constants';

const duration = (defaultValue: string) =>
  schema.string({
    defaultValue,
    validate: (v) =>
      /^\d+[smhd]$/.test(v) ? undefined : `"${v}" is not a duration like 15m or 1h`,
  });

export const configSchema = schema.object({
  enabled: schema.boolean({ defaultValue: true }),
  /** How often the detection task runs (like Elastic's ProblemChild rules: every 15 minutes). */
  interval: duration(DEFAULT_INTERVAL),
  /** How far back each run re-reads before its checkpoint, for late events. */
  lookback: duration(DEFAULT_LOOKBACK),
  /** Graph window: one process graph per host per window. */
  graphWindow: duration(DEFAULT_GRAPH_WINDOW),
  prevalenceLookback: duration('30d'),
  indices: schema.string({ defaultValue: DEFAULT_EVENT_INDICES, minLength: 1 }),
  threshold: schema.number({ defaultValue: DEFAULT_THRESHOLD, min: 0, max: 1 }),
  /** Task instances the hosts are split into; each Kibana node picks up whole partitions. */
  partitions: schema.number({ defaultValue: 1, min: 1, max: 64 }),
  taskTimeout: duration('10m'),
  scoreSource: schema.oneOf(
    [schema.literal('model'), schema.literal('elastic'), schema.literal('blend')],
    { defaultValue: 'model' },
  ),
});

export type ProblemChildConfig = TypeOf<typeof configSchema>;

export const config = {
  schema: configSchema,
  exposeToBrowser: {},
};
