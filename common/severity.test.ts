import { describe, expect, it } from 'vitest';
import { formatScore, scoreToSeverity, SEVERITY_LEVELS, severityLabel } from './severity';

describe('scoreToSeverity', () => {
  it.each([
    [0, 'success'],
    [0.24, 'success'],
    [0.25, 'neutral'],
    [0.49, 'neutral'],
    [0.5, 'warning'],
    [0.749, 'warning'],
    [0.75, 'risk'],
    [0.89, 'risk'],
    [0.9, 'danger'],
    [1, 'danger'],
  ] as const)('maps %s to %s', (score, level) => {
    expect(scoreToSeverity(score)).toBe(level);
  });

  it('clamps out-of-range scores instead of inventing a level', () => {
    expect(scoreToSeverity(-3)).toBe('success');
    expect(scoreToSeverity(7)).toBe('danger');
  });

  it('says unknown for missing or non-numeric scores', () => {
    expect(scoreToSeverity(undefined)).toBe('unknown');
    expect(scoreToSeverity(null)).toBe('unknown');
    expect(scoreToSeverity(Number.NaN)).toBe('unknown');
    expect(scoreToSeverity(Number.POSITIVE_INFINITY)).toBe('unknown');
  });

  it('is monotonic in the score', () => {
    let last = SEVERITY_LEVELS.indexOf('success');
    for (let i = 0; i <= 1000; i++) {
      const idx = SEVERITY_LEVELS.indexOf(scoreToSeverity(i / 1000));
      expect(idx).toBeGreaterThanOrEqual(last);
      last = idx;
    }
  });
});

describe('severityLabel / formatScore', () => {
  it('labels every level', () => {
    for (const l of SEVERITY_LEVELS) expect(severityLabel(l)).toMatch(/^[A-Z]/);
  });

  it('formats with two decimals and a dash for no score', () => {
    expect(formatScore(0.98765)).toBe('0.99');
    expect(formatScore(0)).toBe('0.00');
    expect(formatScore(undefined)).toBe('—');
  });
});
