/**
 * The length budget of the text passes: a 6 MB command line (a forged record) overflowed V8's
 * regex engine in the base64 pass ("Maximum call stack size exceeded") and failed whole runs.
 * Every pass now sees at most MAX_TEXT_LENGTH characters; below that nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { techniquesForEvent } from '../detection/attack_mapping';
import { processEvent } from '../detection/testing/events';
import { MAX_TEXT_LENGTH, textBudget } from '../text_scan';
import { eventTokenKeys } from './features';
import {
  commandLineSignals,
  normaliseCommandLine,
  normaliseName,
  normalisePath,
} from './text_normalise';

const MIB = 1 << 20;
const B64 = 'SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA';
const long = (n: number, unit = B64) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

describe('text budget', () => {
  it('handles a 6 MB base64 command line in every pass', () => {
    const cmd = `powershell.exe -nop -enc ${long(6 * MIB)}`;
    const t0 = performance.now();
    expect(commandLineSignals(cmd, true)).toMatchObject({ hasBase64: true, hasEncodedFlag: true });
    expect(normaliseCommandLine(cmd)).toContain('<b64>');
    expect(normalisePath(`C:\\${long(6 * MIB)}`).length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(normaliseName(long(6 * MIB)).length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    const e = processEvent({ entity: 'x', name: 'powershell.exe', cmd });
    expect(techniquesForEvent(e).map((t) => t.id)).toContain('T1027');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('handles 6 MB URLs, user folders and UNC paths', () => {
    for (const cmd of [
      `cmd /c start http://${long(6 * MIB, 'a')}`,
      `cmd /c type C:\\Users\\${long(6 * MIB, 'b')}\\x`,
      `cmd /c dir \\\\${long(6 * MIB, 'c')}`,
      `cmd /c echo ${long(6 * MIB, '1.')}`,
    ]) {
      commandLineSignals(cmd, false);
      expect(normaliseCommandLine(cmd).length).toBeGreaterThan(0);
    }
  });

  it('changes nothing for text within the budget', () => {
    const within = `powershell.exe -enc ${long(MAX_TEXT_LENGTH - 20)}`;
    expect(within.length).toBe(MAX_TEXT_LENGTH);
    expect(textBudget(within)).toBe(within);
    // Past the budget, the passes see exactly the text within it.
    const past = `${within}${long(100_000, 'Zz9+')}`;
    expect(commandLineSignals(past, true)).toEqual(commandLineSignals(within, true));
    expect(normaliseCommandLine(past)).toBe(normaliseCommandLine(within));
  });

  it('extracts features of an event with a 6 MB command line', () => {
    const e = processEvent({
      entity: 'x',
      name: 'powershell.exe',
      cmd: `powershell -enc ${long(6 * MIB)}`,
    });
    expect(eventTokenKeys(e)).toContain('cmd:<b64>');
  });
});
