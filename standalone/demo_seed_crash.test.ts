/**
 * A first start killed with SIGKILL while it seeds the demo environment (issue 18, finding 6):
 * the events were in the store but the demo detection had not run, and every later start saw a
 * non-empty store and neither finished the seeding nor detected. Now the next start finishes
 * both: the same events (stored once) and the demo's communities.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostProcess } from './test_support/host_process';

const API = '/internal/problem_child';
const DEMO = { hosts: 4, days: 1, attacks: 3, seed: 3, eventsPerHostDay: 300 };

const root = mkdtempSync(join(tmpdir(), 'pc-demo-crash-'));
const staticDir = join(root, 'static');
mkdirSync(staticDir);
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
const hosts: HostProcess[] = [];

afterAll(async () => {
  for (const h of hosts) h.kill('SIGKILL');
  await Promise.all(hosts.map((h) => h.exited));
  rmSync(root, { recursive: true, force: true });
}, 30_000);

function startHost(data: string): HostProcess {
  // The child inherits the environment at spawn; nothing else in this file reads PC_DEMO.
  process.env.PC_DEMO = JSON.stringify(DEMO);
  try {
    const h = HostProcess.start({ data, staticDir });
    hosts.push(h);
    return h;
  } finally {
    delete process.env.PC_DEMO;
  }
}

async function get(base: string, path: string) {
  const res = await fetch(`${base}${API}${path}`);
  return { status: res.status, body: await res.json() };
}

describe('first-start demo seeding killed with SIGKILL', () => {
  it('is finished, detection included, on the next start', async () => {
    const data = join(root, 'data');
    const first = startHost(data);
    // Killed synchronously as the line arrives: the events are stored, the detection not run.
    const seeded = new Promise<number>((resolve) => {
      const stop = first.watch((line) => {
        if (!line.startsWith('log info seeded the demo environment ')) return;
        first.kill('SIGKILL');
        stop();
        const meta = JSON.parse(line.slice('log info seeded the demo environment '.length));
        resolve(meta.events as number);
      });
    });
    const events = await seeded;
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(first.lines.some((l) => l.startsWith('listening '))).toBe(false);
    expect(events).toBeGreaterThan(500);

    const second = startHost(data);
    const base = await second.url();
    expect(second.lines.some((l) => l.includes('finishing the demo seeding'))).toBe(true);
    const communities = await get(base, '/communities?per_page=100');
    expect(communities.body.total).toBeGreaterThan(0);
    // The same events, each stored once.
    expect(second.json<{ events: number }>('integrity')[0]?.events).toBe(events);
    await second.stop();

    // Seeding is done once: a third start neither seeds nor detects again.
    const third = startHost(data);
    await third.url();
    expect(third.lines.some((l) => l.includes('seed'))).toBe(false);
    await third.stop();
  }, 240_000);
});
