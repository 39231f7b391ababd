/** Job and UI settings: stored values over built-in defaults, one row per setting. */
import type { Settings, SettingsStore } from '../../ports';
import { DEFAULT_SETTINGS } from '../../default_settings';
import type { Database } from './database';

export { DEFAULT_SETTINGS };

const DURATION = /^\d+[smhd]$/;

/** Type checks per key; the routes validate ranges with zod before calling. */
const VALIDATORS: { [K in keyof Settings]: (v: unknown) => v is Settings[K] } = {
  threshold: (v): v is number => typeof v === 'number' && v >= 0 && v <= 1,
  interval: (v): v is string => typeof v === 'string' && DURATION.test(v),
  lookback: (v): v is string => typeof v === 'string' && DURATION.test(v),
  prevalence_lookback: (v): v is string => typeof v === 'string' && DURATION.test(v),
  indices: (v): v is string => typeof v === 'string' && v.length > 0,
  score_source: (v): v is Settings['score_source'] =>
    v === 'model' || v === 'elastic' || v === 'blend',
};

function isKey(k: string): k is keyof Settings {
  return Object.prototype.hasOwnProperty.call(VALIDATORS, k);
}

export class DuckSettingsStore implements SettingsStore {
  constructor(
    private readonly db: Database,
    private readonly defaults: Readonly<Settings> = DEFAULT_SETTINGS,
  ) {}

  async get(): Promise<Settings> {
    const out: Settings = { ...this.defaults };
    const rows = await this.db.all('SELECT key, value FROM settings');
    for (const r of rows) {
      const k = r.key as string;
      if (!isKey(k)) continue;
      const v: unknown = JSON.parse(r.value as string);
      // A value written by another build that this one does not accept falls back to the default.
      if (VALIDATORS[k](v)) (out as unknown as Record<string, unknown>)[k] = v;
    }
    return out;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    for (const [k, v] of entries) {
      if (!isKey(k)) throw new TypeError(`unknown setting ${k}`);
      if (!VALIDATORS[k](v)) throw new TypeError(`invalid value for ${k}: ${JSON.stringify(v)}`);
    }
    if (entries.length > 0) {
      await this.db.transaction(async (tx) => {
        for (const [k, v] of entries) {
          await tx.run('INSERT OR REPLACE INTO settings VALUES ($1, $2)', [k, JSON.stringify(v)]);
        }
      });
    }
    return this.get();
  }
}
