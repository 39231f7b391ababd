/**
 * Time parameters are strict ISO-8601 date-times with a zone, and `q` is bounded in words and
 * word length, each refused with a 400 naming the field (issue 18, findings 3 and 6).
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_SEARCH_TERMS,
  MAX_SEARCH_TERM_LENGTH,
  communityStatsQuery,
  formatZodError,
  isStrictIsoDateTime,
  listCommunitiesQuery,
  runDetectionBody,
} from './schemas';

function fields(r: { success: boolean; error?: unknown }): string[] {
  if (r.success) return [];
  return formatZodError('query', r.error as never).errors.map((e) => e.field);
}

describe('time parameters', () => {
  it.each([
    '1',
    '2026',
    '2026-02-01',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-02-01T00:00:00',
    '2026-02-01 10:00:00Z',
    '2026-02-01T24:00:00Z',
    '2026-02-01T10:60:00Z',
    '2026-02-01T10:00:00+25:00',
    'Sun, 01 Feb 2026 10:00:00 GMT',
  ])('refuses %j naming the field', (v) => {
    for (const field of ['from', 'to', 'first_seen_from', 'first_seen_to', 'detected_after']) {
      expect(fields(listCommunitiesQuery.safeParse({ [field]: v }))).toEqual([`query.${field}`]);
      expect(fields(communityStatsQuery.safeParse({ [field]: v }))).toEqual([`query.${field}`]);
    }
    expect(runDetectionBody.safeParse({ from: v }).success).toBe(false);
  });

  it.each([
    '2026-02-01T10:00:00Z',
    '2026-02-01T10:00Z',
    '2026-02-01T10:00:00.123Z',
    '2024-02-29T23:59:59.999999+01:00',
    '2026-02-01T10:00:00-05:30',
  ])('accepts %j', (v) => {
    expect(isStrictIsoDateTime(v)).toBe(true);
    expect(listCommunitiesQuery.safeParse({ from: v }).success).toBe(true);
  });
});

describe('q', () => {
  it(`takes up to ${MAX_SEARCH_TERMS} words of up to ${MAX_SEARCH_TERM_LENGTH} characters`, () => {
    const words = Array.from({ length: MAX_SEARCH_TERMS }, (_, i) => `w${i}`.padEnd(100, 'x'));
    expect(listCommunitiesQuery.safeParse({ q: words.join(' ') }).success).toBe(true);
  });

  it('refuses more words, or a longer word, naming query.q', () => {
    const many = Array.from({ length: 250 }, (_, i) => `w${i}`).join(' ');
    expect(fields(listCommunitiesQuery.safeParse({ q: many }))).toEqual(['query.q']);
    const long = 'x'.repeat(MAX_SEARCH_TERM_LENGTH + 1);
    expect(fields(listCommunitiesQuery.safeParse({ q: long }))).toEqual(['query.q']);
    expect(fields(communityStatsQuery.safeParse({ q: many }))).toEqual(['query.q']);
  });
});
