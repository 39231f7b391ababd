/** EuiSuperDatePicker ranges ("now-24h") → absolute ISO times for the API. */
import dateMath from '@elastic/datemath';

export interface ResolvedRange {
  from: string;
  to: string;
}

/** `undefined` when either end does not parse; the end rounds up so "now/d" covers the day. */
export function resolveTimeRange(
  start: string,
  end: string,
  now?: Date,
): ResolvedRange | undefined {
  const from = dateMath.parse(start, { forceNow: now });
  const to = dateMath.parse(end, { roundUp: true, forceNow: now });
  if (!from?.isValid() || !to?.isValid()) return undefined;
  return { from: from.toISOString(), to: to.toISOString() };
}
