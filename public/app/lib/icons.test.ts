import { ICON_TYPES } from '@elastic/eui';
import { describe, expect, it } from 'vitest';
import { ICONS, pickIcon } from './icons';

describe('icons', () => {
  it('resolves every icon to one the running EUI knows', () => {
    const known = new Set<string>(ICON_TYPES as readonly string[]);
    for (const name of Object.values(ICONS)) expect(known.has(name), name).toBe(true);
  });

  it('falls back to an older name, and to the preferred one when none is known', () => {
    expect(pickIcon('noSuchIcon', 'cross')).toBe('cross');
    expect(pickIcon('noSuchIcon', 'alsoMissing')).toBe('noSuchIcon');
  });
});
