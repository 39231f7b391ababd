/**
 * MITRE ATT&CK tactics and parent techniques of the techniques server/lib/detection/attack_mapping.ts
 * can suggest, so an alert can fill ECS `threat.tactic.*` and split `T1059.001` into technique
 * `T1059` and sub-technique `T1059.001` as ECS and Elastic Security expect. From ATT&CK Enterprise
 * (https://attack.mitre.org/techniques/enterprise/); a unit test checks every technique the mapping
 * can emit is listed here.
 */

export interface AttackRef {
  id: string;
  name: string;
  reference: string;
}

const TACTICS = {
  TA0001: 'Initial Access',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0011: 'Command and Control',
  TA0040: 'Impact',
} as const;
type TacticId = keyof typeof TACTICS;

/** Parent technique → its name and the tactics it serves. */
const TECHNIQUES: Record<string, { name: string; tactics: TacticId[] }> = {
  T1003: { name: 'OS Credential Dumping', tactics: ['TA0006'] },
  T1016: { name: 'System Network Configuration Discovery', tactics: ['TA0007'] },
  T1018: { name: 'Remote System Discovery', tactics: ['TA0007'] },
  T1021: { name: 'Remote Services', tactics: ['TA0008'] },
  T1027: { name: 'Obfuscated Files or Information', tactics: ['TA0005'] },
  T1033: { name: 'System Owner/User Discovery', tactics: ['TA0007'] },
  T1047: { name: 'Windows Management Instrumentation', tactics: ['TA0002'] },
  T1049: { name: 'System Network Connections Discovery', tactics: ['TA0007'] },
  T1053: { name: 'Scheduled Task/Job', tactics: ['TA0002', 'TA0003', 'TA0004'] },
  T1057: { name: 'Process Discovery', tactics: ['TA0007'] },
  T1059: { name: 'Command and Scripting Interpreter', tactics: ['TA0002'] },
  T1069: { name: 'Permission Groups Discovery', tactics: ['TA0007'] },
  T1070: { name: 'Indicator Removal', tactics: ['TA0005'] },
  T1082: { name: 'System Information Discovery', tactics: ['TA0007'] },
  T1087: { name: 'Account Discovery', tactics: ['TA0007'] },
  T1105: { name: 'Ingress Tool Transfer', tactics: ['TA0011'] },
  T1112: { name: 'Modify Registry', tactics: ['TA0005'] },
  T1127: { name: 'Trusted Developer Utilities Proxy Execution', tactics: ['TA0005'] },
  T1136: { name: 'Create Account', tactics: ['TA0003'] },
  T1140: { name: 'Deobfuscate/Decode Files or Information', tactics: ['TA0005'] },
  T1197: { name: 'BITS Jobs', tactics: ['TA0005', 'TA0003'] },
  T1204: { name: 'User Execution', tactics: ['TA0002'] },
  T1218: { name: 'System Binary Proxy Execution', tactics: ['TA0005'] },
  T1482: { name: 'Domain Trust Discovery', tactics: ['TA0007'] },
  T1490: { name: 'Inhibit System Recovery', tactics: ['TA0040'] },
  T1547: { name: 'Boot or Logon Autostart Execution', tactics: ['TA0003', 'TA0004'] },
  T1548: { name: 'Abuse Elevation Control Mechanism', tactics: ['TA0004', 'TA0005'] },
  T1562: { name: 'Impair Defenses', tactics: ['TA0005'] },
  T1566: { name: 'Phishing', tactics: ['TA0001'] },
  T1569: { name: 'System Services', tactics: ['TA0002'] },
};

const techniqueUrl = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;

/** Whether `id` (`T1059` or `T1059.001`) has a known parent technique and tactics. */
export function isKnownTechnique(id: string): boolean {
  return TECHNIQUES[id.split('.')[0]!] !== undefined;
}

export interface ThreatRefs {
  tactics: AttackRef[];
  techniques: AttackRef[];
  subtechniques: AttackRef[];
}

/**
 * Tactics, parent techniques and sub-techniques of a community's techniques, deduplicated and in
 * a stable order. Sub-technique names are the ones the mapping gives (`PowerShell`); unknown ids
 * are kept as techniques without a tactic rather than dropped.
 */
export function threatRefs(techniques: readonly { id: string; name: string }[]): ThreatRefs {
  const tactics = new Map<string, AttackRef>();
  const parents = new Map<string, AttackRef>();
  const subs = new Map<string, AttackRef>();
  for (const t of [...techniques].sort((a, b) => a.id.localeCompare(b.id))) {
    const [parentId] = t.id.split('.') as [string];
    const known = TECHNIQUES[parentId];
    for (const tac of known?.tactics ?? []) {
      tactics.set(tac, {
        id: tac,
        name: TACTICS[tac],
        reference: `https://attack.mitre.org/tactics/${tac}/`,
      });
    }
    if (!parents.has(parentId)) {
      parents.set(parentId, {
        id: parentId,
        name: known?.name ?? (parentId === t.id ? t.name : parentId),
        reference: techniqueUrl(parentId),
      });
    }
    if (t.id !== parentId)
      subs.set(t.id, { id: t.id, name: t.name, reference: techniqueUrl(t.id) });
  }
  const byId = (a: AttackRef, b: AttackRef) => a.id.localeCompare(b.id);
  return {
    tactics: [...tactics.values()].sort(byId),
    techniques: [...parents.values()].sort(byId),
    subtechniques: [...subs.values()].sort(byId),
  };
}
