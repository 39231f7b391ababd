/**
 * Process names as the engine compares them: the lower-cased basename of whatever the source
 * gave (full path, bare name, or a quoted path), because the same binary is reported as
 * "C:\Windows\System32\cmd.exe", "cmd.exe" or "CMD.EXE" depending on the agent.
 */

const UNKNOWN = 'unknown';

export function processName(nameOrPath: string | undefined | null): string {
  if (!nameOrPath) return UNKNOWN;
  let s = nameOrPath.trim();
  if (s.startsWith('"')) s = s.slice(1);
  if (s.endsWith('"')) s = s.slice(0, -1);
  const cut = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
  const base = (cut >= 0 ? s.slice(cut + 1) : s).trim().toLowerCase();
  return base.length > 0 ? base : UNKNOWN;
}

/**
 * Sysmon and 4688 records of one machine differ in host-name case. The domain suffix is kept:
 * "workstation5.theshire.local" and "workstation5" can be different machines in merged data.
 */
export function hostKey(host: string | undefined | null): string {
  return (host ?? '').trim().toLowerCase() || UNKNOWN;
}
