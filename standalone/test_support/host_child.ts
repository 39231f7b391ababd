/**
 * The standalone host as its own process, for tests that SIGKILL it or load it from outside:
 * startStandalone with the options `problemchild serve` passes (embedded store in --data, no
 * demo, scheduler running), optionally importing an NDJSON file while it serves. Every step is
 * one stdout line, so the parent can wait for a precise point before it kills. Not a test itself.
 *
 *   node --import tsx host_child.ts --data DIR --static DIR [--partitions N] [--import FILE --batch N]
 *     [--es URL [--lease-ttl 3s] [--host-id ID]] [--interval 7d|settings]
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
    es: { type: 'string' },
    'lease-ttl': { type: 'string' },
    'host-id': { type: 'string' },
    interval: { type: 'string' },
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
  // The demo seeding tests pass the demo's options (JSON of DemoOptions); others seed nothing.
  demo: process.env.PC_DEMO ? JSON.parse(process.env.PC_DEMO) : false,
  partitions: Number(values.partitions ?? 1),
  // Runs start only through the API in these tests, never on a timer behind their back
  // (unless a test asks for a short interval, or for the stored setting).
  ...(values.interval === 'settings'
    ? { intervalPollMs: 500 }
    : { interval: values.interval ?? '7d' }),
  ...(values.es
    ? { esUrl: values.es, leaseTtl: values['lease-ttl'], hostId: values['host-id'] }
    : {}),
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
if (values.es) {
  // Nothing to import or check on a cluster: the host only serves and runs its leases.
  out('ready');
} else {
  if (!(store instanceof EmbeddedStore))
    throw new Error('the host did not open the embedded store');
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
}
