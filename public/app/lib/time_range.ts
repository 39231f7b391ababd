/** EuiSuperDatePicker ranges ("now-24h") → absolute ISO times for the API. */
import dateMath from '@elastic/datemath';

export interface ResolvedRange {
  from: string;
  to: string;
}

/** Checked first so moment never falls back to `new Date(junk)` (and logs a deprecation). */
function readable(text: string): boolean {
  if (text.startsWith('now')) return true;
  const anchor = text.split('||')[0] ?? '';
  return anchor !== '' && !Number.isNaN(Date.parse(anchor));
}

/** `undefined` when either end does not parse; the end rounds up so "now/d" covers the day. */
export function resolveTimeRange(
  start: string,
  end: string,
  now?: Date,
): ResolvedRange | undefined {
  if (!readable(start) || !readable(end)) return undefined;
  const from = dateMath.parse(start, { forceNow: now });
  const to = dateMath.parse(end, { roundUp: true, forceNow: now });
  if (!from?.isValid() || !to?.isValid()) return undefined;
  return { from: from.toISOString(), to: to.toISOString() };
}
