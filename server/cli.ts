/**
 * `problemchild <command>`: the product's command line. Each command lives with its engine part
 * and is loaded only when used, so `generate` never pays for TensorFlow.js start-up.
 */
type CommandMain = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandMain> }> = {
  generate: {
    summary: 'write a seeded, labelled synthetic Windows environment (NDJSON + labels)',
    load: async () => (await import('./lib/generator/cli')).runGenerateCli,
  },
  train: {
    summary: 'train the edge model and write it with its model card',
    load: async () => (await import('./lib/model/train_cli')).runTrainCli,
  },
  detect: {
    summary: 'find and rank anomalous process communities in event files (table or JSON)',
    load: async () => (await import('./lib/detection/detect_cli')).runDetectCli,
  },
  eval: {
    summary: 'measure detection against labelled data (in-sample and leave-datasets-out)',
    load: async () => (await import('./lib/evaluation/eval_cli')).runEvalCli,
  },
  serve: {
    summary: 'run the analyst app, API and scheduled detection (standalone host)',
    load: async () => (await import('../standalone/serve_cli')).runServeCli,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: problemchild <command> [options]', '', 'Commands:', ...lines, ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`problemchild: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (
      await cmd.load()
    )(rest);
  } catch (e) {
    process.stderr.write(`problemchild ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
