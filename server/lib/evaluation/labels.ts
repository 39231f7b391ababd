/**
 * Labels for evaluation, in the layout of ../shared/data: one `<stem>.labels.ndjson[.gz]` per
 * `<stem>.events.ndjson[.gz]` (or `<stem>.ndjson[.gz]`), joined on `_rid`. The synthetic
 * generator writes the same layout with `_rid` equal to the event's `event.id`.
 *
 * A normalised event's `event.id` names only one of its records (a merged Sysmon/4688 twin has
 * two), so events are joined through their sources (file + line): each events file is read once
 * to learn the record id of every line.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';

async function* lines(file: string): AsyncGenerator<string> {
  const raw = createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/** `<stem>` of an events file: the name without `.events`, `.ndjson`/`.jsonl` and `.gz`. */
export function datasetStem(file: string): string {
  return path
    .basename(file)
    .replace(/\.gz$/i, '')
    .replace(/\.(ndjson|jsonl)$/i, '')
    .replace(/\.events$/i, '');
}

/** The labels file for an events file in `labelsDir`, or undefined when there is none. */
export async function findLabelsFile(
  eventsFile: string,
  labelsDir: string,
): Promise<string | undefined> {
  const stem = datasetStem(eventsFile);
  for (const name of [`${stem}.labels.ndjson.gz`, `${stem}.labels.ndjson`]) {
    const p = path.join(labelsDir, name);
    try {
      if ((await fs.stat(p)).isFile()) return p;
    } catch {
      // Not this name; try the next.
    }
  }
  return undefined;
}

/** `_rid` → malicious. */
export async function readLabels(file: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  let n = 0;
  for await (const line of lines(file)) {
    n++;
    if (!line.trim()) continue;
    let v: { _rid?: unknown; malicious?: unknown };
    try {
      v = JSON.parse(line) as typeof v;
    } catch (err) {
      throw new Error(`${file}:${n}: not valid JSON`, { cause: err });
    }
    if (typeof v._rid !== 'string' || typeof v.malicious !== 'boolean')
      throw new Error(`${file}:${n}: a label needs a string _rid and a boolean malicious`);
    out.set(v._rid, v.malicious);
  }
  return out;
}

/**
 * Record id of every line (1-based) of an events file: `_rid`, else the ECS `event.id` (the
 * generator's ECS output), the same ids the labels use.
 */
export async function recordIdsByLine(file: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let n = 0;
  for await (const line of lines(file)) {
    n++;
    // A regex first: parsing megabyte command lines only to read an id is wasted work.
    const m = /"_rid":\s*"((?:[^"\\]|\\.){1,500})"/.exec(line);
    if (m?.[1] !== undefined) {
      out.set(n, JSON.parse(`"${m[1]}"`) as string);
      continue;
    }
    try {
      const v = JSON.parse(line) as { event?: { id?: unknown } };
      if (typeof v.event?.id === 'string') out.set(n, v.event.id);
    } catch {
      // Not JSON: the normaliser rejected it too, so no event refers to this line.
    }
  }
  return out;
}

/** Labels of all records of one events file, keyed by line. */
export interface FileLabels {
  file: string;
  labelsFile: string;
  /** line → malicious, for lines whose record has a label. */
  byLine: Map<number, boolean>;
}

export async function loadFileLabels(eventsFile: string, labelsFile: string): Promise<FileLabels> {
  const [labels, ids] = await Promise.all([readLabels(labelsFile), recordIdsByLine(eventsFile)]);
  const byLine = new Map<number, boolean>();
  for (const [line, id] of ids) {
    const l = labels.get(id);
    if (l !== undefined) byLine.set(line, l);
  }
  return { file: eventsFile, labelsFile, byLine };
}
