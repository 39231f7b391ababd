import { describe, expect, it } from 'vitest';
import { compileToCommonJs, packageName, requiredSpecifiers } from './build_kibana_babel';

describe('the Kibana server transform', () => {
  it('turns imports, re-exports and dynamic imports into requires and drops type-only imports', async () => {
    const code = await compileToCommonJs(
      '/p/server/index.ts',
      [
        "import type { Client } from '@elastic/elasticsearch';",
        "import { z } from 'zod';",
        "export { config } from './config';",
        'export async function plugin(c: Client) {',
        "  const { P } = await import('./plugin');",
        '  return new P(c, z);',
        '}',
      ].join('\n'),
    );
    expect(requiredSpecifiers(code).sort()).toEqual(['./config', './plugin', 'zod']);
    expect(code).not.toMatch(/\bimport\(/);
  });

  it('refuses what CommonJS cannot run, naming the construct', async () => {
    await expect(
      compileToCommonJs('/p/a.ts', 'export const here = import.meta.url;'),
    ).rejects.toThrow(/import\.meta does not exist in CommonJS/);
    await expect(
      compileToCommonJs('/p/b.ts', 'export const x = await Promise.resolve(1);'),
    ).rejects.toThrow(/top-level await/);
  });

  it('names packages by their scope and name', () => {
    expect(packageName('@tensorflow/tfjs-core/dist/x')).toBe('@tensorflow/tfjs-core');
    expect(packageName('graphology/utils')).toBe('graphology');
  });
});
