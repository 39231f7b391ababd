/**
 * `problemchild generate`: command-line front end of the synthetic telemetry generator.
 * Parsing is separate from running so the lead's CLI and the tests can check arguments
 * without writing anything.
 */
import { GeneratorOptionError, resolveOptions, type OutputFormat } from './generate';
import { writeDataset, type WriteDatasetOptions } from './write';

export const GENERATE_USAGE = `Usage: problemchild generate --out DIR [options]

Write a seeded, labelled synthetic dataset of Windows process-creation events:
  DIR/synthetic.events.ndjson[.gz]   events (ECS ProcessEvent, or flat Sysmon EID 1)
  DIR/synthetic.labels.ndjson[.gz]   one label per event, joined on _rid == event.id
  DIR/manifest.json                  options and per-scenario / per-host counts

Options:
  --out DIR                  output directory (required)
  --hosts N                  hosts in the simulated domain (default 20)
  --days D                   days simulated (default 3)
  --attacks K                attack scenario instances injected (default 10)
  --seed S                   seed; the same seed gives byte-identical output (default 1)
  --format ecs|sysmon        event format (default ecs)
  --gzip                     gzip the NDJSON files
  --events-per-host-day N    process creations of a workstation weekday (default 1000)
  --start ISO_DATE           first day, UTC (default 2026-01-05)
  --max-events N             stop after N events
  -h, --help                 show this help
`;

export class CliUsageError extends Error {
  constructor(
    /** The offending flag, e.g. '--hosts'. */
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export interface ParsedGenerateArgs {
  help: boolean;
  options: WriteDatasetOptions;
}

const INT_FLAGS: Record<string, 'hosts' | 'days' | 'attacks' | 'eventsPerHostDay' | 'maxEvents'> = {
  '--hosts': 'hosts',
  '--days': 'days',
  '--attacks': 'attacks',
  '--events-per-host-day': 'eventsPerHostDay',
  '--max-events': 'maxEvents',
};

const OPTION_TO_FLAG: Record<string, string> = {
  hosts: '--hosts',
  days: '--days',
  attacks: '--attacks',
  eventsPerHostDay: '--events-per-host-day',
  maxEvents: '--max-events',
  seed: '--seed',
  start: '--start',
  format: '--format',
};

export function parseGenerateArgs(argv: readonly string[]): ParsedGenerateArgs {
  const opts: Partial<WriteDatasetOptions> = {};
  let help = false;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    if (raw === '-h' || raw === '--help') {
      help = true;
      continue;
    }
    if (!raw.startsWith('--'))
      throw new CliUsageError(
        raw,
        `generate: unexpected argument '${raw}' (options start with --)`,
      );
    const eq = raw.indexOf('=');
    const flag = eq >= 0 ? raw.slice(0, eq) : raw;
    if (seen.has(flag)) throw new CliUsageError(flag, `generate: ${flag} given more than once`);
    seen.add(flag);
    if (flag === '--gzip') {
      if (eq >= 0) throw new CliUsageError(flag, 'generate: --gzip takes no value');
      opts.gzip = true;
      continue;
    }
    const known = flag in INT_FLAGS || ['--out', '--seed', '--format', '--start'].includes(flag);
    if (!known) throw new CliUsageError(flag, `generate: unknown option ${flag}`);
    let value: string | undefined;
    if (eq >= 0) value = raw.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new CliUsageError(flag, `generate: ${flag} needs a value`);
      }
      i++;
    }
    if (value === '') throw new CliUsageError(flag, `generate: ${flag} needs a non-empty value`);
    const intKey = INT_FLAGS[flag];
    if (intKey) {
      if (!/^\d+$/.test(value))
        throw new CliUsageError(flag, `generate: ${flag} needs a whole number, got '${value}'`);
      opts[intKey] = Number(value);
    } else if (flag === '--out') opts.out = value;
    else if (flag === '--seed') opts.seed = value;
    else if (flag === '--start') opts.start = value;
    else {
      if (value !== 'ecs' && value !== 'sysmon')
        throw new CliUsageError(
          flag,
          `generate: --format must be 'ecs' or 'sysmon', got '${value}'`,
        );
      opts.format = value as OutputFormat;
    }
  }
  if (help) return { help, options: { out: opts.out ?? '', ...opts } };
  if (opts.out === undefined) throw new CliUsageError('--out', 'generate: --out DIR is required');
  try {
    resolveOptions(opts);
  } catch (err) {
    if (err instanceof GeneratorOptionError) {
      const flag = OPTION_TO_FLAG[err.option] ?? `--${err.option}`;
      throw new CliUsageError(flag, `generate: ${flag}: ${err.message}`);
    }
    throw err;
  }
  return { help, options: { ...opts, out: opts.out } };
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/** Run `generate` with its arguments (without the command name). Resolves to an exit code. */
export async function runGenerateCli(
  argv: readonly string[],
  io: CliIo = defaultIo,
): Promise<number> {
  let parsed: ParsedGenerateArgs;
  try {
    parsed = parseGenerateArgs(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.stderr(`${err.message}\n\n${GENERATE_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    io.stdout(GENERATE_USAGE);
    return 0;
  }
  const started = performance.now();
  try {
    const manifest = await writeDataset({
      ...parsed.options,
      onProgress: (n) => io.stderr(`generate: ${n.toLocaleString('en-US')} events\n`),
    });
    const secs = (performance.now() - started) / 1000;
    const t = manifest.totals;
    io.stdout(
      `generate: wrote ${t.events} events (${t.malicious} malicious in ${manifest.scenarios.length} scenarios) ` +
        `for ${manifest.hosts.length} hosts over ${manifest.options.days} days to ${parsed.options.out} in ${secs.toFixed(1)} s\n`,
    );
    return 0;
  } catch (err) {
    io.stderr(`generate: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
