/**
 * Score → EUI severity level (https://eui.elastic.co/docs/patterns/severity). Pure so the list,
 * the flyout and any server-side report agree on where "high" starts.
 */

/** EUI's six levels, in increasing order of concern. */
export const SEVERITY_LEVELS = [
  'unknown',
  'success',
  'neutral',
  'warning',
  'risk',
  'danger',
] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

/**
 * Lower bounds (inclusive) of each scored level. A community is only flagged at the detection
 * threshold (0.5 by default), so the bands are finer at the top where analysts choose what to
 * open first.
 */
export const SEVERITY_THRESHOLDS: ReadonlyArray<{ min: number; level: SeverityLevel }> = [
  { min: 0.9, level: 'danger' },
  { min: 0.75, level: 'risk' },
  { min: 0.5, level: 'warning' },
  { min: 0.25, level: 'neutral' },
  { min: 0, level: 'success' },
];

const LABELS: Record<SeverityLevel, string> = {
  unknown: 'Unknown',
  success: 'Low',
  neutral: 'Moderate',
  warning: 'Elevated',
  risk: 'High',
  danger: 'Critical',
};

/** Scores outside 0..1 are clamped; a missing or non-numeric score is `unknown`, never `success`. */
export function scoreToSeverity(score: number | null | undefined): SeverityLevel {
  if (typeof score !== 'number' || !Number.isFinite(score)) return 'unknown';
  const s = Math.min(1, Math.max(0, score));
  for (const t of SEVERITY_THRESHOLDS) if (s >= t.min) return t.level;
  return 'success';
}

export function severityLabel(level: SeverityLevel): string {
  return LABELS[level];
}

/** Two decimals: enough to order communities by eye without implying false precision. */
export function formatScore(score: number | null | undefined): string {
  if (typeof score !== 'number' || !Number.isFinite(score)) return '—';
  return Math.min(1, Math.max(0, score)).toFixed(2);
}
