import { TRIAGE_STATUSES, VERDICTS } from '../../common/schemas';
import type { AnomalousCommunity } from '../../common/types/community';
import type { TriagePatch } from '../ports';

/** A community's times, parsed once; both stores index by them. */
export interface CommunityTimes {
  windowStart: number;
  windowEnd: number;
  firstSeen: number;
  lastSeen: number;
}

function ms(s: unknown): number {
  return typeof s === 'string' ? Date.parse(s) : NaN;
}

function finiteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Why a community cannot be stored (both stores refuse the same ones and report the reason in
 * WriteReport.failed), or its parsed times.
 */
export function validateCommunity(c: AnomalousCommunity): CommunityTimes | string {
  if (typeof c?.id !== 'string' || c.id.length === 0) return 'missing id';
  if (typeof c.host !== 'string') return 'missing host';
  const windowStart = ms(c.window?.start);
  const windowEnd = ms(c.window?.end);
  if (!Number.isFinite(windowStart) || !Number.isFinite(windowEnd)) return 'invalid window';
  const firstSeen = ms(c.firstSeen);
  const lastSeen = ms(c.lastSeen);
  if (!Number.isFinite(firstSeen) || !Number.isFinite(lastSeen)) {
    return 'invalid firstSeen/lastSeen';
  }
  if (![c.score, c.maxAnomaly, c.maxEdgeScore, c.rank].every(finiteNumber)) {
    return 'invalid score/rank';
  }
  return { windowStart, windowEnd, firstSeen, lastSeen };
}

/** Validates a triage patch at the store boundary too: the routes validate, other callers may not. */
export function checkTriagePatch(patch: TriagePatch): void {
  if (patch.status !== undefined && !TRIAGE_STATUSES.includes(patch.status)) {
    throw new TypeError(`invalid status ${JSON.stringify(patch.status)}`);
  }
  if (patch.verdict !== undefined && patch.verdict !== null && !VERDICTS.includes(patch.verdict)) {
    throw new TypeError(`invalid verdict ${JSON.stringify(patch.verdict)}`);
  }
  if (
    patch.assignee !== undefined &&
    patch.assignee !== null &&
    typeof patch.assignee !== 'string'
  ) {
    throw new TypeError('assignee must be a string or null');
  }
  if (patch.note !== undefined && typeof patch.note !== 'string') {
    throw new TypeError('note must be a string');
  }
}
