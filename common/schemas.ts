/**
 * Route inputs, one zod schema each: the single source of truth for the standalone server and
 * for Kibana's function validators.
 */
import { z } from 'zod';

const isoDate = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 date' });

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
    q: z.string().max(500).optional(),
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

export const runDetectionBody = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .strict()
  .optional();

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
    interval: z
      .string()
      .regex(/^\d+[smhd]$/, 'must look like 15m, 1h or 30s')
      .optional(),
    lookback: z
      .string()
      .regex(/^\d+[smhd]$/, 'must look like 45m, 2h or 1d')
      .optional(),
    prevalence_lookback: z
      .string()
      .regex(/^\d+[smhd]$/, 'must look like 30d')
      .optional(),
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
