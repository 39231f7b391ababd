import { describe, expect, it } from 'vitest';
import { hasGuidStart } from './text_scan';

const REGEX = /[0-9a-f]{8}-[0-9a-f]{4}-/;

describe('hasGuidStart', () => {
  it('agrees with the regex it replaces', () => {
    const cases = [
      '',
      '{0a1b2c3d-0000-1111-2222-333344445555}',
      'x 0a1b2c3d-00001111-',
      '0a1b2c3d-000-',
      '0a1b2c3-d000-1-',
      'deadbeefdeadbeef-cafe-',
      'DEADBEEF-CAFE-',
      '-a-b-c--------',
      'abcdefab-abcd',
      'abcdefab-abcd-',
      'zzabcdefab-abcd-zz',
      '12345678-1234',
    ];
    // Random text over a small alphabet that makes near misses common.
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    for (let n = 0; n < 5000; n++) {
      let s = '';
      for (let i = 0; i < 40; i++) s += '0a9f-gZ'[Math.floor(rand() * 7)];
      cases.push(s);
    }
    for (const c of cases) expect(hasGuidStart(c), c).toBe(REGEX.test(c));
  });
});
