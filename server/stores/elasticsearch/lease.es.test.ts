/**
 * Partition leases on the real test Elasticsearch: one winner per lease, takeover only after
 * expiry, and a host paused past its lease (SIGSTOP, then SIGCONT, in its own process) has its
 * fenced write refused instead of overwriting its successor's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEsClient } from './client';
import { EsStore } from './es_store';
import { EsLeases, FencedError, fencedStores } from './lease';

const here = path.dirname(fileURLToPath(import.meta.url));
const PREFIX = 'pc-lease-test';
const P = { index: 0, count: 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EsLeases', () => {
  let client: Client;
  let store: EsStore;

  beforeAll(async () => {
    client = createEsClient({ node: inject('esUrl') });
    store = new EsStore({
      client,
      names: { communities: `${PREFIX}-communities`, state: `${PREFIX}-state` },
    });
    await store.destroy();
    await store.setup();
  });

  afterAll(async () => {
    await store?.destroy();
    await client?.close();
  });

  const leasesFor = (holder: string, ttlMs = 1_500) =>
    new EsLeases({ client, index: store.names.state, holder, ttlMs });

  it('gives a lease to one host at a time and to another only after it expires', async () => {
    const p = { index: 0, count: 4 };
    const a = leasesFor('host-a');
    const b = leasesFor('host-b');
    // Both race for the free lease: exactly one wins.
    const [la, lb] = await Promise.all([a.acquire(p), b.acquire(p)]);
    expect([la, lb].filter(Boolean)).toHaveLength(1);
    const [winner, winnerLease, loser] = la ? [a, la, b] : [b, lb!, a];
    expect(winnerLease.token).toBe(1);
    expect(await loser.acquire(p)).toBeUndefined();

    // Renewal keeps the token and the lease.
    const renewed = await winner.renew(winnerLease);
    expect(renewed?.token).toBe(1);
    await winner.check(renewed!);
    expect(await loser.acquire(p)).toBeUndefined();

    // Without renewal it expires; the other host takes it over with a new token.
    await sleep(1_700);
    const taken = await loser.acquire(p);
    expect(taken?.token).toBe(2);
    await expect(winner.check(renewed!)).rejects.toBeInstanceOf(FencedError);
    expect(await winner.renew(renewed!)).toBeUndefined();

    // A released lease is free at once.
    await loser.release(taken!);
    expect((await winner.acquire(p))?.token).toBe(3);
  });

  it('counts live hosts by their heartbeats', async () => {
    const a = leasesFor('host-hb-a', 1_000);
    await a.heartbeat();
    await leasesFor('host-hb-b', 1_000).heartbeat();
    expect(await a.liveHosts()).toEqual(expect.arrayContaining(['host-hb-a', 'host-hb-b']));
    await sleep(1_200);
    expect(await a.liveHosts()).not.toContain('host-hb-a');
  });

  it('refuses the write of a host paused past its lease (SIGSTOP, SIGCONT)', async () => {
    const ttl = 2_000;
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(here, 'testing', 'lease_child.ts'),
        inject('esUrl'),
        PREFIX,
        'paused-host',
        String(ttl),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => lines.push(...c.split('\n').filter(Boolean)));
    const waitLine = async (prefix: string) => {
      for (let i = 0; i < 600; i++) {
        const l = lines.find((x) => x.startsWith(prefix));
        if (l) return l;
        await sleep(100);
      }
      throw new Error(`no "${prefix}" line: ${lines.join(' | ')} ${stderr}`);
    };
    try {
      expect(await waitLine('held ')).toMatch(/^held \d+$/);
      // While it holds the lease its fenced write goes through.
      child.stdin!.write('write 2026-01-01T00:00:00.000Z\n');
      await waitLine('written');

      // Paused past its lease; the successor takes over and writes its checkpoint.
      child.kill('SIGSTOP');
      await sleep(ttl + 300);
      const successor = leasesFor('successor-host', 30_000);
      const lease = await successor.acquire(P);
      expect(lease).toBeDefined();
      const mine = fencedStores(store.stores, successor, lease!);
      await mine.state.saveCheckpoint(P, {
        processedUntil: '2026-02-01T00:00:00.000Z',
        updatedAt: '2026-02-01T00:00:00.000Z',
      });

      // It wakes up mid-run and tries to write over its successor: refused by the fence.
      child.kill('SIGCONT');
      child.stdin!.write('write 2025-12-01T00:00:00.000Z\n');
      const refused = await waitLine('refused ');
      expect(refused).toMatch(/held by successor-host with token \d+/);
      expect((await store.state.getCheckpoint(P))?.processedUntil).toBe('2026-02-01T00:00:00.000Z');
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
});
