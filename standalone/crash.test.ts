/**
 * The standalone host SIGKILLed in the middle of its work, then started again on the same data
 * folder: during an NDJSON import (whole batches survive, the accounting adds up, a re-import
 * completes exactly), and during a detection run over four host partitions (the job resumes
 * from its checkpoints, ends with exactly the communities of an uninterrupted run, and keeps
 * the triage an analyst made before the kill). The host is a real process (host_child.ts), the
 * kill a real SIGKILL; every test checks afterwards that the kill landed mid-operation.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GRAPH_WINDOW, DEFAULT_LOOKBACK } from '../common/constants';
import { listCommunitiesQuery } from '../common/schemas';
import { generateSync } from '../server/lib/generator/generate';
import { hostPartition } from '../server/partition';
import { parseWindow } from '../server/lib/detection/windowing';
import type { RunReport, StoredCommunity } from '../server/ports';
import { UNFINISHED_RUN_ERROR } from '../server/stores/run_history';
import { openEmbeddedStore, type IntegrityReport } from '../server/stores/duckdb/embedded_store';
import type { ImportReport } from '../server/stores/duckdb/event_store';
import { volumeLines } from '../server/stores/testing/volume';
import { HostProcess } from './test_support/host_process';

const API = '/internal/problem_child';
const DB_FILE = 'problemchild.duckdb';
const DAY_MS = 86_400_000;

let root: string;
let staticDir: string;
const hosts: HostProcess[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pc-host-crash-'));
  staticDir = join(root, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ProblemChild</title>');
});

afterAll(async () => {
  // A failed assertion must not leave a host running behind the test run.
  for (const h of hosts) h.kill('SIGKILL');
  await Promise.all(hosts.map((h) => h.exited));
  rmSync(root, { recursive: true, force: true });
}, 30_000);

function startHost(args: Omit<Parameters<typeof HostProcess.start>[0], 'staticDir'>): HostProcess {
  const h = HostProcess.start({ ...args, staticDir });
  hosts.push(h);
  return h;
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${API}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'kbn-xsrf': 'true' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const ws = createWriteStream(file);
  for (const l of lines)
    if (!ws.write(l + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
}

const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

describe('standalone host killed with SIGKILL', () => {
  it('mid-import: whole batches only, accounting adds up, a re-import completes exactly', async () => {
    const total = 120_000;
    const batch = 8_000;
    const dataDir = join(root, 'import');
    const file = join(root, 'events.ndjson');
    // Yesterday, so the prevalence route (last 30 days) counts every stored event.
    await writeLines(
      file,
      volumeLines({
        count: total,
        hosts: 500,
        startMs: Date.now() - 2 * DAY_MS,
        spanMs: DAY_MS,
        idPrefix: 'imp',
      }),
    );

    const first = startHost({ data: dataDir, importFile: file, batch });
    let batchesBeforeKill = 0;
    first.watch((line) => {
      if (line.startsWith('batch ')) batchesBeforeKill++;
      // A random delay after the third committed batch lands the kill anywhere in the next
      // one: appending to staging, inserting, committing, or between batches.
      if (batchesBeforeKill === 3 && line.startsWith('batch '))
        setTimeout(() => first.kill('SIGKILL'), Math.floor(Math.random() * 300));
    });
    const killed = await first.exited;
    expect(killed.signal, first.tail()).toBe('SIGKILL');
    expect(first.lines.some((l) => l.startsWith('imported '))).toBe(false);
    expect(batchesBeforeKill).toBeGreaterThanOrEqual(3);

    const second = startHost({ data: dataDir, importFile: file, batch });
    const base = await second.url();
    await second.waitFor((l) => l === 'ready');
    const [before, after] = second.json<IntegrityReport>('integrity');
    const [report] = second.json<ImportReport>('imported');
    expect(before && after && report, second.tail()).toBeTruthy();

    // What survived the kill: only committed batches, each with its import_batches row.
    expect(before).toMatchObject({ ok: true, unfinishedImports: 1, communities: 0 });
    expect(before!.events).toBe(before!.batchInserted);
    expect(before!.events % batch).toBe(0);
    expect(before!.events).toBeGreaterThanOrEqual(batchesBeforeKill * batch);
    expect(before!.events).toBeLessThan(total);

    // The re-import stores exactly the rest and recognises the rest as already stored.
    expect(report!.records).toBe(total);
    expect(report!.inserted).toBe(total - before!.events);
    expect(report!.duplicates).toBe(before!.events);
    expect(report!.records).toBe(
      report!.normalised + report!.mergedTwins + sum(report!.skipped) + sum(report!.rejected),
    );
    expect(report!.normalised).toBe(report!.inserted + report!.duplicates + sum(report!.invalid));
    expect(after).toMatchObject({ ok: true, events: total, batchInserted: total });
    // Only the killed import stays unfinished; the re-import closed its own record.
    expect(after!.unfinishedImports).toBe(1);

    // The API serving on the recovered store sees every event exactly once.
    const prevalence = await call(base, 'GET', '/prevalence?parent=services.exe&child=svchost.exe');
    expect(prevalence.status).toBe(200);
    expect(prevalence.body.environment.events).toBe(total);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(second.lines).toContain('closed');

    const store = await openEmbeddedStore(join(dataDir, DB_FILE));
    try {
      expect(await store.events.count()).toBe(total);
      // Ids on both sides of the kill, each found once with its own document.
      const ids = [0, 1, before!.events - 1, before!.events, before!.events + 1, total - 1].map(
        (i) => `imp-${i}`,
      );
      const found = await store.events.eventsById(ids);
      expect(found.map((e) => e.event.id)).toEqual(ids);
    } finally {
      await store.close();
    }
  }, 240_000);

  it('mid-detection: resumes from its checkpoints, ends equal to an uninterrupted run, keeps triage', async () => {
    const partitions = 4;
    const graphMs = parseWindow(DEFAULT_GRAPH_WINDOW);
    const lookbackMs = parseWindow(DEFAULT_LOOKBACK);
    const alignDown = (t: number): number => Math.floor(t / graphMs) * graphMs;
    // A partition whose checkpoint moved resumes at alignDown(checkpoint − lookback), never
    // earlier than this. The events end before it, so such a partition must read nothing when
    // it resumes, while a partition killed before its checkpoint moved reads all of its events.
    const resumeFloor = alignDown(Date.now() - lookbackMs);
    let day = Math.floor(resumeFloor / DAY_MS) - 1;
    // A weekday: the generator's attacks happen inside office-hours user sessions.
    while ([0, 6].includes(new Date(day * DAY_MS).getUTCDay())) day--;
    const dayStart = day * DAY_MS;
    const seeded = new Date(dayStart + lookbackMs).toISOString();

    const crashDir = join(root, 'detect');
    const refDir = join(root, 'reference');
    mkdirSync(crashDir);
    mkdirSync(refDir);
    const prep = await openEmbeddedStore(join(crashDir, DB_FILE));
    let eventsStored: number;
    try {
      const counts = await prep.insertEvents(
        (function* () {
          for (const r of generateSync({
            hosts: 32,
            days: 1,
            attacks: 8,
            seed: 11,
            start: new Date(dayStart).toISOString(),
            eventsPerHostDay: 1200,
          }))
            yield r.event;
        })(),
      );
      eventsStored = counts.inserted;
      // A host that has been running: every partition's checkpoint sits just after the day's
      // start, so the next run covers the whole day.
      for (let index = 0; index < partitions; index++)
        await prep.state.saveCheckpoint(
          { index, count: partitions },
          { processedUntil: seeded, updatedAt: seeded },
        );
    } finally {
      await prep.close();
    }
    expect(existsSync(join(crashDir, `${DB_FILE}.wal`))).toBe(false);
    copyFileSync(join(crashDir, DB_FILE), join(refDir, DB_FILE));

    // The uninterrupted reference run, through the same API call on an identical store.
    const ref = startHost({ data: refDir, partitions });
    const refBase = await ref.url();
    expect((await call(refBase, 'POST', '/detection/_run')).status).toBe(202);
    await ref.waitFor(() => runLines(ref) === partitions);
    const refRuns = byPartition((await call(refBase, 'GET', '/detection/status')).body.recentRuns);
    expect(await ref.stop()).toEqual({ code: 0, signal: null });
    for (const r of refRuns) {
      expect(r.status).toBe('succeeded');
      expect(r.window!.start).toBe(new Date(dayStart).toISOString());
    }
    expect(refRuns.reduce((n, r) => n + r.eventsRead, 0)).toBe(eventsStored);

    // The host has detected this day before (a run over an explicit range leaves the
    // checkpoints alone) and an analyst triaged a community in every partition: the run that
    // gets killed, and its resumption, re-write those communities.
    const crashed = startHost({ data: crashDir, partitions });
    const crashBase = await crashed.url();
    const dayRange = {
      from: new Date(dayStart).toISOString(),
      to: new Date(dayStart + DAY_MS).toISOString(),
    };
    expect((await call(crashBase, 'POST', '/detection/_run', dayRange)).status).toBe(202);
    await crashed.waitFor(() => runLines(crashed) === partitions);
    const earlierRuns = new Set(
      ((await call(crashBase, 'GET', '/detection/status')).body.recentRuns as RunReport[]).map(
        (r) => r.runId,
      ),
    );
    expect(earlierRuns.size).toBe(partitions);
    const notes = new Map<string, string>();
    const triageTop = async (
      filter: (c: { id: string; host: string }) => boolean,
      note: string,
    ) => {
      const list = await call(
        crashBase,
        'GET',
        '/communities?per_page=100&sort=rank&direction=asc',
      );
      const c = (list.body.items as { id: string; host: string; version: number }[]).find(
        (x) => !notes.has(x.id) && filter(x),
      );
      if (!c) return;
      const res = await call(crashBase, 'POST', `/communities/${c.id}/triage`, {
        status: 'acknowledged',
        assignee: 'alice',
        note,
        version: c.version,
      });
      expect(res.status).toBe(200);
      notes.set(c.id, note);
    };
    for (let index = 0; index < partitions; index++)
      await triageTop(
        (c) => hostPartition(c.host, partitions) === index,
        `earlier, partition ${index}`,
      );
    expect(notes.size).toBeGreaterThanOrEqual(2);

    // The scheduled kind of run (from the checkpoints), killed after its first partition has
    // finished, right after one more triage.
    expect((await call(crashBase, 'POST', '/detection/_run')).status).toBe(202);
    await crashed.waitFor(() => runLines(crashed) >= partitions + 1);
    await triageTop(() => true, 'just before the crash');
    expect([...notes.values()]).toContain('just before the crash');
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
    crashed.kill('SIGKILL');
    expect((await crashed.exited).signal).toBe('SIGKILL');

    // Post mortem, before the host comes back: where exactly did the kill land?
    const moved = new Set<number>();
    const cps = new Map<number, string>();
    const pm = await openEmbeddedStore(join(crashDir, DB_FILE));
    try {
      expect((await pm.integrity()).ok).toBe(true);
      for (let index = 0; index < partitions; index++) {
        const cp = await pm.state.getCheckpoint({ index, count: partitions });
        cps.set(index, cp!.processedUntil);
        if (cp!.processedUntil !== seeded) moved.add(index);
      }
      for (const [id, note] of notes)
        expect((await pm.communities.get(id))?.triage).toMatchObject({
          status: 'acknowledged',
          note,
        });
      // Issue 18: the killed run is in the history (its unfinished partition as aborted).
      const runs = await pm.state.recentRuns(50);
      expect(runs.some((r) => r.errors.includes(UNFINISHED_RUN_ERROR))).toBe(true);
    } finally {
      await pm.close();
    }
    // Mid-job: the first partition had finished, the last had not.
    expect(moved.has(0)).toBe(true);
    expect(moved.size).toBeLessThan(partitions);

    const resumed = startHost({ data: crashDir, partitions });
    const resumedBase = await resumed.url();
    const restartedAt = new Date().toISOString();
    expect((await call(resumedBase, 'POST', '/detection/_run')).status).toBe(202);
    await resumed.waitFor(() => runLines(resumed) === partitions);
    const status = await call(resumedBase, 'GET', '/detection/status');
    const resumedRuns = byPartition(
      (status.body.recentRuns as RunReport[]).filter((r) => r.startedAt >= restartedAt),
    );
    const details = await Promise.all(
      [...notes.keys()].map(
        async (id) => (await call(resumedBase, 'GET', `/communities/${id}`)).body,
      ),
    );
    expect(await resumed.stop()).toEqual({ code: 0, signal: null });

    for (let index = 0; index < partitions; index++) {
      const r = resumedRuns[index]!;
      if (moved.has(index)) {
        // Resumed from its checkpoint: nothing left to redo.
        expect(r.window!.start).toBe(
          new Date(alignDown(Date.parse(cps.get(index)!) - lookbackMs)).toISOString(),
        );
        expect(r).toMatchObject({ status: 'nothing_to_do', eventsRead: 0, flagged: 0 });
      } else {
        // Its checkpoint never moved: the whole day again, exactly as the reference read it.
        expect(r.window!.start).toBe(new Date(dayStart).toISOString());
        expect(r).toMatchObject({ status: 'succeeded', eventsRead: refRuns[index]!.eventsRead });
      }
    }

    // Every triage made before the kill is intact, with its one history entry, whether or not
    // the resumed run re-wrote the community.
    for (const d of details) {
      expect(d.triage).toMatchObject({
        status: 'acknowledged',
        assignee: 'alice',
        note: notes.get(d.id),
      });
      expect(d.triage.history).toHaveLength(1);
    }

    const expected = await storedCommunities(refDir);
    const actual = await storedCommunities(crashDir);
    expect(expected.communities.size).toBeGreaterThan(0);
    // No duplicates: every listed row is a distinct id, and the event links are exactly one per
    // (community, event), as in the reference.
    expect(actual.listed).toBe(actual.communities.size);
    expect(actual.integrity).toMatchObject({ ok: true, orphanCommunityEvents: 0 });
    expect(actual.integrity.communityEvents).toBe(expected.integrity.communityEvents);
    expect(actual.integrity.communityEvents).toBe(
      [...actual.communities.values()].reduce((n, c) => n + c.events.length, 0),
    );
    // Same ids, none lost or added, with the same content.
    expect([...actual.communities.keys()].sort()).toEqual([...expected.communities.keys()].sort());
    for (const [id, c] of expected.communities)
      expect(detection(actual.communities.get(id)!), id).toEqual(detection(c));
    // Each of them was written by the interrupted job (partitions it finished) or by its
    // resumption (the rest): none is a leftover of the earlier run that the job skipped.
    for (const c of actual.communities.values()) {
      const index = hostPartition(c.host, partitions);
      expect(earlierRuns.has(c.runId), c.id).toBe(false);
      if (moved.has(index)) expect(c.runId).not.toBe(resumedRuns[index]!.runId);
      else expect(c.runId).toBe(resumedRuns[index]!.runId);
    }
    for (const id of notes.keys())
      expect(actual.communities.get(id)!.triage.status).toBe('acknowledged');
  }, 300_000);
});

/** Finished detection runs the host has logged since it started. */
function runLines(h: HostProcess): number {
  return h.lines.filter((l) => l.startsWith('log info detection run ')).length;
}

/** The newest run of each partition, indexed by partition. */
function byPartition(runs: RunReport[]): RunReport[] {
  const out: RunReport[] = [];
  for (const r of [...runs].reverse()) out[r.partition.index] = r;
  return out;
}

/** Everything detection wrote about a community, without run ids, times and triage. */
function detection(c: StoredCommunity): unknown {
  const { triage: _t, version: _v, detectedAt: _d, runId: _r, ...rest } = c;
  return rest;
}

async function storedCommunities(dir: string): Promise<{
  communities: Map<string, StoredCommunity>;
  listed: number;
  integrity: IntegrityReport;
}> {
  const store = await openEmbeddedStore(join(dir, DB_FILE));
  try {
    const communities = new Map<string, StoredCommunity>();
    let listed = 0;
    for (let page = 1; ; page++) {
      const res = await store.communities.list(
        listCommunitiesQuery.parse({
          include_unflagged: 'true',
          sort: 'rank',
          direction: 'asc',
          per_page: '100',
          page: String(page),
        }),
      );
      listed += res.items.length;
      for (const s of res.items) communities.set(s.id, (await store.communities.get(s.id))!);
      if (res.items.length < res.perPage) break;
    }
    return { communities, listed, integrity: await store.integrity() };
  } finally {
    await store.close();
  }
}
