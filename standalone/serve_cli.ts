/**
 * `problemchild serve`: runs the standalone host until interrupted.
 */
import { parseArgs } from 'node:util';
import { visibleName } from '../common/display_text';
import { listCommunitiesQuery } from '../common/schemas';
import { consoleLogger, DEFAULT_DEMO, startStandalone } from './main';

export const SERVE_USAGE = `Usage: problemchild serve [options]

Starts the analyst app and API (default http://127.0.0.1:5601) with the detection scheduler.

Options:
  --host H          address to listen on (default 127.0.0.1; anything else needs --api-key)
  --port N          port (default 5601; 0 picks a free one)
  --data DIR        folder of the embedded database (default ./problemchild-data)
  --es URL          use this Elasticsearch cluster instead of the embedded store
  --api-key KEY     require this key in the x-api-key header (or PROBLEMCHILD_API_KEY)
  --no-demo         do not seed an empty embedded store with a generated demo environment
  --demo-hosts N    demo hosts (default ${DEFAULT_DEMO.hosts})
  --demo-days N     demo days (default ${DEFAULT_DEMO.days})
  --demo-attacks N  demo attack scenarios (default ${DEFAULT_DEMO.attacks})
  --interval D      detection interval, e.g. 15m (default from settings)
  --partitions N    host partitions run in turn (default 1)
  --model DIR       model bundle (default models/default)
`;

function positiveInt(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

export async function runServeCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      es: { type: 'string' },
      'api-key': { type: 'string' },
      'no-demo': { type: 'boolean' },
      'demo-hosts': { type: 'string' },
      'demo-days': { type: 'string' },
      'demo-attacks': { type: 'string' },
      interval: { type: 'string' },
      partitions: { type: 'string' },
      model: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const logger = consoleLogger();
  const running = await startStandalone({
    host: values.host,
    port: positiveInt('port', values.port, 5601, 0),
    dataDir: values.data,
    esUrl: values.es,
    apiKey: values['api-key'] ?? process.env.PROBLEMCHILD_API_KEY,
    modelDir: values.model,
    interval: values.interval,
    partitions: positiveInt('partitions', values.partitions, 1),
    demo: values['no-demo']
      ? false
      : {
          hosts: positiveInt('demo-hosts', values['demo-hosts'], DEFAULT_DEMO.hosts),
          days: positiveInt('demo-days', values['demo-days'], DEFAULT_DEMO.days),
          attacks: positiveInt('demo-attacks', values['demo-attacks'], DEFAULT_DEMO.attacks, 0),
          seed: DEFAULT_DEMO.seed,
        },
    logger,
  });
  if (running.demo) {
    const top = await running.stores.communities.list(
      listCommunitiesQuery.parse({ per_page: '10', sort: 'rank', direction: 'asc' }),
    );
    const rows = top.items.map(
      (c) =>
        // Event text on a terminal: control and bidi characters printed as escapes.
        `${String(c.rank).padStart(4)}  ${c.maxAnomaly.toFixed(2)}  ${visibleName(c.host).padEnd(28).slice(0, 28)}  ${visibleName(c.chain).slice(0, 90)}`,
    );
    process.stdout.write(
      [
        '',
        `Demo environment: ${running.demo.events} events, ${running.demo.report.flagged} flagged communities. Top ${rows.length}:`,
        'rank  max   host                          chain',
        ...rows,
        '',
        `Open ${running.url} to browse and triage them (Ctrl-C stops the server).`,
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return 0;
}
