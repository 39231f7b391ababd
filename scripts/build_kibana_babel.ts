/**
 * The server half of the Kibana plugin build: TypeScript → CommonJS with Babel, the way Kibana's
 * plugin helpers do it, and the module graph Kibana will load from `server/index.js`.
 *
 * Mirrors (read, not copied) elastic/kibana:
 * - packages/kbn-plugin-helpers/src/tasks/write_server_files.ts @1eaafca324f4 and
 *   transform_file_with_babel.ts @e3f4193cc397: each .ts/.js file goes through
 *   `Babel.transformAsync(source, { babelrc: false, configFile: false, sourceMaps: 'inline',
 *   filename, presets: ['@kbn/babel-preset/node_preset'] })` and is written as .js;
 * - packages/kbn-babel-preset/node_preset.js @0550b0386fd1: `@babel/preset-env` with
 *   `targets: { node: 'current' }`, `modules: 'cjs'`, `bugfixes: true` (plus `useBuiltIns:
 *   'entry'`, a no-op without an `import 'core-js'`), then common_preset.js: preset-typescript
 *   (`allowNamespaces: true`) and preset-react.
 * Differences, on purpose: the Node target is pinned to our engines floor (20.11) instead of
 * the building machine's version so the output does not depend on who builds; no preset-react
 * (no JSX on the server path). preset-env is what turns `await import('./plugin')` into a
 * `require`, as it does in Kibana; without it Node would resolve the extension-less specifier
 * as ESM and fail.
 */
import { transformAsync, type PluginObj } from '@babel/core';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';

/** Oldest Node our package.json `engines` accepts; Kibana 9.3 itself runs a newer Node 22. */
export const BABEL_NODE_TARGET = '20.11';

/**
 * Fails the build on what CommonJS cannot run: `import.meta` (a SyntaxError the moment Kibana
 * requires the file) and top-level await.
 */
const rejectEsmOnly: PluginObj = {
  name: 'problemchild-reject-esm-only',
  visitor: {
    MetaProperty(p) {
      if (p.node.meta.name === 'import') {
        throw p.buildCodeFrameError(
          'import.meta does not exist in CommonJS (the Kibana server path)',
        );
      }
    },
    AwaitExpression(p) {
      if (!p.getFunctionParent()) {
        throw p.buildCodeFrameError('top-level await cannot be compiled to CommonJS');
      }
    },
  },
};

export async function compileToCommonJs(file: string, source?: string): Promise<string> {
  const code = source ?? (await readFile(file, 'utf8'));
  const result = await transformAsync(code, {
    babelrc: false,
    configFile: false,
    sourceMaps: 'inline',
    filename: file,
    sourceType: 'module',
    plugins: [rejectEsmOnly],
    presets: [
      [
        '@babel/preset-env',
        { targets: { node: BABEL_NODE_TARGET }, modules: 'cjs', bugfixes: true },
      ],
      ['@babel/preset-typescript', { allowNamespaces: true }],
    ],
  });
  if (!result || typeof result.code !== 'string') {
    throw new Error(`babel produced no output for ${file}`);
  }
  return result.code;
}

/** `require("x")` calls in Babel's CommonJS output, including the ones dynamic imports become. */
export function requiredSpecifiers(code: string): string[] {
  const out: string[] = [];
  // Static imports come out double-quoted, dynamic ones keep the source's quotes. A require of
  // a computed name (an optional package probed at run time) has no literal and is not part
  // of the shipped graph.
  for (const m of code.matchAll(/\brequire\((["'])([^"']+)\1\)/g)) out.push(m[2]!);
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages Kibana itself provides to plugins at run time; never shipped in the zip. */
export function isKibanaProvided(specifier: string): boolean {
  return specifier.startsWith('@kbn/');
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js'];

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch {
    return false;
  }
}

async function resolveSource(fromFile: string, specifier: string): Promise<string> {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [
    ...SOURCE_EXTENSIONS.map((e) => base + e),
    ...SOURCE_EXTENSIONS.map((e) => path.join(base, 'index' + e)),
  ];
  for (const c of candidates) if (await exists(c)) return c;
  throw new Error(`cannot resolve ${specifier} from ${fromFile}`);
}

export interface CompiledTree {
  /** Repo-relative source path → compiled CommonJS (to be written with a .js extension). */
  files: Map<string, string>;
  /** Bare packages the compiled files require, other than Node built-ins and @kbn/*. */
  packages: Map<string, Set<string>>;
}

/**
 * Compiles `entries` and everything they require, following the compiled `require` calls (so
 * type-only imports, which Babel drops, do not pull files or packages in).
 */
export async function compileModuleGraph(root: string, entries: string[]): Promise<CompiledTree> {
  const files = new Map<string, string>();
  const packages = new Map<string, Set<string>>();
  const queue = entries.map((e) => path.resolve(root, e));
  while (queue.length > 0) {
    const file = queue.shift()!;
    const rel = path.relative(root, file);
    if (files.has(rel)) continue;
    if (rel.startsWith('..')) throw new Error(`${file} is outside the plugin folder`);
    const code = await compileToCommonJs(file);
    files.set(rel, code);
    for (const spec of requiredSpecifiers(code)) {
      if (spec.startsWith('.')) {
        queue.push(await resolveSource(file, spec));
      } else if (!isBuiltin(spec) && !isKibanaProvided(spec)) {
        const name = packageName(spec);
        if (!packages.has(name)) packages.set(name, new Set());
        packages.get(name)!.add(rel);
      }
    }
  }
  return { files, packages };
}

/** Source path → path in the plugin folder (`server/plugin.ts` → `server/plugin.js`). */
export function outputPath(rel: string): string {
  return rel.replace(/\.(tsx?|js)$/, '.js');
}
