import type { ProcessEvent } from '../../common/types/process_event';
import { mulberry32 } from '../../server/lib/prng';

const PAIRS: [string, string][] = [
  ['services.exe', 'svchost.exe'],
  ['svchost.exe', 'taskhostw.exe'],
  ['explorer.exe', 'chrome.exe'],
  ['chrome.exe', 'chrome.exe'],
  ['explorer.exe', 'winword.exe'],
  ['winword.exe', 'powershell.exe'],
  ['cmd.exe', 'whoami.exe'],
  ['cmd.exe', 'net.exe'],
  ['net.exe', 'net1.exe'],
  ['wmiprvse.exe', 'powershell.exe'],
  ['userinit.exe', 'explorer.exe'],
  ['svchost.exe', 'wmiprvse.exe'],
];

/** Deterministic ProcessEvents with a skewed pair distribution, for store smoke tests. */
export function smokeEvents(n: number, seed: number): ProcessEvent[] {
  const rnd = mulberry32(seed);
  const base = Date.parse('2026-01-05T00:00:00Z');
  const out: ProcessEvent[] = [];
  for (let i = 0; i < n; i++) {
    const [parent, child] = PAIRS[Math.floor(rnd() ** 2 * PAIRS.length)]!;
    const host = `ws-${String(Math.floor(rnd() * 20)).padStart(3, '0')}`;
    out.push({
      '@timestamp': new Date(base + i * 1_000).toISOString(),
      host: { name: host },
      event: { category: ['process'], type: ['start'], action: 'start', id: `smoke-${i}` },
      process: {
        entity_id: `${host}-${i}`,
        pid: 1_000 + i,
        name: child,
        executable: `C:\\Windows\\System32\\${child}`,
        command_line: `${child} /arg ${i % 17}`,
        parent: { entity_id: `${host}-p${i}`, name: parent, pid: 500 + (i % 300) },
      },
      user: { name: 'alice', domain: 'CORP' },
      problemchild: { sources: [{ kind: 'file', file: 'smoke', line: i + 1, format: 'ecs' }] },
    });
  }
  return out;
}
