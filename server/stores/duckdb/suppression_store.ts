/**
 * Analyst suppression rules. The detection job reads them through `list` (the SuppressionSource
 * port), pre-filtered to the hosts it is about to process: environment-wide rules (no host)
 * always apply, host rules only to their host.
 */
import type { SuppressionRule } from '../../../common/types/community';
import { hostKey } from '../../lib/detection/names';
import type { SuppressionStore } from '../../ports';
import type { Database } from './database';

function checkRule(r: SuppressionRule): void {
  for (const f of [
    'id',
    'kind',
    'parentName',
    'childName',
    'createdBy',
    'createdAt',
    'reason',
  ] as const) {
    if (typeof r[f] !== 'string')
      throw new TypeError(`suppression rule ${String(r.id)}: ${f} must be a string`);
  }
  if (r.id.length === 0) throw new TypeError('suppression rule without id');
  if (r.kind !== 'pair' && r.kind !== 'community')
    throw new TypeError(`suppression rule ${r.id}: unknown kind ${r.kind}`);
  if (!Number.isFinite(Date.parse(r.createdAt)))
    throw new TypeError(`suppression rule ${r.id}: createdAt is not a date`);
}

export class DuckSuppressionStore implements SuppressionStore {
  constructor(private readonly db: Database) {}

  /** Upserts by id: the same verdict given again replaces the rule (latest author and reason). */
  async add(rules: readonly SuppressionRule[]): Promise<void> {
    if (rules.length === 0) return;
    rules.forEach(checkRule);
    await this.db.transaction(async (tx) => {
      for (const r of rules) {
        await tx.run(
          `INSERT OR REPLACE INTO suppressions
             (id, kind, parent_name, child_name, cmd_template, host, community_id, created_by, created_at, reason, doc)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            r.id,
            r.kind,
            r.parentName,
            r.childName,
            r.cmdTemplate ?? null,
            r.host ? hostKey(r.host) : null,
            r.communityId ?? null,
            r.createdBy,
            new Date(Date.parse(r.createdAt)),
            r.reason,
            JSON.stringify(r),
          ],
        );
      }
    });
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM suppressions WHERE id = $1', [id])) > 0;
  }

  async all(): Promise<SuppressionRule[]> {
    const rows = await this.db.all('SELECT doc FROM suppressions ORDER BY created_at, id');
    return rows.map((r) => JSON.parse(r.doc as string) as SuppressionRule);
  }

  async list(opts?: { hosts?: readonly string[] }): Promise<SuppressionRule[]> {
    if (!opts?.hosts) return this.all();
    const hosts = [...new Set(opts.hosts.map((h) => hostKey(h)))];
    const rows = await this.db.all(
      'SELECT doc FROM suppressions WHERE host IS NULL OR host IN (SELECT unnest($1)) ORDER BY created_at, id',
      [hosts],
    );
    return rows.map((r) => JSON.parse(r.doc as string) as SuppressionRule);
  }
}
