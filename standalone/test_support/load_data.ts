/**
 * An embedded store with a production-sized body of data, built in seconds: a million events and
 * ten thousand communities, for load tests of the standalone API.
 *
 * Going through `insertEvents` costs about a minute per million events on two cores (one JSON
 * document and one template per event in JS, then the primary-key index). Here the engine
 * derives a few thousand prototype events and the hosts (names, templates, host hashes, JSON
 * documents, exactly as `eventRow` does at import) and DuckDB multiplies them into rows with one
 * INSERT … SELECT over range(n), giving each row its own id, time, host and entity ids. The
 * builder then checks sample rows against `eventRow` of the event it claims to hold, so a schema
 * or derivation change cannot silently make the data unlike what an import would store.
 * Communities go through the store's own `writeCommunities`, and each one's events are real rows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { AnomalousCommunity } from '../../common/types/community';
import type { ProcessEvent } from '../../common/types/process_event';
import { hostKey } from '../../server/lib/detection/names';
import { hostHash } from '../../server/partition';
import { eventRow, type EventRow } from '../../server/stores/duckdb/derived';
import { openEmbeddedStore } from '../../server/stores/duckdb/embedded_store';
import { fixtureCommunity } from '../../server/stores/testing/fixtures';
import { volumeEvents } from '../../server/stores/testing/volume';

export interface LoadDataOptions {
  events: number;
  communities: number;
  hosts?: number;
  /** The events end here (default: one minute ago) and span `spanMs` (default 7 days). */
  endMs?: number;
  spanMs?: number;
}

export interface LoadData {
  events: number;
  hosts: string[];
  communityIds: string[];
  /** Parent → child steps present in the events, for prevalence queries. */
  pairs: { parent: string; child: string; commandLine: string }[];
  eventsMs: number;
  communitiesMs: number;
  /** The event stored as row `i`. */
  event(i: number): ProcessEvent;
  /** Events of the community `communityIds[c]`. */
  communitySize(c: number): number;
}

const communitySize = (c: number): number => 3 + (c % 10);

const PROTOTYPES = 4_096;
const GRAPH_WINDOW_MS = 4 * 3_600_000;
// Placeholders of the per-row values in a prototype's JSON document. The values are plain
// ASCII (ids, host names, ISO times), so they need no JSON escaping on either side.
const P = { id: '@@ID@@', ts: '@@TS@@', host: '@@HOST@@', ent: '@@ENT@@', pent: '@@PENT@@' };
const PLACEHOLDER = /@@(ID|TS|HOST|ENT|PENT)@@/;
/** Each placeholder's value in SQL, over `r.i` (row number), `t.ms` (time) and `h` (host). */
const ROW_SQL = {
  ID: `'load-' || r.i`,
  TS: `strftime(epoch_ms(t.ms), '%Y-%m-%dT%H:%M:%S.%gZ')`,
  HOST: 'h.host_raw',
  ENT: `'{load-' || r.i || '}'`,
  PENT: `'{load-p-' || r.i || '}'`,
};

interface Layout {
  n: number;
  hosts: string[];
  startMs: number;
  spanMs: number;
  docs: string[];
}

const hostName = (h: number): string =>
  h < 16
    ? `SRV${String(h).padStart(2, '0')}.corp.example.com`
    : `wks${String(h).padStart(4, '0')}.corp.example.com`;

/** Row i's prototype: multiplicative hashing, so host and prototype do not move in lockstep. */
const protoOf = (i: number): number => Number((BigInt(i) * 2654435761n) % 4294967296n) % PROTOTYPES;
const PROTO_SQL = `((r.i * 2654435761) % 4294967296) % ${PROTOTYPES}`;
const tsOf = (l: Layout, i: number): number =>
  l.startMs + Math.floor((i * l.spanMs) / Math.max(1, l.n));

function rowDoc(l: Layout, i: number): string {
  const ts = new Date(tsOf(l, i)).toISOString();
  return l.docs[protoOf(i)]!.replaceAll(P.id, `load-${i}`)
    .replaceAll(P.ts, ts)
    .replaceAll(P.host, l.hosts[i % l.hosts.length]!)
    .replaceAll(P.ent, `{load-${i}}`)
    .replaceAll(P.pent, `{load-p-${i}}`);
}

export async function buildLoadStore(dbPath: string, opts: LoadDataOptions): Promise<LoadData> {
  const hostCount = opts.hosts ?? 500;
  const spanMs = opts.spanMs ?? 7 * 86_400_000;
  const layout: Layout = {
    n: opts.events,
    hosts: Array.from({ length: hostCount }, (_, h) => hostName(h)),
    startMs: (opts.endMs ?? Date.now() - 60_000) - spanMs,
    spanMs,
    docs: [],
  };

  mkdirSync(dirname(dbPath), { recursive: true });
  // Creates the file and its schema the way the host would, then leaves it to DuckDB alone.
  await (await openEmbeddedStore(dbPath)).close();

  const t0 = performance.now();
  const protos = [...volumeEvents({ count: PROTOTYPES, hosts: 1, seed: 20_240_301 })].map((e) => {
    const derived = eventRow(e) as EventRow;
    const doc = JSON.stringify({
      ...e,
      '@timestamp': P.ts,
      host: { name: P.host },
      event: { ...e.event, id: P.id },
      process: {
        ...e.process,
        entity_id: P.ent,
        start: P.ts,
        parent: { ...e.process.parent, entity_id: P.pent },
      },
    });
    return { derived, doc };
  });
  layout.docs = protos.map((p) => p.doc);
  // Each document as constant segments around the per-row values: DuckDB then builds a row's
  // document by concatenation, several times cheaper than replace() over the whole text.
  const pieces = protos.map((p) => p.doc.split(PLACEHOLDER));
  const order = pieces[0]!.filter((_, k) => k % 2 === 1) as (keyof typeof ROW_SQL)[];
  for (const ps of pieces)
    if (ps.filter((_, k) => k % 2 === 1).join() !== order.join())
      throw new Error('load data: prototype documents differ in field order');
  const segments = order.length + 1;
  const docSql = order
    .map((name, k) => `p.s${k} || ${ROW_SQL[name]}`)
    .concat(`p.s${order.length}`)
    .join(' || ');

  const instance = await DuckDBInstance.create(dbPath, { memory_limit: '2GB' });
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TEMP TABLE load_protos (k INTEGER, parent_raw VARCHAR, child_raw VARCHAR,
      parent_name VARCHAR, child_name VARCHAR, command_line VARCHAR, template VARCHAR, user_name VARCHAR,
      ${Array.from({ length: segments }, (_, k) => `s${k} VARCHAR`).join(', ')})`);
    await conn.run(
      'CREATE TEMP TABLE load_hosts (k INTEGER, host VARCHAR, host_hash UINTEGER, host_raw VARCHAR)',
    );
    const ap = await conn.createAppender('load_protos', 'main', 'temp');
    const text = (v: string | null): void => (v === null ? ap.appendNull() : ap.appendVarchar(v));
    protos.forEach(({ derived: d }, k) => {
      ap.appendInteger(k);
      text(d.parentRaw);
      text(d.childRaw);
      ap.appendVarchar(d.parentName);
      ap.appendVarchar(d.childName);
      text(d.commandLine);
      ap.appendVarchar(d.template);
      text(d.userName);
      pieces[k]!.forEach((piece, j) => {
        if (j % 2 === 0) ap.appendVarchar(piece);
      });
      ap.endRow();
    });
    ap.closeSync();
    const ah = await conn.createAppender('load_hosts', 'main', 'temp');
    layout.hosts.forEach((name, k) => {
      ah.appendInteger(k);
      ah.appendVarchar(hostKey(name));
      ah.appendUInteger(hostHash(name));
      ah.appendVarchar(name);
      ah.endRow();
    });
    ah.closeSync();

    const importId = `load-data-${opts.events}`;
    await conn.run('BEGIN TRANSACTION');
    await conn.run(
      `INSERT INTO events (event_id, ts, host, host_hash, host_raw, entity_id, parent_entity_id,
         parent_raw, child_raw, parent_name, child_name, command_line, template, user_name, doc, import_id)
       SELECT 'load-' || r.i, epoch_ms(t.ms), h.host, h.host_hash, h.host_raw,
              '{load-' || r.i || '}', '{load-p-' || r.i || '}',
              p.parent_raw, p.child_raw, p.parent_name, p.child_name, p.command_line, p.template, p.user_name,
              ${docSql}, '${importId}'
         FROM range(${opts.events}) r(i)
         CROSS JOIN LATERAL (SELECT ${layout.startMs} + (r.i * ${spanMs}) // ${Math.max(1, opts.events)} AS ms) t
         JOIN load_hosts h ON h.k = r.i % ${hostCount}
         JOIN load_protos p ON p.k = ${PROTO_SQL}`,
    );
    // The import bookkeeping an import would leave, so the store's integrity check adds up.
    await conn.run(
      `INSERT INTO imports (import_id, started_at, finished_at, sources, report)
       VALUES ('${importId}', now()::TIMESTAMP, now()::TIMESTAMP, '["load data"]', '{}')`,
    );
    await conn.run(
      `INSERT INTO import_batches (import_id, batch_no, staged, inserted, committed_at)
       VALUES ('${importId}', 1, ${opts.events}, ${opts.events}, now()::TIMESTAMP)`,
    );
    await conn.run('COMMIT');

    const samples = [
      0,
      1,
      opts.events >> 1,
      opts.events - 1,
      ...[7, 77, 777].map((x) => (x * 7919) % opts.events),
    ];
    const rows = (
      await conn.runAndReadAll(
        `SELECT event_id, epoch_ms(ts) AS ms, host, host_hash, host_raw, entity_id, parent_entity_id, parent_raw,
                child_raw, parent_name, child_name, command_line, template, user_name, doc
           FROM events WHERE event_id IN (${samples.map((i) => `'load-${i}'`).join(', ')})`,
      )
    ).getRowObjectsJS();
    if (rows.length !== new Set(samples).size) throw new Error('load data: sample rows missing');
    for (const r of rows) {
      const i = Number(String(r.event_id).slice('load-'.length));
      const want = eventRow(JSON.parse(rowDoc(layout, i)) as ProcessEvent) as EventRow;
      const got: EventRow = {
        eventId: r.event_id as string,
        tsMs: Number(r.ms),
        host: r.host as string,
        hostHash: Number(r.host_hash),
        hostRaw: r.host_raw as string | null,
        entityId: r.entity_id as string,
        parentEntityId: r.parent_entity_id as string | null,
        parentRaw: r.parent_raw as string | null,
        childRaw: r.child_raw as string | null,
        parentName: r.parent_name as string,
        childName: r.child_name as string,
        commandLine: r.command_line as string | null,
        template: r.template as string,
        userName: r.user_name as string | null,
        doc: r.doc as string,
      };
      for (const k of Object.keys(want) as (keyof EventRow)[])
        if (got[k] !== want[k])
          throw new Error(
            `load data: row ${i} ${k} is ${got[k]}, an import would store ${want[k]}`,
          );
    }
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  const eventsMs = performance.now() - t0;

  const t1 = performance.now();
  const event = (i: number): ProcessEvent => JSON.parse(rowDoc(layout, i)) as ProcessEvent;
  const store = await openEmbeddedStore(dbPath);
  const communityIds: string[] = [];
  try {
    const slots = Math.ceil(opts.communities / hostCount);
    // Room between communities of one host, so no two share an event.
    const stride = Math.floor(opts.events / hostCount / slots);
    const batch: AnomalousCommunity[] = [];
    for (let c = 0; c < opts.communities; c++) {
      const h = c % hostCount;
      const slot = Math.floor(c / hostCount);
      const size = communitySize(c);
      if (size > stride) throw new Error('load data: too few events for these communities');
      const events = Array.from({ length: size }, (_, j) =>
        event(h + hostCount * (slot * stride + j)),
      );
      const first = Date.parse(events[0]!['@timestamp']);
      const last = Date.parse(events[size - 1]!['@timestamp']);
      const start = Math.floor(first / GRAPH_WINDOW_MS) * GRAPH_WINDOW_MS;
      const end = Math.ceil((last + 1) / GRAPH_WINDOW_MS) * GRAPH_WINDOW_MS;
      const community = fixtureCommunity({
        host: layout.hosts[h]!,
        window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
        events,
        tag: `load-${c}`,
        score: 0.5 + ((c * 7919) % 500) / 1000,
        maxAnomaly: 0.5 + ((c * 104_729) % 500) / 1000,
        rank: (c % 50) + 1,
        techniques: c % 3 === 0 ? ['T1059.001', 'T1087.002'] : ['T1059.003'],
      });
      communityIds.push(community.id);
      batch.push(community);
      if (batch.length === 1_000 || c === opts.communities - 1) {
        const r = await store.communities.writeCommunities(batch, {
          runId: `load-data-${c}`,
          detectedAt: new Date().toISOString(),
          replaced: [],
        });
        if (r.failed.length) throw new Error(`load data: ${r.failed[0]!.reason}`);
        batch.length = 0;
      }
    }
  } finally {
    await store.close();
  }
  const seen = new Map<string, { parent: string; child: string; commandLine: string }>();
  for (const p of protos)
    seen.set(`${p.derived.parentName}\u0000${p.derived.childName}`, {
      parent: p.derived.parentName,
      child: p.derived.childName,
      commandLine: p.derived.commandLine ?? '',
    });
  return {
    events: opts.events,
    hosts: layout.hosts,
    communityIds,
    pairs: [...seen.values()],
    eventsMs,
    communitiesMs: performance.now() - t1,
    event,
    communitySize,
  };
}
