import { describe, expect, it } from 'vitest';
import { ApiError } from '../api_client';
import { describeError } from './errors';
import { formatDuration, formatOffset } from './format';
import { resolveTimeRange } from './time_range';

describe('resolveTimeRange', () => {
  const now = new Date('2024-05-01T12:34:56.789Z');

  it('resolves datemath against now, rounding the end up', () => {
    expect(resolveTimeRange('now-24h', 'now', now)).toEqual({
      from: '2024-04-30T12:34:56.789Z',
      to: '2024-05-01T12:34:56.789Z',
    });
    const day = resolveTimeRange('now/d', 'now/d', now)!;
    expect(day.to.endsWith('59.999Z')).toBe(true);
    expect(Date.parse(day.to) - Date.parse(day.from)).toBe(86_400_000 - 1);
  });

  it('accepts absolute ISO times and refuses garbage', () => {
    expect(resolveTimeRange('2024-01-05T00:00:00.000Z', '2024-01-06T00:00:00.000Z')).toEqual({
      from: '2024-01-05T00:00:00.000Z',
      to: '2024-01-06T00:00:00.000Z',
    });
    expect(resolveTimeRange('yesterday-ish', 'now', now)).toBeUndefined();
    expect(resolveTimeRange('', 'now', now)).toBeUndefined();
  });
});

describe('describeError', () => {
  it('says what to do for each kind of failure', () => {
    expect(describeError(new ApiError(0, 'Could not reach'), 'load communities')).toMatchObject({
      title: 'Could not load communities',
      message: 'Could not reach',
    });
    expect(describeError(new ApiError(403, 'Forbidden.'), 'save').title).toMatch(/not allowed/);
    expect(describeError(new ApiError(401, 'x'), 'save').message).toMatch(/Sign in again/);
    expect(
      describeError(
        new ApiError(400, '[query.page]: bad', {
          errors: [{ field: 'query.page', message: 'bad' }],
        }),
        'load',
      ).message,
    ).toBe('query.page: bad');
    expect(describeError(new ApiError(503, 'down.'), 'load').message).toMatch(/server log/);
    expect(describeError(new TypeError('boom'), 'load')).toEqual({
      title: 'Could not load',
      message: 'boom',
    });
  });
});

describe('format', () => {
  it('formats durations and offsets', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(5_400)).toBe('5.4 s');
    expect(formatDuration(61_234)).toBe('1 min 1 s');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatOffset('2024-01-01T00:00:00Z', '2024-01-01T00:00:04Z')).toBe('+4.0 s');
    expect(formatOffset('2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBe('+0 s');
  });
});
