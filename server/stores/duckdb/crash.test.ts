/**
 * Durability: a store process SIGKILLed in the middle of an import or of community writes must
 * leave a file that opens, holds only whole committed batches, and lets the work be redone.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { volumeLines } from '../testing/volume';
import { openEmbeddedStore } from './embedded_store';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../../..');
const child = join(here, 'test_support', 'crash_child.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pc-duck-crash-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the child until it has printed `batches` progress lines (+ a random delay), then SIGKILLs it. */
function runAndKill(
  args: string[],
  batches: number,
): Promise<{ seen: number; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    let out = '';
    let stderr = '';
    let killed = false;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) {
        if (l.startsWith('batch ')) seen++;
        if (l.startsWith('done'))
          reject(new Error('child finished before it could be killed; make the input larger'));
      }
      if (!killed && seen >= batches) {
        killed = true;
        // A random delay lands the kill anywhere: mid-append, mid-commit or mid-checkpoint.
        setTimeout(() => p.kill('SIGKILL'), Math.floor(Math.random() * 40));
      }
    });
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('exit', (_code, signal) => resolvePromise({ seen, signal, stderr }));
  });
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const ws = createWriteStream(file);
  for (const l of lines)
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
}

describe('crash safety', () => {
  it('an import killed mid-way keeps whole batches only, and a re-import completes exactly', async () => {
    const total = 80_000;
    const batch = 4_000;
    const file = join(dir, 'big.ndjson');
    await writeLines(file, volumeLines({ count: total, hosts: 500 }));
    const db = join(dir, 'crash.duckdb');

    const run = await runAndKill(['import', db, file, String(batch)], 3);
    expect(run.signal, run.stderr).toBe('SIGKILL');

    const store = await openEmbeddedStore(db, { threads: 2 });
    try {
      const check = await store.integrity();
      expect(check.ok).toBe(true);
      expect(check.events % batch).toBe(0);
      expect(check.events).toBeGreaterThanOrEqual(3 * batch);
      expect(check.events).toBeLessThan(total);
      expect(check.unfinishedImports).toBe(1);

      const report = await store.importEvents(file, { batchSize: 20_000 });
      expect(report.records).toBe(total);
      expect(report.inserted).toBe(total - check.events);
      expect(report.duplicates).toBe(check.events);
      expect(await store.events.count()).toBe(total);
      const after = await store.integrity();
      expect(after).toMatchObject({ ok: true, events: total, unfinishedImports: 1 });
    } finally {
      await store.close();
    }
  }, 180_000);

  it('community writes killed mid-way leave whole writes with their event rows', async () => {
    const per = 200;
    const db = join(dir, 'crash.duckdb');
    const run = await runAndKill(['communities', db, String(per)], 5);
    expect(run.signal, run.stderr).toBe('SIGKILL');
    const store = await openEmbeddedStore(db, { threads: 2 });
    try {
      const check = await store.integrity();
      expect(check.ok).toBe(true);
      expect(check.communities % per).toBe(0);
      expect(check.communities).toBeGreaterThanOrEqual(5 * per);
      // Every fixture community has three events.
      expect(check.communityEvents).toBe(3 * check.communities);
    } finally {
      await store.close();
    }
  }, 120_000);
});
