import { describe, expect, it } from 'vitest';
import type { StoredCommunity } from '../../api_types';
import { parseMinScore } from '../filters_bar/filters_bar';
import { triageChange } from './triage_form';

const community = {
  triage: { status: 'open', assignee: 'ana', note: 'n', verdict: 'benign', history: [] },
} as unknown as StoredCommunity;
const same = {
  status: 'open',
  assignee: 'ana',
  note: 'n',
  verdict: 'benign',
  suppress: false,
} as const;

describe('triageChange', () => {
  it('sends only what changed', () => {
    expect(triageChange(community, same)).toEqual({});
    expect(triageChange(community, { ...same, status: 'closed' })).toEqual({ status: 'closed' });
    expect(triageChange(community, { ...same, assignee: '  ' })).toEqual({ assignee: null });
    expect(triageChange(community, { ...same, verdict: '' })).toEqual({ verdict: null });
  });

  it('repeats an unchanged benign verdict next to suppress, as the API requires', () => {
    expect(triageChange(community, { ...same, suppress: true })).toEqual({
      verdict: 'benign',
      suppress: true,
    });
    expect(triageChange(community, { ...same, verdict: 'malicious', suppress: true })).toEqual({
      verdict: 'malicious',
    });
  });
});

describe('parseMinScore', () => {
  it('accepts 0..1, treats empty as no filter and flags the rest', () => {
    expect(parseMinScore('')).toBeUndefined();
    expect(parseMinScore('0.75')).toBe(0.75);
    expect(parseMinScore('1')).toBe(1);
    expect(parseMinScore('1.5')).toBe('invalid');
    expect(parseMinScore('abc')).toBe('invalid');
  });
});
