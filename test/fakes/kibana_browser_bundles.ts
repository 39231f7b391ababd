/**
 * Fake of Kibana's browser bundle registry and plugin reader, as Kibana's page sets them up:
 * - `window.__kbnBundles__` = kbnBundlesLoader() from elastic/kibana
 *   src/core/packages/rendering/server-internal/src/bootstrap/render_template.ts
 *   @ d68edda908a0a2abf1b82b1882b33840dfc978d1: `define(key, bundleRequire, bundleModuleKey)`
 *   throws on a second definition, `get(key)` calls `bundleRequire(bundleModuleKey)`;
 * - readPlugin() = `read(name)` of src/core/packages/plugins/browser-internal/src/plugin_reader.ts
 *   @ 0a2f207aad7b1d14932d6ee061a45720b4145991 (key `plugin/<id>/public`, a `plugin` function
 *   export), and PluginWrapper.createPluginInstance in plugin.ts at the same commit (the instance
 *   must define `setup` and `start`).
 */
export interface KbnBundles {
  has(key: string): boolean;
  define(key: string, bundleRequire: (moduleKey: unknown) => unknown, moduleKey: unknown): void;
  get(key: string): unknown;
}

declare global {
  interface Window {
    __kbnBundles__?: KbnBundles;
  }
}

export function kbnBundlesLoader(): KbnBundles {
  const modules: Record<string, { bundleRequire(k: unknown): unknown; bundleModuleKey: unknown }> =
    {};
  const has = (key: string) => Object.prototype.hasOwnProperty.call(modules, key);
  return {
    has,
    define(key, bundleRequire, bundleModuleKey) {
      if (has(key)) throw new Error(`__kbnBundles__ already has a module defined for "${key}"`);
      modules[key] = { bundleRequire, bundleModuleKey };
    },
    get(key) {
      if (!has(key)) throw new Error(`__kbnBundles__ does not have a module defined for "${key}"`);
      const m = modules[key]!;
      return m.bundleRequire(m.bundleModuleKey);
    },
  };
}

export interface PluginInstance {
  setup(core: unknown, plugins: unknown): unknown;
  start(core: unknown, plugins: unknown): unknown;
  stop?(): void;
}

export function readPlugin(name: string): (ctx: unknown) => PluginInstance {
  const bundles = window.__kbnBundles__;
  const exportId = `plugin/${name}/public`;
  if (!bundles?.has(exportId)) {
    throw new Error(`Definition of plugin "${name}" not found and may have failed to load.`);
  }
  const pluginExport = bundles.get(exportId) as { plugin?: unknown } | undefined;
  if (typeof pluginExport?.plugin !== 'function') {
    throw new Error(`Definition of plugin "${name}" should either be a function or a module.`);
  }
  const initializer = pluginExport.plugin as (ctx: unknown) => PluginInstance;
  return (ctx) => {
    const instance = initializer(ctx);
    if (typeof instance.setup !== 'function') {
      throw new Error(`Instance of plugin "${name}" does not define "setup" function.`);
    }
    if (typeof instance.start !== 'function') {
      throw new Error(`Instance of plugin "${name}" does not define "start" function.`);
    }
    return instance;
  };
}
