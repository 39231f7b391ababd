/**
 * The JSON report written piece by piece is byte for byte the document buildReport makes, with
 * unflagged communities (`--all`) and pieces cut anywhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../generator/write';
import { buildReport, detectEvents, normaliseAll } from './detect_cli';
import { writeJsonReport } from './report_writer';
import { HeuristicTestScorer } from './testing/heuristic_scorer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-report-writer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('writeJsonReport', () => {
  it('writes what JSON.stringify(buildReport(...)) writes', async () => {
    const data = path.join(tmp, 'data');
    await writeDataset({
      out: data,
      hosts: 3,
      days: 1,
      attacks: 2,
      seed: 9,
      eventsPerHostDay: 200,
    });
    const quiet = { stdout: () => undefined, stderr: () => undefined };
    const files = fs
      .readdirSync(data)
      .filter((f) => f.endsWith('.ndjson') && !f.includes('.labels.'))
      .map((f) => path.join(data, f));
    const input = await normaliseAll(files, quiet);
    const run = await detectEvents(input.events, new HeuristicTestScorer(), {
      threshold: 0.6,
      seed: 5,
      window: '1h',
      lookbackDays: 'all',
      includeUnflagged: true,
    });
    expect(run.result.unflagged?.length).toBeGreaterThan(10);
    const reportInput = { perFile: input.perFile, normalised: input.events.length };
    const meta = {
      model: 'm',
      threshold: 0.6,
      window: '1h',
      seed: 5,
      lookbackDays: 'all' as const,
    };
    const expected = `${JSON.stringify(buildReport(reportInput, run, meta))}\n`;
    for (const pieceChars of [1, 5_000, 1 << 20]) {
      const pieces: string[] = [];
      await writeJsonReport((t) => void pieces.push(t), reportInput, run, meta, pieceChars);
      expect(pieces.join('')).toBe(expected);
      if (pieceChars === 5_000) expect(pieces.length).toBeGreaterThan(2);
    }
  });
});
