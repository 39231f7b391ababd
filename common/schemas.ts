/**
 * Route inputs, one zod schema each: the single source of truth for the standalone server and
 * for Kibana's function validators.
 */
import { z } from 'zod';

/**
 * ISO-8601 date-time with a zone, e.g. 2026-02-01T10:00:00Z or 2026-02-01T10:00:00.5+01:00.
 * Strict because `Date.parse` is not: it takes `1` (year 2001), `2026-02-30` (rolls into
 * March) and zone-less times (read as local time, so the answer depended on the server's zone).
 */
const ISO_DATE_TIME_RE =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** Whether `s` is a strict ISO-8601 date-time with a zone and a real calendar date and time. */
export function isStrictIsoDateTime(s: string): boolean {
  const m = ISO_DATE_TIME_RE.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, , zh, zm] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  // Day 0 of the next month is the last day of this one (leap years included); setUTCFullYear
  // has no two-digit-year quirk, unlike Date.UTC.
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  if (month < 1 || month > 12 || day < 1 || day > last.getUTCDate()) return false;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return false;
  if (zh !== undefined && (Number(zh) > 23 || Number(zm) > 59)) return false;
  return !Number.isNaN(Date.parse(s));
}

const isoDate = z.string().max(64).refine(isStrictIsoDateTime, {
  message: 'must be an ISO-8601 date-time with a zone, e.g. 2026-02-01T10:00:00Z',
});

/** Bounds on `q`: each term costs a scan of the community events, so the work stays bounded. */
export const MAX_SEARCH_TERMS = 16;
export const MAX_SEARCH_TERM_LENGTH = 100;

/** The words of a `q` search: whitespace-separated, empty ones dropped. */
export function searchTerms(q: string | undefined): string[] {
  return (q ?? '')
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

const searchQuery = z
  .string()
  .max(2_000)
  .refine((q) => searchTerms(q).length <= MAX_SEARCH_TERMS, {
    message: `at most ${MAX_SEARCH_TERMS} words`,
  })
  .refine((q) => searchTerms(q).every((t) => t.length <= MAX_SEARCH_TERM_LENGTH), {
    message: `each word at most ${MAX_SEARCH_TERM_LENGTH} characters`,
  });

export const TRIAGE_STATUSES = ['open', 'acknowledged', 'closed'] as const;
export const VERDICTS = ['benign', 'malicious'] as const;
export const SORT_FIELDS = [
  'rank',
  'max_score',
  'score',
  'host',
  'first_seen',
  'last_seen',
  'event_count',
  'status',
] as const;

export const listCommunitiesQuery = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    host: z.string().min(1).max(255).optional(),
    status: z.enum(TRIAGE_STATUSES).optional(),
    min_score: z.coerce.number().min(0).max(1).optional(),
    /** Exclusive upper bound on `score` (a score-histogram bar is [min_score, score_below)). */
    score_below: z.coerce.number().min(0).max(1).optional(),
    /** `firstSeen` in [first_seen_from, first_seen_to): a bar of the over-time chart. */
    first_seen_from: isoDate.optional(),
    first_seen_to: isoDate.optional(),
    /** Stored by a run at or after this time (`detectedAt`): the Kibana rule type's cursor. */
    detected_after: isoDate.optional(),
    q: searchQuery.optional(),
    include_unflagged: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    sort: z.enum(SORT_FIELDS).default('max_score'),
    direction: z.enum(['asc', 'desc']).default('desc'),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    per_page: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export type ListCommunitiesQuery = z.infer<typeof listCommunitiesQuery>;

/** The charts' aggregations: the list's filters, without paging or sorting. */
export const communityStatsQuery = listCommunitiesQuery.omit({
  sort: true,
  direction: true,
  page: true,
  per_page: true,
});
export type CommunityStatsQuery = z.infer<typeof communityStatsQuery>;

export const communityIdParams = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'invalid community id'),
  })
  .strict();

const triageFields = {
  status: z.enum(TRIAGE_STATUSES).optional(),
  assignee: z.string().max(256).nullable().optional(),
  note: z.string().max(10_000).optional(),
  verdict: z.enum(VERDICTS).nullable().optional(),
  /** Suppress this community's pattern in later runs (only with a benign verdict). */
  suppress: z.boolean().optional(),
};

export const triageBody = z
  .object({
    ...triageFields,
    /** The version the client last read; a stale one gets 409 instead of overwriting. */
    version: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).some((k) => k !== 'version'), {
    message: 'give at least one of status, assignee, note, verdict, suppress',
  })
  .refine((b) => !b.suppress || b.verdict === 'benign', {
    message: 'suppress requires verdict "benign"',
    path: ['suppress'],
  });
export type TriageBody = z.infer<typeof triageBody>;

export const bulkTriageBody = z
  .object({ ids: z.array(communityIdParams.shape.id).min(1).max(500), ...triageFields })
  .strict()
  .refine((b) => Object.keys(b).some((k) => k !== 'ids'), {
    message: 'give at least one of status, assignee, note, verdict, suppress',
  });
export type BulkTriageBody = z.infer<typeof bulkTriageBody>;

const DAY_MS = 86_400_000;

/**
 * The longest span one run-now may cover. A run cuts its span into graph windows per host and
 * keeps one record per window, so an unbounded span (year 1 to 9999) exhausts memory.
 */
export const MAX_RUN_RANGE_DAYS = 31;

/** Run bounds stay far from the ends of the Date range, so `to - lookback` is still a date. */
const runDate = isoDate.refine(
  (s) => {
    const t = Date.parse(s);
    return Number.isNaN(t) || (t >= 0 && t <= Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  },
  { message: 'must be between 1970 and 9999' },
);

export const runDetectionBody = z
  .object({ from: runDate.optional(), to: runDate.optional() })
  .strict()
  .refine(
    (b) =>
      b.from === undefined ||
      !(Date.parse(b.from) >= (b.to === undefined ? Date.now() : Date.parse(b.to))),
    { message: 'must be before to (or before now without to)', path: ['from'] },
  )
  .refine(
    (b) => {
      if (b.from === undefined) return true;
      const span = (b.to === undefined ? Date.now() : Date.parse(b.to)) - Date.parse(b.from);
      return !(span > MAX_RUN_RANGE_DAYS * DAY_MS);
    },
    { message: `a run covers at most ${MAX_RUN_RANGE_DAYS} days`, path: ['from'] },
  )
  .optional();

/** Comma-separated index patterns, as in the `indices` setting; none may be empty. */
const indexPatterns = z
  .string()
  .min(1)
  .max(2_000)
  .refine((s) => s.split(',').every((p) => p.trim().length > 0), {
    message: 'must be comma-separated index patterns, none empty',
  });

/**
 * Enabling detection (Kibana): the source index patterns the detection key may read; the
 * `indices` setting when absent.
 */
export const enableDetectionBody = z
  .object({ indices: indexPatterns.optional() })
  .strict()
  .optional();
export type EnableDetectionBody = z.infer<typeof enableDetectionBody>;

export const disableDetectionBody = z.object({}).strict().optional();

const DURATION_UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS };

/**
 * A setting duration such as 15m. Zero is refused because the job divides time by it, and a
 * ceiling keeps `now - duration` a representable date.
 */
function duration(example: string, maxDays: number) {
  return z
    .string()
    .max(32)
    .regex(/^\d+[smhd]$/, `must look like ${example}`)
    .refine(
      (s) => {
        const m = /^(\d+)([smhd])$/.exec(s);
        if (!m) return true;
        const ms = Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
        return ms > 0 && ms <= maxDays * DAY_MS;
      },
      { message: `must be longer than zero and at most ${maxDays}d` },
    );
}

export const prevalenceQuery = z
  .object({
    parent: z.string().min(1).max(512),
    child: z.string().min(1).max(512),
    command_line: z.string().max(32_768).optional(),
  })
  .strict();

export const settingsBody = z
  .object({
    threshold: z.number().min(0).max(1).optional(),
    interval: duration('15m, 1h or 30s', 7).optional(),
    lookback: duration('45m, 2h or 1d', 30).optional(),
    prevalence_lookback: duration('30d', 365).optional(),
    indices: z.string().min(1).max(2_000).optional(),
    score_source: z.enum(['model', 'elastic', 'blend']).optional(),
  })
  .strict();
export type SettingsBody = z.infer<typeof settingsBody>;

/** Field-level messages for a 400, in the shape both hosts return. */
export function formatZodError(
  where: string,
  err: z.ZodError,
): {
  message: string;
  errors: { field: string; message: string }[];
} {
  const errors = err.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  return {
    message: errors.map((e) => `[${e.field}]: ${e.message}`).join('; '),
    errors,
  };
}

export const suppressionIdParams = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'invalid suppression id'),
  })
  .strict();
