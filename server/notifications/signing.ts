/**
 * How a webhook receiver authenticates a ProblemChild notification and deduplicates it.
 *
 * Every POST carries
 *   x-problemchild-delivery:  the delivery id, the same on every retry of the same notification;
 *   x-problemchild-timestamp: Unix seconds of this attempt;
 *   x-problemchild-signature: `sha256=` + hex HMAC-SHA256 over `${timestamp}.${body}` keyed with
 *                             the configured secret (absent when no secret is set).
 * A receiver recomputes the HMAC over the raw body bytes, compares in constant time, rejects
 * timestamps too far from its clock (replays), and ignores delivery ids it has already processed
 * (delivery is at-least-once).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DELIVERY_HEADER = 'x-problemchild-delivery';
export const TIMESTAMP_HEADER = 'x-problemchild-timestamp';
export const SIGNATURE_HEADER = 'x-problemchild-signature';

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Constant-time check of a signature header; false for anything malformed. */
export function verifyWebhook(
  secret: string,
  timestamp: string,
  body: string,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
