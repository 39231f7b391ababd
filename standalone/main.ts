/**
 * The standalone host: the same routes, detection job and analyst app as the Kibana plugin, on
 * the embedded DuckDB store (default) or an Elasticsearch cluster, with an in-process scheduler.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_GRAPH_WINDOW, DEFAULT_INTERVAL } from '../common/constants';
import type { EdgeScorer } from '../common/types/scoring';
import { EcsAlertSink } from '../server/alerts/ecs_alert_sink';
import { runDetectionJob } from '../server/jobs/detection_job';
import { generate } from '../server/lib/generator/generate';
import { parseWindow } from '../server/lib/detection/windowing';
import { TfjsEdgeScorer } from '../server/lib/model/scorer';
import {
  type DetectionAccess,
  type Logger,
  RefusedError,
  type RunReport,
  type Settings,
  type SetupStatus,
  type Stores,
} from '../server/ports';
import { ROUTES } from '../server/routes';
import {
  type DeliveryTiming,
  WebhookDeliveryWorker,
} from '../server/notifications/webhook_delivery';
import { createWebhookSink } from '../server/notifications/webhook_sink';
import { openEmbeddedStore, type EmbeddedStore } from '../server/stores/duckdb/embedded_store';
import { outsideRequest } from '../server/stores/duckdb/request_scope';
import { createEsClient } from '../server/stores/elasticsearch/client';
import { openEsStore } from '../server/stores/elasticsearch/es_store';
import { EsLeases } from '../server/stores/elasticsearch/lease';
import { LOOPBACK_HOSTS, startHttpServer } from './http_server';
import { LeasedPartitionRunner } from './lease_runner';
import { DetectionScheduler } from './scheduler';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface DemoOptions {
  hosts: number;
  days: number;
  attacks: number;
  seed: number;
  eventsPerHostDay?: number;
  /** ISO start of the generated span (default: so that it ends at start-up time). */
  start?: string;
}

export interface StandaloneOptions {
  host?: string;
  port?: number;
  /** Folder of the embedded database (ignored with `esUrl`). */
  dataDir?: string;
  esUrl?: string;
  /** Required when listening beyond loopback. */
  apiKey?: string;
  staticDir?: string;
  modelDir?: string;
  /** Seed an empty embedded store with a generated environment and detect on it (default on). */
  demo?: DemoOptions | false;
  interval?: string;
  taskTimeout?: string;
  partitions?: number;
  graphWindow?: string;
  /** Start the scheduler (default true). */
  schedule?: boolean;
  /** Settings stored before anything runs (e.g. a test's threshold). */
  settings?: Partial<Settings>;
  logger?: Logger;
  /** Webhook delivery timing (tests shorten it); `false` leaves the outbox undrained. */
  webhooks?: DeliveryTiming | false;
  /** A request's time budget, e.g. 30s (default); its store reads are interrupted past it. */
  requestTimeout?: string;
  /** How often the scheduler re-reads the interval setting (default 15 s; tests shorten it). */
  intervalPollMs?: number;
  /** With --es: how long a partition lease lasts without renewal (default 30s). */
  leaseTtl?: string;
  /** With --es: this host's id among the hosts sharing the cluster (default hostname:pid:random). */
  hostId?: string;
}

export interface RunningStandalone {
  url: string;
  app: FastifyInstance;
  stores: Stores;
  scheduler: DetectionScheduler;
  /** With --es: the partition leases this host holds and renews. */
  leases?: LeasedPartitionRunner;
  /** Sends the webhook outbox (absent with `webhooks: false` or a store without an outbox). */
  webhooks?: WebhookDeliveryWorker;
  /** The demo seeding's detection report, when seeding ran. */
  demo?: { events: number; report: RunReport };
  close(): Promise<void>;
}

export const DEFAULT_DEMO: DemoOptions = { hosts: 8, days: 1, attacks: 6, seed: 7 };

export function consoleLogger(quiet = false): Logger {
  const line = (level: string, m: string, meta?: Record<string, unknown>) =>
    `${new Date().toISOString()} ${level} ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`;
  return {
    debug: () => undefined,
    info: (m, meta) => {
      if (!quiet) process.stdout.write(line('info', m, meta));
    },
    warn: (m, meta) => process.stderr.write(line('warn', m, meta)),
    error: (m, meta) => process.stderr.write(line('error', m, meta)),
  };
}

/** One scorer per score source, loaded once per process. */
function scorerFactory(modelDir: string): (s: Settings) => Promise<EdgeScorer> {
  const cache = new Map<string, Promise<EdgeScorer>>();
  return (s) => {
    let p = cache.get(s.score_source);
    if (!p) {
      p = TfjsEdgeScorer.load({ modelDir, mode: s.score_source });
      cache.set(s.score_source, p);
    }
    return p;
  };
}

/**
 * Whole UTC days on the latest working days before today: the generator's office-hours
 * schedule (logons, and the attacks planned inside user sessions) needs weekdays, and the app's
 * default range (last 7 days) still shows them.
 */
function demoStart(days: number): string {
  const day = 86_400_000;
  let firstDay = Math.floor(Date.now() / day) - days;
  while ([0, 6].includes(new Date(firstDay * day).getUTCDay())) firstDay--;
  return new Date(firstDay * day).toISOString();
}

/**
 * Seeding is recorded in a file beside the database before the first event is written and
 * removed once the demo detection has run, so a seeding killed half-way (kill -9) is finished on
 * the next start: the same options and start regenerate the same events, which the store
 * stores once, and the detection runs.
 */
const SEEDING_MARKER = 'demo-seeding.json';

function pendingSeeding(dataDir: string): DemoOptions | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, SEEDING_MARKER), 'utf8')) as DemoOptions;
  } catch {
    return undefined;
  }
}

function markSeeding(dataDir: string, demo: DemoOptions): void {
  const file = path.join(dataDir, SEEDING_MARKER);
  const fd = fs.openSync(`${file}.tmp`, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(demo));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.tmp`, file);
}

async function seedDemo(
  store: EmbeddedStore,
  demo: DemoOptions,
  run: (range: { from: string; to: string }) => Promise<RunReport>,
  logger: Logger,
): Promise<{ events: number; report: RunReport }> {
  let first: string | undefined;
  let last: string | undefined;
  const start = demo.start ?? demoStart(demo.days);
  async function* events() {
    for await (const r of generate({ ...demo, start, sourceFile: 'demo' })) {
      first ??= r.event['@timestamp'];
      last = r.event['@timestamp'];
      yield r.event;
    }
  }
  const counts = await store.insertEvents(events(), { source: 'demo' });
  logger.info(`seeded the demo environment`, { ...demo, events: counts.inserted });
  const report = await run({ from: first!, to: new Date(Date.parse(last!) + 1).toISOString() });
  return { events: counts.inserted, report };
}

/**
 * The standalone host reads source events with its own connection (the embedded store, or the
 * cluster given with --es and its key): detection is always enabled and there is no key to
 * create or invalidate.
 */
export function standaloneDetectionAccess(stores: Stores, esUrl?: string): DetectionAccess {
  const refuse = (): never => {
    throw new RefusedError(
      400,
      'enabling or disabling detection is not applicable in the standalone host: it reads source events with its own connection',
      'path',
    );
  };
  return {
    status: async () => ({
      host: 'standalone',
      state: 'enabled',
      enabled: true,
      enabledBy: 'standalone host',
      indices: esUrl
        ? (await stores.settings.get()).indices
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
        : ['embedded store'],
      privileges: ['read'],
    }),
    enable: async () => refuse(),
    disable: async () => refuse(),
  };
}

export async function startStandalone(opts: StandaloneOptions = {}): Promise<RunningStandalone> {
  const logger = opts.logger ?? consoleLogger();
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host) && !opts.apiKey) {
    throw new Error(
      `--host ${host} listens beyond this machine: give an --api-key (or PROBLEMCHILD_API_KEY) so only key holders can reach the API`,
    );
  }
  const modelDir = opts.modelDir ?? path.join(ROOT, 'models', 'default');
  const staticDir = opts.staticDir ?? path.join(ROOT, 'build', 'public');

  let stores: Stores;
  let embedded: EmbeddedStore | undefined;
  let closeStores: () => Promise<void>;
  let esClient: ReturnType<typeof createEsClient> | undefined;
  let leases: EsLeases | undefined;
  if (opts.esUrl) {
    const client = createEsClient({ node: opts.esUrl });
    esClient = client;
    const esStore = await openEsStore({ client, logger });
    stores = esStore;
    // Several hosts may share the cluster: partitions are leased, not run by every host.
    leases = new EsLeases({
      client,
      index: esStore.names.state,
      holder: opts.hostId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      ttlMs: parseWindow(opts.leaseTtl ?? '30s'),
    });
    closeStores = () => client.close();
  } else {
    const dataDir = path.resolve(opts.dataDir ?? 'problemchild-data');
    fs.mkdirSync(dataDir, { recursive: true });
    embedded = await openEmbeddedStore(path.join(dataDir, 'problemchild.duckdb'));
    stores = embedded;
    closeStores = () => embedded!.close();
  }

  if (opts.settings) await stores.settings.update(opts.settings);
  const scorer = scorerFactory(modelDir);
  const graphWindow = opts.graphWindow ?? DEFAULT_GRAPH_WINDOW;
  // Webhooks: the sink queues findings in the durable outbox, the worker sends them once the
  // server listens (its URL is the link receivers get).
  let appUrl = `http://${host}:${opts.port ?? 5601}`;
  const outbox = stores.notifications;
  const webhooks =
    outbox && opts.webhooks !== false
      ? new WebhookDeliveryWorker({ outbox, logger, ...(opts.webhooks ?? {}) })
      : undefined;
  const sinks = outbox
    ? [createWebhookSink({ outbox, appUrl: () => appUrl, onEnqueued: () => webhooks?.kick() })]
    : [];
  // With --es, findings also become ECS alerts Elastic Security finds (docs/alerts.md), written
  // with the host's own client; the embedded store has no Elastic Security, so no alert sink.
  const alertSinks = esClient
    ? [
        new EcsAlertSink({
          client: esClient,
          appUrl: () => `${appUrl.replace(/\/+$/, '')}/`,
          logger,
        }),
      ]
    : [];
  const runPartition = (
    partition: { index: number; count: number },
    signal: AbortSignal | undefined,
    range?: { from?: string; to?: string },
    runStores: Stores = stores,
  ) =>
    runDetectionJob(
      { stores: runStores, scorer, logger, sinks: [...sinks, ...alertSinks] },
      { partition, graphWindow, range },
      signal,
    );

  let demo: RunningStandalone['demo'];
  if (embedded) {
    const dataDir = path.resolve(opts.dataDir ?? 'problemchild-data');
    let seeding = opts.demo === false ? undefined : pendingSeeding(dataDir);
    if (seeding) logger.info('finishing the demo seeding an earlier start did not complete');
    else if (opts.demo !== false && (await embedded.events.count()) === 0) {
      const d = opts.demo ?? DEFAULT_DEMO;
      seeding = { ...d, start: d.start ?? demoStart(d.days) };
      markSeeding(dataDir, seeding);
    }
    if (seeding) {
      demo = await seedDemo(
        embedded,
        seeding,
        (range) => runPartition({ index: 0, count: 1 }, undefined, range),
        logger,
      );
      fs.rmSync(path.join(dataDir, SEEDING_MARKER), { force: true });
    }
  }

  const leaseRunner = leases
    ? new LeasedPartitionRunner({ leases, stores, logger, run: runPartition })
    : undefined;
  const settings = await stores.settings.get();
  const scheduler = new DetectionScheduler({
    intervalMs: parseWindow(opts.interval ?? settings.interval ?? DEFAULT_INTERVAL),
    timeoutMs: parseWindow(opts.taskTimeout ?? '10m'),
    partitions: opts.partitions ?? 1,
    run: leaseRunner ? (p, signal, range) => leaseRunner.run(p, signal, range) : runPartition,
    logger,
    runOnStart: false,
    // Without --interval the settings' interval rules, and a change to it applies to the next wait.
    ...(opts.interval
      ? {}
      : {
          currentIntervalMs: async () =>
            parseWindow((await stores.settings.get()).interval ?? DEFAULT_INTERVAL),
          ...(opts.intervalPollMs ? { pollMs: opts.intervalPollMs } : {}),
        }),
  });

  const detectionAccess = standaloneDetectionAccess(stores, opts.esUrl);
  const setupStatus: SetupStatus = {
    state: 'ready',
    attempts: 1,
    updatedAt: new Date().toISOString(),
  };
  const server = await startHttpServer({
    staticDir,
    host,
    port: opts.port ?? 5601,
    routes: {
      routes: ROUTES,
      apiKey: opts.apiKey,
      logger,
      ...(opts.requestTimeout ? { requestTimeoutMs: parseWindow(opts.requestTimeout) } : {}),
      context: () => ({
        stores,
        user: opts.apiKey ? 'api-key' : 'standalone',
        logger,
        runDetection: async (range) => scheduler.runSoon(range),
        nextRunAt: async () => scheduler.nextRunAt(),
        detectionAccess,
        // Stores are set up before the server listens.
        setupStatus: () => setupStatus,
        ...(webhooks
          ? {
              webhooks: {
                testSend: () => webhooks.testSend(appUrl),
                // The delivery loop outlives the request that kicked it.
                kick: () => outsideRequest(() => webhooks.kick()),
              },
            }
          : {}),
      }),
    },
  });
  appUrl = server.url;
  webhooks?.start();
  await leaseRunner?.start();
  if (opts.schedule !== false) scheduler.start();
  logger.info(`ProblemChild listening on ${server.url}`, {
    store: opts.esUrl ? 'elasticsearch' : 'embedded',
    apiKey: opts.apiKey ? 'required' : 'not required (loopback only)',
  });
  return {
    url: server.url,
    app: server.app,
    stores,
    scheduler,
    ...(leaseRunner ? { leases: leaseRunner } : {}),
    webhooks,
    demo,
    async close() {
      await scheduler.stop();
      await leaseRunner?.close();
      await webhooks?.stop();
      await server.close();
      await closeStores();
    },
  };
}
