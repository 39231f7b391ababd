/**
 * `npm run bench`: runs every benchmark module and prints its figures with the machine they were
 * measured on. Benchmarks print numbers; they do not pass or fail.
 */
import os from 'node:os';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

type Bench = () => Promise<BenchFigure[]>;

const SUITES: Record<string, () => Promise<Bench>> = {
  normalise: async () => (await import('./normalise_bench')).benchNormalise,
  generator: async () => (await import('./generator_bench')).benchGenerator,
  model: async () => (await import('./model_bench')).benchModel,
  detection: async () => (await import('./detection_bench')).benchDetection,
  cli: async () => (await import('./detect_cli_bench')).benchDetectCli,
  duckdb: async () => (await import('./duckdb_bench')).benchDuckdb,
  elasticsearch: async () => (await import('./es_bench')).benchEs,
  job: async () => (await import('./job_bench')).benchJob,
  api: async () => (await import('./api_bench')).benchApi,
};

const only = process.argv.slice(2);
console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
for (const [name, load] of Object.entries(SUITES)) {
  if (only.length && !only.includes(name)) continue;
  const t0 = Date.now();
  const figures = await (await load())();
  console.log(`\n== ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const f of figures) {
    console.log(
      `${f.name.padEnd(60)} ${f.value.toLocaleString('en-US', { maximumFractionDigits: 1 }).padStart(14)} ${f.unit}`,
    );
  }
}
