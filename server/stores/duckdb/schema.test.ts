import { afterEach, describe, expect, it } from 'vitest';
import { Database } from './database';
import { MIGRATIONS, migrate } from './schema';

const utf16 = (t: string) => Buffer.from(t, 'utf16le').toString('base64');

describe('migration 2: decoded commands', () => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('adds the column and fills it for community events stored before it existed', async () => {
    db = await Database.open(':memory:');
    // A store written by the build before migration 2.
    await db.run(
      'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
    );
    const v1 = MIGRATIONS[0]!;
    for (const s of v1.statements) await db.run(s);
    await db.run('INSERT INTO schema_version VALUES (1, $1, $2)', [v1.description, new Date()]);
    const rows: Array<[string, string, string | null, string | null]> = [
      ['c1', 'e1', `powershell -nop -enc ${utf16('Invoke-Mimikatz')}`, 'cmd.exe /c x'],
      ['c1', 'e2', 'cmd.exe /c whoami', null],
      ['c2', 'e3', null, `"C:\\pwsh.exe" -ec ${utf16('Get-Secret')}`],
    ];
    for (const r of rows) {
      await db.run(
        'INSERT INTO community_events (community_id, event_id, command_line, parent_command_line) VALUES ($1, $2, $3, $4)',
        r,
      );
    }
    expect(await migrate(db)).toEqual({ from: 1, to: MIGRATIONS[MIGRATIONS.length - 1]!.version });
    const got = await db.all(
      'SELECT event_id, decoded_command FROM community_events ORDER BY event_id',
    );
    expect(got).toEqual([
      { event_id: 'e1', decoded_command: 'Invoke-Mimikatz' },
      { event_id: 'e2', decoded_command: null },
      { event_id: 'e3', decoded_command: 'Get-Secret' },
    ]);
  });
});
