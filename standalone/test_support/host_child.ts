/**
 * The standalone host as its own process, for tests that SIGKILL it or load it from outside:
 * startStandalone with the options `problemchild serve` passes (embedded store in --data, no
 * demo, scheduler running), optionally importing an NDJSON file while it serves. Every step is
 * one stdout line, so the parent can wait for a precise point before it kills. Not a test itself.
 *
 *   node --import tsx host_child.ts --data DIR --static DIR [--partitions N] [--import FILE --batch N]
 *
 * stdout lines: `listening <url>`, `integrity <json>`, `batch <n> <inserted> <duplicates>`,
 * `imported <json>`, `ready`, `log <level> <message> <json>`, `closed`.
 */
import { parseArgs } from 'node:util';
import type { Logger } from '../../server/ports';
import { EmbeddedStore } from '../../server/stores/duckdb/embedded_store';
import { startStandalone } from '../main';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    static: { type: 'string' },
    partitions: { type: 'string' },
    import: { type: 'string' },
    batch: { type: 'string' },
  },
});
if (!values.data || !values.static) throw new Error('usage: host_child.ts --data DIR --static DIR');

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const log =
  (level: string) =>
  (message: string, meta?: Record<string, unknown>): void =>
    out(`log ${level} ${message} ${JSON.stringify(meta ?? {})}`);
const logger: Logger = {
  debug: () => undefined,
  info: log('info'),
  warn: log('warn'),
  error: log('error'),
};

const running = await startStandalone({
  host: '127.0.0.1',
  port: 0,
  dataDir: values.data,
  staticDir: values.static,
  demo: false,
  partitions: Number(values.partitions ?? 1),
  // Runs start only through the API in these tests, never on a timer behind their back.
  interval: '7d',
  logger,
  // Webhook tests shorten the delivery timing (JSON of DeliveryTiming) to keep their run short.
  ...(process.env.PC_WEBHOOK_TIMING ? { webhooks: JSON.parse(process.env.PC_WEBHOOK_TIMING) } : {}),
});
out(`listening ${running.url}`);

let closing = false;
process.once('SIGTERM', () => {
  closing = true;
  void running.close().then(() => {
    out('closed');
    process.exit(0);
  });
});

const store = running.stores;
if (!(store instanceof EmbeddedStore)) throw new Error('the host did not open the embedded store');
out(`integrity ${JSON.stringify(await store.integrity())}`);
if (values.import) {
  const report = await store.importEvents(values.import, {
    batchSize: Number(values.batch ?? 10_000),
    onBatch: (p) => out(`batch ${p.batches} ${p.inserted} ${p.duplicates}`),
  });
  out(`imported ${JSON.stringify(report)}`);
  if (!closing) out(`integrity ${JSON.stringify(await store.integrity())}`);
}
out('ready');
