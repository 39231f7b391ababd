/**
 * Route inputs of the webhook notifications (standalone host), kept apart from schemas.ts so the
 * notifications feature reads as one piece.
 */
import { z } from 'zod';

export const MAX_WEBHOOK_URLS = 10;

/** http or https, absolute, no credentials in the URL (they would show in the settings page). */
export const webhookUrl = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2048)
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must use http or https, not ${u.protocol}` });
    } else if (u.username || u.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain a user name or password: authenticate with the secret',
      });
    }
  });

export const notificationSettingsBody = z
  .object({
    urls: z
      .array(webhookUrl)
      .max(MAX_WEBHOOK_URLS, `at most ${MAX_WEBHOOK_URLS} webhook URLs`)
      .refine((a) => new Set(a).size === a.length, { message: 'must not repeat a URL' })
      .optional(),
    /** Write-only; null clears it. */
    secret: z.string().min(16, 'must be at least 16 characters').max(256).nullable().optional(),
  })
  .strict();
export type NotificationSettingsBody = z.infer<typeof notificationSettingsBody>;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const listDeliveriesQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const deliveryIdParams = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a delivery id'),
  })
  .strict();
