/**
 * Builds the browser half of the Kibana plugin in the layout Kibana's optimizer gives it, without
 * a Kibana checkout: `<pluginDir>/target/public/problemChild.plugin.js` (+ `.br`).
 *
 * Mirrors, as read in elastic/kibana:
 * - packages/kbn-optimizer/src/worker/webpack.config.ts @ 0353e6250021e31986621dc2d3c5e6e472dfc421:
 *   output `${bundle.id}.${bundle.type}.js` in the plugin's `target/public`, externals taken
 *   from @kbn/ui-shared-deps-src, production mode and minified for dist builds;
 * - packages/kbn-optimizer/src/worker/entry_point_creator.ts @ 099ae46089c0cd3451519b3f141f89869ca1a722:
 *   the entry only calls `__kbnBundles__.define('plugin/<id>/public', bundleRequire, moduleKey)`;
 * - src/platform/packages/private/kbn-ui-shared-deps-src/src/definitions.js
 *   @ 0703cc83e8d8e6d265fc6262e964986c61798655: the `__kbnSharedDeps__.<Name>` globals below;
 * - packages/kbn-plugin-helpers/src/tasks/brotli_compress_bundles.ts
 *   @ 3882e308d31da978e80f12a3ae0f589e96636ab9: a `.br` beside every bundle.
 *
 * Where it differs from the optimizer (see README): one file, no `problemChild.chunk.<n>.js` —
 * the lazily imported ./application is inlined, since an IIFE cannot be split; webpack's
 * runtime, public-path setter and `metrics.json` are absent because nothing here needs them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { build, type Plugin } from 'vite';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Kibana's shared browser dependencies: module id → global, as in definitions.js (see above). Each
 * one is read from `window.__kbnSharedDeps__` when the bundle loads and never bundled.
 */
export const KBN_SHARED_DEPS: Readonly<Record<string, string>> = {
  '@kbn/ui-theme': '__kbnSharedDeps__.KbnUiTheme',
  '@kbn/i18n': '__kbnSharedDeps__.KbnI18n',
  '@kbn/i18n-react': '__kbnSharedDeps__.KbnI18nReact',
  '@emotion/cache': '__kbnSharedDeps__.EmotionCache',
  '@emotion/react': '__kbnSharedDeps__.EmotionReact',
  jquery: '__kbnSharedDeps__.Jquery',
  moment: '__kbnSharedDeps__.Moment',
  'moment-timezone': '__kbnSharedDeps__.MomentTimezone',
  react: '__kbnSharedDeps__.React',
  'react-dom': '__kbnSharedDeps__.ReactDom',
  'react-dom/server': '__kbnSharedDeps__.ReactDomServer',
  'react-router': '__kbnSharedDeps__.ReactRouter',
  'react-router-dom': '__kbnSharedDeps__.ReactRouterDom',
  'react-use': '__kbnSharedDeps__.ReactUse',
  'styled-components': '__kbnSharedDeps__.StyledComponents',
  rxjs: '__kbnSharedDeps__.Rxjs',
  '@elastic/numeral': '__kbnSharedDeps__.ElasticNumeral',
  '@elastic/charts': '__kbnSharedDeps__.ElasticCharts',
  '@kbn/datemath': '__kbnSharedDeps__.KbnDatemath',
  '@elastic/eui': '__kbnSharedDeps__.ElasticEui',
  '@elastic/eui/lib/components/provider/nested':
    '__kbnSharedDeps__.ElasticEuiLibComponentsUseIsNestedEuiProvider',
  '@elastic/eui/lib/services/theme/warning': '__kbnSharedDeps__.ElasticEuiLibServicesThemeWarning',
  '@elastic/eui-theme-borealis': '__kbnSharedDeps__.ElasticEuiThemeBorealis',
  '@hello-pangea/dnd': '__kbnSharedDeps__.HelloPangeaDnd',
  lodash: '__kbnSharedDeps__.Lodash',
  'lodash/fp': '__kbnSharedDeps__.LodashFp',
  tslib: '__kbnSharedDeps__.TsLib',
  uuid: '__kbnSharedDeps__.Uuid',
  history: '__kbnSharedDeps__.History',
  classnames: '__kbnSharedDeps__.Classnames',
};

/**
 * Packages Kibana supplies whose code must never end up in the bundle, whatever path imports them
 * (a subpath such as `@elastic/eui/es/...` is not in the externals map and would be bundled).
 */
const NEVER_BUNDLED =
  /^(react|react-dom|scheduler|@elastic\/eui|@elastic\/charts|@emotion\/[^/]+|moment)(\/|$)/;

/** `react-dom/client` is not a shared dep; it only re-exports react-dom's createRoot (React 18). */
const REACT_DOM_CLIENT_SHIM = [
  "import ReactDom from 'react-dom';",
  'export const createRoot = ReactDom.createRoot;',
  'export const hydrateRoot = ReactDom.hydrateRoot;',
].join('\n');

export interface KibanaPublicBuild {
  pluginId: string;
  bundleId: string;
  file: string;
  bytes: number;
}

function readPluginId(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'kibana.json'), 'utf8')) as {
    id?: unknown;
  };
  if (typeof manifest.id !== 'string' || manifest.id === '') {
    throw new Error('kibana.json: "id" must be a non-empty string');
  }
  return manifest.id;
}

const ENTRY_ID = 'virtual:kbn-plugin-entry';
const RESOLVED_ENTRY = '\0kbn-plugin-entry';

function kibanaBundlePlugin(bundleId: string): Plugin {
  const CLIENT = '\0kbn-react-dom-client';
  const SHARED = '\0kbn-shared-dep:';
  const publicIndex = path.join(REPO_ROOT, 'public/index.ts');
  // Webpack passes a module id; any stable key serves, since only bundleRequire reads it.
  const moduleKey = './public/index.ts';
  return {
    name: 'problem-child-kibana-bundle',
    enforce: 'pre',
    resolveId(id, importer) {
      // Vite's library mode hands the entry over resolved against the root.
      if (id === ENTRY_ID || id.endsWith(`/${ENTRY_ID}`)) return RESOLVED_ENTRY;
      if (id === 'react-dom/client') return CLIENT;
      if (id in KBN_SHARED_DEPS) return SHARED + id;
      if (NEVER_BUNDLED.test(id)) {
        throw new Error(
          `${importer ?? 'entry'} imports ${id}: Kibana supplies that package, and this path is ` +
            'not one of its shared-deps globals; import the package root instead',
        );
      }
      return null;
    },
    load(id) {
      if (id === CLIENT) return REACT_DOM_CLIENT_SHIM;
      // Webpack's `var` externals: the module is whatever the global holds. A CommonJS stub, so
      // both `import` and a bundled package's `require()` (e.g. @elastic/datemath → moment) get it.
      if (id.startsWith(SHARED))
        return `module.exports = ${KBN_SHARED_DEPS[id.slice(SHARED.length)]};`;
      if (id !== RESOLVED_ENTRY) return null;
      return [
        `import * as pluginPublic from ${JSON.stringify(publicIndex)};`,
        `__kbnBundles__.define(${JSON.stringify(bundleId)}, function bundleRequire(key) {`,
        `  if (key !== ${JSON.stringify(moduleKey)}) throw new Error('unknown module ' + key);`,
        '  return pluginPublic;',
        `}, ${JSON.stringify(moduleKey)});`,
      ].join('\n');
    },
  };
}

/** Writes `<pluginDir>/target/public/<id>.plugin.js` and its brotli twin. */
export async function buildKibanaPublic(pluginDir: string): Promise<void> {
  await buildKibanaPublicBundle(pluginDir);
}

export async function buildKibanaPublicBundle(pluginDir: string): Promise<KibanaPublicBuild> {
  const pluginId = readPluginId();
  const bundleId = `plugin/${pluginId}/public`;
  const outDir = path.resolve(pluginDir, 'target/public');
  const fileName = `${pluginId}.plugin.js`;
  await build({
    configFile: false,
    root: REPO_ROOT,
    logLevel: 'warn',
    mode: 'production',
    define: {
      'process.env.NODE_ENV': JSON.stringify('production'),
      'process.env.IS_KIBANA_DISTRIBUTABLE': JSON.stringify('true'),
    },
    // Classic JSX: React.createElement on the shared React, so no react/jsx-runtime is bundled.
    oxc: { jsx: { runtime: 'classic' } },
    plugins: [kibanaBundlePlugin(bundleId)],
    build: {
      outDir,
      emptyOutDir: true,
      copyPublicDir: false,
      sourcemap: false,
      minify: true,
      target: 'es2020',
      reportCompressedSize: false,
      lib: {
        entry: ENTRY_ID,
        formats: ['iife'],
        name: '__problemChildBundle',
        fileName: () => fileName,
      },
      // An IIFE has no code splitting: import('./application') is inlined.
    },
  });
  const file = path.join(outDir, fileName);
  const code = fs.readFileSync(file);
  fs.writeFileSync(
    `${file}.br`,
    zlib.brotliCompressSync(code, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY },
    }),
  );
  return { pluginId, bundleId, file, bytes: code.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = path.resolve(process.argv[2] ?? REPO_ROOT);
  buildKibanaPublicBundle(dir).then(
    (r) => console.log(`${path.relative(process.cwd(), r.file)}: ${r.bytes} bytes (${r.bundleId})`),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
