/**
 * Analyst "benign" verdicts turned into rules that discount the same pattern in later runs.
 *
 * Matching (all comparisons on normalised values):
 *  - parentName and childName: lower-cased basenames, always required;
 *  - cmdTemplate: when present, the edge's command-line template must be equal (a raw command
 *    line in a rule is templated first, so a rule can be written by hand);
 *  - host: when present, the edge must be on that host.
 * A matched edge's anomaly is multiplied by `suppressedFactor` (0 by default). A community whose
 * every driving edge is matched is not flagged at all, even if the discounted remainder would
 * still reach the threshold: the analyst has judged exactly the steps that made it stand out.
 */
import { createHash } from 'node:crypto';
import type {
  AnomalousCommunity,
  SuppressionKind,
  SuppressionRule,
} from '../../../common/types/community';
import { commandLineTemplate } from './command_line_template';
import { hostKey, processName } from './names';

export interface SuppressionSource {
  /** Every active rule. Implementations may pre-filter by host when asked. */
  list(opts?: { hosts?: readonly string[] }): Promise<SuppressionRule[]>;
}

export class StaticSuppressionSource implements SuppressionSource {
  constructor(private readonly rules: readonly SuppressionRule[]) {}
  async list(): Promise<SuppressionRule[]> {
    return [...this.rules];
  }
}

export interface EdgePattern {
  parentName: string;
  childName: string;
  template: string;
  host: string;
}

interface CompiledRule {
  rule: SuppressionRule;
  template?: string;
  host?: string;
}

export class SuppressionMatcher {
  private readonly byPair = new Map<string, CompiledRule[]>();
  readonly size: number;

  constructor(rules: readonly SuppressionRule[]) {
    for (const rule of rules) {
      const key = `${processName(rule.parentName)}\u0000${processName(rule.childName)}`;
      const compiled: CompiledRule = {
        rule,
        template:
          rule.cmdTemplate === undefined || rule.cmdTemplate === ''
            ? undefined
            : commandLineTemplate(rule.cmdTemplate),
        host: rule.host ? hostKey(rule.host) : undefined,
      };
      const list = this.byPair.get(key);
      if (list) list.push(compiled);
      else this.byPair.set(key, [compiled]);
    }
    this.size = rules.length;
  }

  /** Rules matching this edge (empty when none). */
  match(edge: EdgePattern): SuppressionRule[] {
    const list = this.byPair.get(
      `${processName(edge.parentName)}\u0000${processName(edge.childName)}`,
    );
    if (!list) return [];
    const host = hostKey(edge.host);
    const out: SuppressionRule[] = [];
    for (const c of list) {
      if (c.template !== undefined && c.template !== edge.template) continue;
      if (c.host !== undefined && c.host !== host) continue;
      out.push(c.rule);
    }
    return out;
  }
}

function ruleId(parts: readonly (string | undefined)[]): string {
  return createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

export interface VerdictAuthor {
  createdBy: string;
  reason: string;
  createdAt?: string;
  /** Limit the rules to the host the verdict was given on (default: environment-wide). */
  hostScoped?: boolean;
}

/** A rule for one parent→child step, optionally narrowed to one command-line shape and host. */
export function pairRule(
  pattern: { parentName: string; childName: string; cmdTemplate?: string; host?: string },
  author: VerdictAuthor,
): SuppressionRule {
  const parentName = processName(pattern.parentName);
  const childName = processName(pattern.childName);
  const cmdTemplate =
    pattern.cmdTemplate === undefined ? undefined : commandLineTemplate(pattern.cmdTemplate);
  const host = pattern.host ? hostKey(pattern.host) : undefined;
  return {
    id: ruleId(['pair', parentName, childName, cmdTemplate, host]),
    kind: 'pair',
    parentName,
    childName,
    cmdTemplate,
    host,
    createdBy: author.createdBy,
    createdAt: author.createdAt ?? new Date().toISOString(),
    reason: author.reason,
  };
}

/**
 * The rules a "benign" verdict on a community writes: one per distinct (parent, child, template)
 * among its driving edges (those whose anomaly reached the floor), or among all its edges if none
 * did. The templates make them narrower than pair rules: only the same shapes are suppressed.
 */
export function rulesFromCommunityVerdict(
  community: AnomalousCommunity,
  author: VerdictAuthor,
  minEdgeAnomaly = 0.1,
): SuppressionRule[] {
  const driving = community.edges.filter((e) => e.score * e.prevalence.rarity >= minEdgeAnomaly);
  const edges = driving.length > 0 ? driving : community.edges;
  const host = author.hostScoped ? hostKey(community.host) : undefined;
  const seen = new Set<string>();
  const out: SuppressionRule[] = [];
  const kind: SuppressionKind = 'community';
  for (const e of edges) {
    const id = ruleId([kind, e.parentName, e.childName, e.commandLineTemplate, host, community.id]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      kind,
      parentName: e.parentName,
      childName: e.childName,
      cmdTemplate: e.commandLineTemplate,
      host,
      communityId: community.id,
      createdBy: author.createdBy,
      createdAt: author.createdAt ?? new Date().toISOString(),
      reason: author.reason,
    });
  }
  return out;
}
