/**
 * The interval set in the settings rules the standalone scheduler without a restart (issue 18,
 * finding 6: PUT /settings answered 200 and the scheduler kept the interval it started with).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandalone, type RunningStandalone } from './main';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const API = '/internal/problem_child';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-interval-'));
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>ProblemChild</title>');
let host: RunningStandalone | undefined;

afterAll(async () => {
  await host?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the interval setting', () => {
  it('takes effect in the running scheduler within one interval', async () => {
    host = await startStandalone({
      port: 0,
      dataDir: path.join(root, 'data'),
      staticDir: root,
      demo: false,
      settings: { interval: '1h' },
      intervalPollMs: 100,
      logger: quiet,
    });
    const before = Date.parse(host.scheduler.nextRunAt()!);
    expect(before - Date.now()).toBeGreaterThan(3_000_000);
    const res = await fetch(`${host.url}${API}/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'kbn-xsrf': 'true' },
      body: JSON.stringify({ interval: '2s' }),
    });
    expect(res.status).toBe(200);
    const changed = Date.now();
    const end = changed + 10_000;
    while ((await host.stores.state.recentRuns(5)).length === 0 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    const runs = await host.stores.state.recentRuns(5);
    expect(runs.length).toBeGreaterThan(0);
    // Within one (new) interval of the change, plus the run's own time.
    expect(Date.parse(runs.at(-1)!.startedAt) - changed).toBeLessThan(2_000 + 1_000);
  }, 60_000);
});
