/**
 * Loads ../shared/data (or any folder in the same layout) through the project's normaliser and
 * joins the per-event labels on `_rid`.
 *
 * A normalised event may stand for two raw records (a merged Sysmon/4688 twin). Its event.id is
 * one record's `_rid`; the other is found through its SourceRef (file + line), so the join reads
 * each events file's `_rid` per line once. The event is malicious if any of its records is.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { ProcessEvent, SourceRef } from '../../../common/types/process_event';
import { normaliseFile } from '../normalise';
import type { DataSource, LabelledDataset, LabelledEvent } from './dataset';

export interface SharedLoadOptions {
  /** Merge Sysmon/4688 twins into one event (the product default). Off keeps per-source evaluation clean. */
  mergeTwins?: boolean;
  /** Include datasets without labels (evtx_attack_samples) as unlabelled. */
  includeUnlabelled?: boolean;
}

export interface SharedLoadReport {
  file: string;
  events: number;
  malicious: number;
  /** Events whose record ids have no label line (excluded). */
  unlabelled: number;
}

async function* readGzOrPlainLines(file: string): AsyncGenerator<string> {
  const stream = file.endsWith('.gz')
    ? createReadStream(file).pipe(createGunzip())
    : createReadStream(file);
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

interface LabelLine {
  _rid: string;
  malicious: boolean;
}

async function readLabels(file: string): Promise<Map<string, boolean>> {
  const labels = new Map<string, boolean>();
  let n = 0;
  for await (const line of readGzOrPlainLines(file)) {
    n++;
    if (!line.trim()) continue;
    let parsed: LabelLine;
    try {
      parsed = JSON.parse(line) as LabelLine;
    } catch (err) {
      throw new Error(`${file}:${n}: not valid JSON`, { cause: err });
    }
    if (typeof parsed._rid !== 'string' || typeof parsed.malicious !== 'boolean') {
      throw new Error(`${file}:${n}: label line needs string _rid and boolean malicious`);
    }
    labels.set(parsed._rid, parsed.malicious);
  }
  return labels;
}

/** `_rid` of every line of an events file (1-based line → rid), for resolving SourceRefs. */
async function ridsByLine(file: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let n = 0;
  for await (const line of readGzOrPlainLines(file)) {
    n++;
    // Only the id is needed; a cheap match avoids parsing megabyte command lines twice.
    const m = /"_rid":\s*"((?:[^"\\]|\\.){1,500})"/.exec(line);
    if (m?.[1]) out.set(n, JSON.parse(`"${m[1]}"`) as string);
  }
  return out;
}

function sourceOf(family: string, event: ProcessEvent): DataSource {
  const formats = new Set(
    event.problemchild.sources.map((s: SourceRef) =>
      s.format === 'security_4688' ? '4688' : 'sysmon',
    ),
  );
  if (formats.size > 1) return `${family}_merged`;
  if (family === 'otrf') return formats.has('4688') ? 'otrf_4688' : 'otrf_sysmon';
  return family;
}

/**
 * Lab environment of an OTRF dataset from its hosts. OTRF mixes several labs (the 2019–2020
 * "shire"/"mordor" network, the 2022 PEDRO hosts, the 2023 PandaLab DC, an Azure Sentinel
 * Exchange server); leaving a lab out is a stricter test than leaving a dataset out.
 */
export function environmentOf(family: string, events: readonly LabelledEvent[]): string {
  if (family !== 'otrf') return family;
  const hosts = new Set(events.map((e) => e.event.host.name.toLowerCase()));
  for (const h of hosts) {
    if (h.startsWith('pedro') || h.startsWith('desktop-cqf82l6')) return 'otrf:pedro';
    if (h.endsWith('pandalab.com')) return 'otrf:pandalab';
    if (h.endsWith('azsentinel.local')) return 'otrf:azsentinel';
  }
  return 'otrf:shire';
}

/** Expands data arguments (folders or *.events.ndjson[.gz] files) into events files, sorted. */
export async function findEventFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = await fs.stat(input);
    } catch (err) {
      throw new Error(`data path not found: ${input}`, { cause: err });
    }
    if (st.isDirectory()) {
      const entries = await fs.readdir(input, { recursive: true });
      for (const e of entries)
        if (/\.events\.ndjson(\.gz)?$/.test(e)) files.push(path.join(input, e));
    } else if (/\.events\.ndjson(\.gz)?$/.test(input)) {
      files.push(input);
    } else {
      throw new Error(`data file ${input} is not a *.events.ndjson[.gz] file`);
    }
  }
  return [...new Set(files.map((f) => path.resolve(f)))].sort();
}

/** Loads one events file with its labels file (if any) into a dataset. */
export async function loadSharedFile(
  file: string,
  options: SharedLoadOptions = {},
): Promise<{ dataset: LabelledDataset; report: SharedLoadReport }> {
  const family = path.basename(path.dirname(file));
  const stem = path.basename(file).replace(/\.events\.ndjson(\.gz)?$/, '');
  const labelFile = file.replace(/\.events\.ndjson(\.gz)?$/, '.labels.ndjson$1');
  let labels: Map<string, boolean> | undefined;
  try {
    await fs.access(labelFile);
    labels = await readLabels(labelFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const merge = options.mergeTwins ?? true;
  const lineRids = merge && labels ? await ridsByLine(file) : undefined;
  const events: LabelledEvent[] = [];
  let unlabelled = 0;
  const gen = normaliseFile(file, { mergeTwins: merge });
  for await (const event of gen) {
    let malicious = false;
    let known = false;
    if (labels) {
      const rids = new Set<string>([event.event.id]);
      if (lineRids) {
        for (const s of event.problemchild.sources) {
          if (s.kind === 'file') {
            const r = lineRids.get(s.line);
            if (r) rids.add(r);
          }
        }
      }
      for (const r of rids) {
        const l = labels.get(r);
        if (l !== undefined) {
          known = true;
          malicious ||= l;
        }
      }
      if (!known) {
        unlabelled++;
        continue;
      }
    }
    events.push({ event, malicious, source: sourceOf(family, event) });
  }
  const dataset: LabelledDataset = {
    name: `${family}/${stem}`,
    family,
    environment: environmentOf(family, events),
    labelled: labels !== undefined,
    events,
  };
  return {
    dataset,
    report: {
      file,
      events: events.length,
      malicious: events.filter((e) => e.malicious).length,
      unlabelled,
    },
  };
}

/** Loads every events file under the inputs; unlabelled files are skipped unless asked for. */
export async function loadSharedData(
  inputs: readonly string[],
  options: SharedLoadOptions = {},
): Promise<{ datasets: LabelledDataset[]; reports: SharedLoadReport[] }> {
  const datasets: LabelledDataset[] = [];
  const reports: SharedLoadReport[] = [];
  for (const file of await findEventFiles(inputs)) {
    const { dataset, report } = await loadSharedFile(file, options);
    if (!dataset.labelled && !options.includeUnlabelled) continue;
    datasets.push(dataset);
    reports.push(report);
  }
  return { datasets, reports };
}
