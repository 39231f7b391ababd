/**
 * TEST SCORER, not the product model. A deterministic, hand-written function of the event
 * (parent/child names and command-line tokens) so that detection tests and the lineage
 * evaluation have realistic-looking edge weights before (and independently of) the trained
 * model in server/lib/model. Its weights are guesses, not fitted to anything.
 */
import type { ProcessEvent } from '../../../../common/types/process_event';
import type {
  EdgeScorer,
  FeatureContribution,
  ScoredEvent,
} from '../../../../common/types/scoring';
import { processName } from '../names';

const OFFICE = new Set([
  'winword.exe',
  'excel.exe',
  'powerpnt.exe',
  'outlook.exe',
  'msaccess.exe',
  'onenote.exe',
]);
const SHELLS = new Set([
  'cmd.exe',
  'powershell.exe',
  'pwsh.exe',
  'wscript.exe',
  'cscript.exe',
  'mshta.exe',
]);
const LOLBINS = new Set([
  'mshta.exe',
  'regsvr32.exe',
  'rundll32.exe',
  'certutil.exe',
  'bitsadmin.exe',
  'wmic.exe',
  'schtasks.exe',
  'msbuild.exe',
  'installutil.exe',
  'cmstp.exe',
  'hh.exe',
  'psexesvc.exe',
  'vssadmin.exe',
  'ntdsutil.exe',
  'reg.exe',
  'sc.exe',
]);
const DISCOVERY = new Set([
  'whoami.exe',
  'net.exe',
  'net1.exe',
  'nltest.exe',
  'systeminfo.exe',
  'ipconfig.exe',
  'tasklist.exe',
  'netstat.exe',
  'quser.exe',
  'arp.exe',
  'route.exe',
]);
const SCRIPT_PARENTS = new Set([
  'mshta.exe',
  'wscript.exe',
  'cscript.exe',
  'wmiprvse.exe',
  'psexesvc.exe',
  'rundll32.exe',
  'regsvr32.exe',
]);
const TOKENS: ReadonlyArray<[RegExp, string, number]> = [
  [/(?:^|\s)-e(?:nc|ncodedcommand|c)?\s+[a-z0-9+/=]{16,}/, 'encoded command', 0.55],
  [/downloadstring|downloadfile|net\.webclient|invoke-webrequest/, 'download cradle', 0.35],
  [/\biex\b|invoke-expression/, 'IEX', 0.3],
  [/-w(?:indowstyle)? hidden/, 'hidden window', 0.2],
  [/-nop\b|-noprofile/, 'no profile', 0.1],
  [/bypass/, 'execution policy bypass', 0.15],
  [/urlcache|\/transfer/, 'download LOLBin', 0.4],
  [/comsvcs|minidump|lsass/, 'LSASS access', 0.6],
  [/delete shadows|shadowcopy delete/, 'shadow copy deletion', 0.6],
  [/scrobj|\/i:http/, 'scriptlet', 0.5],
  [/process call create/, 'WMI process create', 0.4],
  [/\/domain|domain admins|\/dclist|domain_trusts/, 'domain discovery', 0.25],
  [
    /\\appdata\\local\\temp\\[^\\\s]+\.exe|\\users\\public\\[^\\\s]+\.exe/,
    'binary in temp/public',
    0.3,
  ],
  [/hklm\\sam|hklm\\security/, 'hive access', 0.5],
];

export function heuristicScore(e: ProcessEvent): {
  score: number;
  features: FeatureContribution[];
} {
  const parent = processName(e.process.parent.name ?? e.process.parent.executable);
  const child = processName(e.process.name ?? e.process.executable);
  const cmd = (e.process.command_line ?? '').toLowerCase();
  const features: FeatureContribution[] = [];
  const add = (feature: string, w: number): void => {
    features.push({ feature, contribution: w });
  };
  if (OFFICE.has(parent) && (SHELLS.has(child) || LOLBINS.has(child)))
    add(`parent→child: ${parent}→${child}`, 0.6);
  if (SCRIPT_PARENTS.has(parent) && (SHELLS.has(child) || LOLBINS.has(child)))
    add(`script host parent: ${parent}`, 0.4);
  if (LOLBINS.has(child)) add(`LOLBin: ${child}`, 0.3);
  if (DISCOVERY.has(child) && (SHELLS.has(parent) || SCRIPT_PARENTS.has(parent)))
    add(`discovery from a shell: ${child}`, 0.45);
  if (child === 'powershell.exe' && parent === 'cmd.exe') add('cmd.exe→powershell.exe', 0.1);
  for (const [re, name, w] of TOKENS) if (re.test(cmd)) add(`cmdline token: ${name}`, w);
  // Noisy-OR of the matched weights on top of a small base rate.
  let keep = 1 - 0.03;
  for (const f of features) keep *= 1 - f.contribution;
  const score = Math.min(0.99, Math.max(0.01, 1 - keep));
  features.sort((a, b) => b.contribution - a.contribution);
  return { score, features: features.slice(0, 5) };
}

export class HeuristicTestScorer implements EdgeScorer {
  readonly modelName = 'test-heuristic';
  async score(events: ProcessEvent[]): Promise<ScoredEvent[]> {
    return events.map((event) => {
      const { score, features } = heuristicScore(event);
      return { event, score, scoreSource: 'model', topFeatures: features };
    });
  }
}

export function scoreWithHeuristic(events: ProcessEvent[]): ScoredEvent[] {
  return events.map((event) => {
    const { score, features } = heuristicScore(event);
    return { event, score, scoreSource: 'model', topFeatures: features };
  });
}
