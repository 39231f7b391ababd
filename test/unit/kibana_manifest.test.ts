/**
 * Kibana refuses a plugin whose flat kibana.json breaks its manifest rules, and only finds out at
 * startup; check the same rules here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'kibana.json'), 'utf8')) as Record<
  string,
  unknown
>;
const ALLOWED_KEYS = new Set([
  'id',
  'version',
  'kibanaVersion',
  'owner',
  'description',
  'server',
  'ui',
  'requiredPlugins',
  'optionalPlugins',
  'requiredBundles',
  'runtimePluginDependencies',
  'configPath',
  'extraPublicDirs',
  'type',
  'enabledOnAnonymousPages',
]);

describe('kibana.json', () => {
  it('uses only keys the manifest parser accepts', () => {
    const unknown = Object.keys(manifest).filter((k) => !ALLOWED_KEYS.has(k));
    expect(unknown).toEqual([]);
  });

  it('has a camelCase id without dots, a string version and an owner name', () => {
    expect(manifest.id).toBe('problemChild');
    expect(manifest.id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(typeof manifest.version).toBe('string');
    expect((manifest.owner as { name?: unknown }).name).toEqual(expect.any(String));
  });

  it('runs on server and browser with the plugins the detection job and app need', () => {
    expect(manifest.server).toBe(true);
    expect(manifest.ui).toBe(true);
    expect(manifest.requiredPlugins).toEqual(
      expect.arrayContaining(['taskManager', 'share', 'features']),
    );
    // Nothing uses the data plugin; Discover (the drill-down) and encrypted saved objects (the
    // detection key) are optional: without them the app degrades and says why.
    expect(manifest.requiredPlugins).not.toContain('data');
    expect(manifest.optionalPlugins).toEqual(
      expect.arrayContaining(['discover', 'encryptedSavedObjects']),
    );
  });

  it('sets configPath so the documented problemChild.* keys are ours', () => {
    // plugin_manifest_parser.ts: configPath || snakeCase(id), and snakeCase('problemChild') is
    // 'problem_child'; configPath is a string or an array of strings.
    expect(manifest.configPath).toEqual(['problemChild']);
  });

  it('ships the models folder in the plugin build', () => {
    const helpers = JSON.parse(
      fs.readFileSync(path.join(root, '.kibana-plugin-helpers.json'), 'utf8'),
    ) as { serverSourcePatterns: string[] };
    expect(helpers.serverSourcePatterns).toContain('models/**/*');
    expect(helpers.serverSourcePatterns.some((p) => p.startsWith('standalone'))).toBe(false);
  });
});
