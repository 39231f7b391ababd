/**
 * Write a generated dataset to disk: events NDJSON (ECS or flat Sysmon), labels NDJSON in the
 * ../shared/data label layout, and a manifest with per-scenario, per-host and total counts.
 * Output goes through buffered writes that wait for 'drain', so a 10M-event run holds one
 * buffer per file in memory, never the dataset.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { createGenerator, type GenerateOptions, type OutputFormat } from './generate';
import { ecsLine } from './records';
import { TEMPLATE_NAMES } from './scenarios';

export interface WriteDatasetOptions extends GenerateOptions {
  out: string;
  /** Gzip both NDJSON files (names get a .gz suffix). */
  gzip?: boolean;
  /** Called every `progressEvery` events with the running count. */
  onProgress?: (events: number) => void;
  progressEvery?: number;
}

interface Counter {
  events: number;
  malicious: number;
}

export interface ScenarioSummary {
  scenario_id: string;
  template: string;
  techniques: string[];
  victim: string;
  target: string | null;
  start: string;
  remote_at: string | null;
  events: number;
  attack: number;
  attack_descendant: number;
  hosts: string[];
  /** ATT&CK technique → events labelled with it (any of the step's techniques). */
  techniques_observed: Record<string, number>;
}

export interface DatasetManifest {
  generator: string;
  generator_version: number;
  options: {
    hosts: number;
    days: number;
    attacks: number;
    seed: string;
    start: string;
    eventsPerHostDay: number;
    maxEvents: number | null;
    format: OutputFormat;
    gzip: boolean;
  };
  window: { start: string; end: string };
  domain: string;
  files: { events: string; labels: string };
  totals: {
    events: number;
    malicious: number;
    benign: number;
    roles: Record<string, number>;
  };
  hosts: Array<{
    name: string;
    role: string;
    server_kind: string | null;
    os: string;
    ip: string;
    events: number;
    malicious: number;
  }>;
  /** Instances actually placed; below options.attacks only when no template fits the window. */
  attacks_planned: number;
  scenarios: ScenarioSummary[];
  templates: Record<string, { instances: number; events: number; malicious: number }>;
  techniques: Record<string, number>;
  benign_activity: Record<string, number>;
  attack_templates_available: string[];
}

const FLUSH_BYTES = 1 << 20;

/** Buffered line writer with backpressure. */
class LineSink {
  private buf: string[] = [];
  private size = 0;
  private readonly head: Writable;
  private readonly tail: Writable;

  constructor(path: string, gzip: boolean) {
    this.tail = createWriteStream(path);
    if (gzip) {
      const gz = createGzip({ level: 4 });
      gz.pipe(this.tail);
      this.head = gz;
    } else {
      this.head = this.tail;
    }
  }

  /** Returns a promise only when the buffer was flushed into a full stream. */
  write(line: string): Promise<void> | undefined {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size < FLUSH_BYTES) return undefined;
    return this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.head.write(chunk)) await once(this.head, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.head.end();
    await finished(this.tail);
  }
}

function inc(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

export async function writeDataset(opts: WriteDatasetOptions): Promise<DatasetManifest> {
  const gzip = opts.gzip === true;
  const eventsFile = `synthetic.events.ndjson${gzip ? '.gz' : ''}`;
  const labelsFile = `synthetic.labels.ndjson${gzip ? '.gz' : ''}`;
  const run = createGenerator({ ...opts, sourceFile: opts.sourceFile ?? eventsFile });
  const { options, env, plans } = run;
  mkdirSync(opts.out, { recursive: true });
  const events = new LineSink(join(opts.out, eventsFile), gzip);
  const labels = new LineSink(join(opts.out, labelsFile), gzip);

  const hostCount = new Map<string, Counter>();
  const roles = new Map<string, number>();
  const techniques = new Map<string, number>();
  const activity = new Map<string, number>();
  interface ScenarioCount {
    events: number;
    attack: number;
    descendant: number;
    hosts: Set<string>;
    techniques: Map<string, number>;
  }
  const scenarios = new Map<string, ScenarioCount>();
  let total = 0;
  let malicious = 0;
  const every = opts.progressEvery ?? 1_000_000;

  for (const rec of run.records()) {
    const line = options.format === 'sysmon' ? JSON.stringify(rec.sysmon) : ecsLine(rec.event);
    const w1 = events.write(line);
    const w2 = labels.write(JSON.stringify(rec.label));
    if (w1) await w1;
    if (w2) await w2;
    total++;
    const l = rec.label;
    const host = rec.event.host.name;
    let hc = hostCount.get(host);
    if (!hc) hostCount.set(host, (hc = { events: 0, malicious: 0 }));
    hc.events++;
    inc(roles, l.role);
    if (l.malicious) {
      malicious++;
      hc.malicious++;
      const id = l.scenario_id ?? 'unknown';
      let sc = scenarios.get(id);
      if (!sc)
        scenarios.set(
          id,
          (sc = { events: 0, attack: 0, descendant: 0, hosts: new Set(), techniques: new Map() }),
        );
      sc.events++;
      if (l.role === 'attack') sc.attack++;
      else sc.descendant++;
      sc.hosts.add(host);
      for (const t of l.techniques ?? []) {
        inc(sc.techniques, t);
        inc(techniques, t);
      }
    } else {
      inc(activity, l.activity ?? 'background');
    }
    if (opts.onProgress && total % every === 0) opts.onProgress(total);
  }
  await Promise.all([events.close(), labels.close()]);

  const templates: DatasetManifest['templates'] = {};
  for (const name of TEMPLATE_NAMES) templates[name] = { instances: 0, events: 0, malicious: 0 };
  const scenarioSummaries: ScenarioSummary[] = plans.map((p) => {
    const sc = scenarios.get(p.id);
    const t = templates[p.template] as { instances: number; events: number; malicious: number };
    t.instances++;
    t.events += sc?.events ?? 0;
    t.malicious += sc?.events ?? 0;
    return {
      scenario_id: p.id,
      template: p.template,
      techniques: [...p.techniques],
      victim: env.hosts[p.victim]?.name ?? '',
      target: p.target !== undefined ? (env.hosts[p.target]?.name ?? null) : null,
      start: new Date(p.start).toISOString(),
      remote_at: p.remoteAt !== undefined ? new Date(p.remoteAt).toISOString() : null,
      events: sc?.events ?? 0,
      attack: sc?.attack ?? 0,
      attack_descendant: sc?.descendant ?? 0,
      hosts: sc ? [...sc.hosts].sort() : [],
      techniques_observed: sc ? sortedRecord(sc.techniques) : {},
    };
  });

  const manifest: DatasetManifest = {
    generator: 'problemchild-synthetic',
    generator_version: 1,
    options: {
      hosts: options.hosts,
      days: options.days,
      attacks: options.attacks,
      seed: options.seed,
      start: options.start,
      eventsPerHostDay: options.eventsPerHostDay,
      maxEvents: options.maxEvents,
      format: options.format,
      gzip,
    },
    window: { start: new Date(env.startMs).toISOString(), end: new Date(env.endMs).toISOString() },
    domain: env.domain.fqdn,
    files: { events: eventsFile, labels: labelsFile },
    totals: { events: total, malicious, benign: total - malicious, roles: sortedRecord(roles) },
    hosts: env.hosts.map((h) => ({
      name: h.name,
      role: h.role,
      server_kind: h.serverKind ?? null,
      os: h.os,
      ip: h.ip,
      events: hostCount.get(h.name)?.events ?? 0,
      malicious: hostCount.get(h.name)?.malicious ?? 0,
    })),
    attacks_planned: plans.length,
    scenarios: scenarioSummaries,
    templates,
    techniques: sortedRecord(techniques),
    benign_activity: sortedRecord(activity),
    attack_templates_available: [...TEMPLATE_NAMES],
  };
  writeFileSync(join(opts.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
