/**
 * Synthetic labelled data from the project generator, one dataset per simulated host so
 * evaluation can hold out whole hosts.
 *
 * Two views of the same process: the generator's ECS event (code signature, token elevation,
 * parent start time — what Elastic Defend reports) and its flat Sysmon EID 1 record passed
 * through our normaliser (no signature, no parent start — what the recorded OTRF data looks
 * like). Each event is shown in one view, picked by a hash of its id, so the model learns that
 * "signature unknown" or "parent start unknown" carries no label information by itself; trained
 * on the ECS view alone it would read the absence of those fields in real Sysmon data as a signal.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import { generateSync, GeneratorOptionError } from '../generator';
import { Normaliser } from '../normalise';
import type { LabelledDataset, LabelledEvent } from './dataset';
import { deriveSeed, fnv1a } from '../prng';

export interface SyntheticOptions {
  hosts: number;
  days: number;
  attacks: number;
  seed: number;
  /** Share of events shown in the normalised-Sysmon view (default 0.5). */
  sysmonViewShare?: number;
  /** Cap on generated events (tests). */
  maxEvents?: number;
}

export interface SyntheticLoad {
  datasets: LabelledDataset[];
  events: number;
  malicious: number;
  description: string;
}

/** Generates the synthetic fleet and returns one labelled dataset per host. */
export async function loadSynthetic(options: SyntheticOptions): Promise<SyntheticLoad> {
  const share = options.sysmonViewShare ?? 0.5;
  const viewSalt = deriveSeed(options.seed, 'synthetic-view');
  const normaliser = new Normaliser({ mergeTwins: false });
  const byHost = new Map<string, LabelledEvent[]>();
  let events = 0;
  let malicious = 0;
  let line = 0;
  try {
    for (const rec of generateSync({
      hosts: options.hosts,
      days: options.days,
      attacks: options.attacks,
      seed: options.seed,
      format: 'sysmon',
      maxEvents: options.maxEvents,
    })) {
      line++;
      let event: ProcessEvent = rec.event;
      const useSysmon =
        rec.sysmon && (fnv1a(`${viewSalt}:${rec.event.event.id}`) % 1000) / 1000 < share;
      if (useSysmon) {
        const out = normaliser.pushRecord(rec.sysmon, {
          kind: 'file',
          file: 'synthetic.sysmon.ndjson',
          line,
          format: 'sysmon_flat',
        });
        // Without twin merging every record is final at once; fall back to the ECS view otherwise.
        if (out.length === 1 && out[0]) event = out[0];
      }
      const host = rec.event.host.name;
      let list = byHost.get(host);
      if (!list) byHost.set(host, (list = []));
      list.push({ event, malicious: rec.label.malicious, source: 'synthetic' });
      events++;
      if (rec.label.malicious) malicious++;
    }
  } catch (err) {
    if (err instanceof GeneratorOptionError) {
      const flag =
        {
          hosts: '--synthetic-hosts',
          days: '--synthetic-days',
          attacks: '--synthetic-attacks',
          seed: '--seed',
        }[err.option] ?? err.option;
      throw new Error(`${flag}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const datasets: LabelledDataset[] = [...byHost.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([host, evs]) => ({
      name: `synthetic/seed${options.seed}/${host}`,
      family: 'synthetic',
      environment: 'synthetic',
      labelled: true,
      events: evs,
    }));
  return {
    datasets,
    events,
    malicious,
    description: `project generator: ${options.hosts} hosts × ${options.days} days, ${options.attacks} attack instances, seed ${options.seed}; ${Math.round(share * 100)}% of events in the normalised-Sysmon view, the rest ECS`,
  };
}
