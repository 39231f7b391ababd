/**
 * Columns derived from an event by engine functions (process names, host key, command-line
 * template). They are computed once at import so prevalence is a plain GROUP BY; the price is
 * that they go stale if those functions change in a later build, and then every command line
 * would read as "never seen" because the detection templates with the new rules. So the store
 * keeps a fingerprint of the functions' behaviour on fixed probes and re-derives the columns
 * when it changes (open time, rare).
 */
import { createHash } from 'node:crypto';
import type { ProcessEvent } from '../../../common/types/process_event';
import { commandLineTemplate } from '../../lib/detection/command_line_template';
import { hostKey, processName } from '../../lib/detection/names';
import { hostHash } from '../../partition';
import type { Database } from './database';

const NAME_PROBES = [
  undefined,
  '',
  'CMD.EXE',
  'C:\\Windows\\System32\\cmd.exe',
  '"C:\\Program Files\\App\\app.exe"',
  '/usr/bin/bash',
  '  Weird Name.EXE  ',
];
const HOST_PROBES = [undefined, '', ' WKS01.Corp.Local ', 'wks01', 'ÅSA-PC'];
const CMD_PROBES = [
  undefined,
  '',
  'cmd.exe /c whoami',
  '"C:\\Windows\\system32\\cmd.exe" /c dir C:\\Users\\alice\\AppData\\Local\\Temp\\x123.tmp',
  'powershell.exe -NoP -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
  'rundll32.exe C:\\Windows\\system32\\shell32.dll,Control_RunDLL "desk.cpl",,0',
  'svchost.exe -k netsvcs -p -s Schedule {1234ABCD-1234-1234-1234-123456789ABC} 10.1.2.3:445 0x1f 12345',
  'net.exe user admin /domain \\\\.\\pipe\\abc S-1-5-21-1-2-3-500 https://example.com/a?b=c',
  `"${'A'.repeat(100)}" '${'b'.repeat(90)}' ${'ab12'.repeat(20)}`,
];

/** Changes whenever processName, hostKey or commandLineTemplate behave differently. */
export function derivationFingerprint(): string {
  const h = createHash('sha256');
  for (const p of NAME_PROBES) h.update(`n\u0000${processName(p)}\n`);
  for (const p of HOST_PROBES) h.update(`h\u0000${hostKey(p)}\u0000${hostHash(p)}\n`);
  for (const p of CMD_PROBES) h.update(`c\u0000${commandLineTemplate(p)}\n`);
  return h.digest('hex').slice(0, 32);
}

/** The events-table row of one event, in column order (see schema.ts). */
export interface EventRow {
  eventId: string;
  tsMs: number;
  host: string;
  hostHash: number;
  hostRaw: string | null;
  entityId: string;
  parentEntityId: string | null;
  parentRaw: string | null;
  childRaw: string | null;
  parentName: string;
  childName: string;
  commandLine: string | null;
  template: string;
  userName: string | null;
  doc: string;
}

/** Why an event cannot be stored (the normaliser never produces these; hand-made input can). */
export type InvalidEventReason = 'missing_id' | 'missing_time' | 'missing_entity_id';

/**
 * Templating is the costliest part of preparing a row (a dozen regex passes) and real command
 * lines repeat heavily (service hosts, agents, updaters), so recent results are remembered.
 * The cache is simply dropped when full: bounded memory, no LRU bookkeeping per hit.
 */
const TEMPLATE_CACHE_MAX = 50_000;
const MAX_CACHED_CMD = 2_048;
const templateCache = new Map<string, string>();

function cachedTemplate(cmd: string | undefined): string {
  if (cmd === undefined || cmd.length > MAX_CACHED_CMD) return commandLineTemplate(cmd);
  let t = templateCache.get(cmd);
  if (t === undefined) {
    t = commandLineTemplate(cmd);
    if (templateCache.size >= TEMPLATE_CACHE_MAX) templateCache.clear();
    templateCache.set(cmd, t);
  }
  return t;
}

export function eventRow(e: ProcessEvent): EventRow | InvalidEventReason {
  const id = e.event?.id;
  if (typeof id !== 'string' || id.length === 0) return 'missing_id';
  const tsMs = Date.parse(e['@timestamp']);
  if (!Number.isFinite(tsMs)) return 'missing_time';
  const entityId = e.process?.entity_id;
  if (typeof entityId !== 'string' || entityId.length === 0) return 'missing_entity_id';
  const host = hostKey(e.host?.name);
  const parentRaw = e.process.parent?.name ?? e.process.parent?.executable ?? null;
  const childRaw = e.process.name ?? e.process.executable ?? null;
  return {
    eventId: id,
    tsMs,
    host,
    hostHash: hostHash(host),
    hostRaw: e.host?.name ?? null,
    entityId,
    parentEntityId: e.process.parent?.entity_id ?? null,
    parentRaw,
    childRaw,
    // Same expressions as InMemoryPrevalence.add, so both count the same keys.
    parentName: processName(e.process.parent?.name ?? e.process.parent?.executable),
    childName: processName(e.process.name ?? e.process.executable),
    commandLine: e.process.command_line ?? null,
    template: cachedTemplate(e.process.command_line),
    userName: e.user?.name ?? null,
    doc: JSON.stringify(e),
  };
}

const FINGERPRINT_KEY = 'derivation_fingerprint';

/**
 * Recomputes the derived columns when the engine's naming/templating changed since they were
 * written. Works on distinct raw values (far fewer than events), in one transaction.
 */
export async function refreshDerivedColumns(db: Database): Promise<{ refreshed: boolean }> {
  const current = derivationFingerprint();
  const rows = await db.all('SELECT value FROM meta WHERE key = $1', [FINGERPRINT_KEY]);
  const stored = rows[0]?.value as string | undefined;
  if (stored === current) return { refreshed: false };
  const count = await db.all('SELECT count(*) AS n FROM events');
  const hasEvents = Number(count[0]?.n ?? 0) > 0;
  await db.exclusive(async (w) => {
    if (hasEvents) {
      await w.transaction(async (tx) => {
        await rederive(
          tx,
          'host_raw',
          'host',
          (v) => hostKey(v),
          'host_hash',
          (v) => hostHash(v),
        );
        await rederive(tx, 'parent_raw', 'parent_name', (v) => processName(v));
        await rederive(tx, 'child_raw', 'child_name', (v) => processName(v));
        await rederive(tx, 'command_line', 'template', (v) => commandLineTemplate(v ?? undefined));
        await tx.run('INSERT OR REPLACE INTO meta VALUES ($1, $2)', [FINGERPRINT_KEY, current]);
      });
    } else {
      await w.run('INSERT OR REPLACE INTO meta VALUES ($1, $2)', [FINGERPRINT_KEY, current]);
    }
  });
  return { refreshed: hasEvents };
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

async function rederive(
  tx: Tx,
  source: 'host_raw' | 'parent_raw' | 'child_raw' | 'command_line',
  target: 'host' | 'parent_name' | 'child_name' | 'template',
  fn: (v: string | null) => string,
  target2?: 'host_hash',
  fn2?: (v: string | null) => number,
): Promise<void> {
  // Column names come from the literal unions above, never from input.
  const distinct = await tx.all(`SELECT DISTINCT ${source} AS v FROM events`);
  await tx.run('CREATE OR REPLACE TEMP TABLE derive_map (v VARCHAR, d VARCHAR, d2 UINTEGER)');
  const app = await tx.appender('derive_map', true);
  for (const r of distinct) {
    const v = (r.v as string | null) ?? null;
    if (v === null) app.appendNull();
    else app.appendVarchar(v);
    app.appendVarchar(fn(v));
    if (fn2) app.appendUInteger(fn2(v));
    else app.appendNull();
    app.endRow();
  }
  app.closeSync();
  const set = target2 ? `${target} = m.d, ${target2} = m.d2` : `${target} = m.d`;
  await tx.run(
    `UPDATE events SET ${set} FROM derive_map m WHERE events.${source} IS NOT DISTINCT FROM m.v`,
  );
  await tx.run('DROP TABLE derive_map');
}
