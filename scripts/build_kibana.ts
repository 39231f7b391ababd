/**
 * `npm run build:kibana`: the installable Kibana plugin, made without a Kibana checkout.
 *
 *   build/kibana/problemChild/   the plugin folder (kept, like `plugin-helpers build --skip-archive`)
 *   build/problemChild-9.3.2.zip `kibana/problemChild/…`, what `bin/kibana-plugin install` takes
 *
 * The steps follow elastic/kibana packages/kbn-plugin-helpers/src/cli.ts @1eaafca324f4
 * (`build`: optimize → writeServerFiles → yarnInstall → createArchive) with these differences:
 * - server files are the modules reachable from server/index.ts (plus common/), compiled to
 *   CommonJS (scripts/build_kibana_babel.ts), not a glob of server/**: server/ also holds the
 *   standalone host's and CLI's code, which needs DuckDB, tsx and worker threads;
 * - package.json is generated (no `"type": "module"`, which would make Node treat the compiled
 *   .js files as ESM) and node_modules comes from our pruned lockfile (build_kibana_deps.ts);
 * - the browser bundle comes from scripts/build_kibana_public.ts when it exists.
 *
 * Flags: --kibana-version X (default 9.3.2), --out-dir DIR (default build), --skip-archive,
 * --skip-browser.
 */
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileModuleGraph, compileToCommonJs, outputPath } from './build_kibana_babel';
import { installProductionDependencies } from './build_kibana_deps';
import { writeZip } from './build_kibana_zip';

/** The Kibana release this zip is for; `kibana-plugin install` refuses any other version. */
export const KIBANA_TARGET_VERSION = '9.3.2';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Folders (at any depth) that hold test support only, never loaded by the plugin. */
const TEST_ONLY = /(^|\/)(testing|test_support|__tests__|__fixtures__)\//;
const TEST_FILE = /\.(test|test\.mocks|mock|mocks)\.[^/]+$|\.d\.ts$/;

export interface BuildOptions {
  kibanaVersion?: string;
  /** Where `kibana/<id>/` and the zip go; default `<repo>/build`. */
  outDir?: string;
  skipArchive?: boolean;
  skipBrowser?: boolean;
  log?: (message: string) => void;
}

export interface BuildResult {
  pluginId: string;
  pluginDir: string;
  zipFile?: string;
  zipBytes?: number;
  serverFiles: string[];
  dependencies: Record<string, string>;
  lockedPackages: number;
  browser: 'built' | 'skipped' | 'missing';
  timingsMs: Record<string, number>;
}

async function listCommonSources(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) await walk(rel);
      else if (/\.tsx?$/.test(e.name) && !TEST_FILE.test(rel) && !TEST_ONLY.test(rel)) {
        out.push(rel);
      }
    }
  };
  await walk('common');
  return out.sort();
}

/** The manifest Kibana reads, with the exact version `kibana-plugin install` compares. */
export function builtManifest(source: Record<string, unknown>, kibanaVersion: string) {
  return { ...source, kibanaVersion };
}

/** package.json shipped beside the compiled code: CommonJS (no "type"), nothing but metadata. */
function builtPackageJson(source: Record<string, unknown>): Record<string, unknown> {
  const { name, version, description, license, private: isPrivate, engines } = source;
  return { name, version, description, license, private: isPrivate, engines };
}

type BrowserBuilder = (outDir: string) => Promise<unknown>;

/** H3's browser-bundle step, if present: writes target/public/<id>.plugin.js and friends. */
async function loadBrowserBuilder(): Promise<BrowserBuilder | undefined> {
  const file = path.join(REPO_ROOT, 'scripts', 'build_kibana_public.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { buildKibanaPublic?: BrowserBuilder };
  if (typeof mod.buildKibanaPublic !== 'function') {
    throw new Error('scripts/build_kibana_public.ts must export buildKibanaPublic(outDir)');
  }
  return mod.buildKibanaPublic;
}

export async function buildKibanaPlugin(opts: BuildOptions = {}): Promise<BuildResult> {
  const log = opts.log ?? ((m: string) => console.log(`[build:kibana] ${m}`));
  const kibanaVersion = opts.kibanaVersion ?? KIBANA_TARGET_VERSION;
  const outDir = path.resolve(opts.outDir ?? path.join(REPO_ROOT, 'build'));
  const timingsMs: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timingsMs[name] = Math.round(performance.now() - t0);
    }
  };

  const sourceManifest = JSON.parse(
    await readFile(path.join(REPO_ROOT, 'kibana.json'), 'utf8'),
  ) as Record<string, unknown>;
  const pluginId = String(sourceManifest.id);
  const kibanaDir = path.join(outDir, 'kibana');
  const pluginDir = path.join(kibanaDir, pluginId);
  await rm(kibanaDir, { recursive: true, force: true });
  await mkdir(pluginDir, { recursive: true });

  await writeFile(
    path.join(pluginDir, 'kibana.json'),
    JSON.stringify(builtManifest(sourceManifest, kibanaVersion), null, 2) + '\n',
  );

  const tree = await timed('server', async () => {
    const commonSources = await listCommonSources(REPO_ROOT);
    const graph = await compileModuleGraph(REPO_ROOT, ['server/index.ts', ...commonSources]);
    for (const rel of graph.files.keys()) {
      if (TEST_ONLY.test(rel) || TEST_FILE.test(rel)) {
        throw new Error(`${rel} is test support but the Kibana server path requires it`);
      }
    }
    for (const [rel, code] of graph.files) {
      const target = path.join(pluginDir, outputPath(rel));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, code);
    }
    return graph;
  });
  log(
    `compiled ${tree.files.size} server/common files; they require ${[...tree.packages.keys()].join(', ')}`,
  );

  await cp(path.join(REPO_ROOT, 'models'), path.join(pluginDir, 'models'), { recursive: true });

  const sourcePackage = JSON.parse(
    await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'),
  ) as Record<string, unknown>;
  const deps = await timed('dependencies', () =>
    installProductionDependencies({
      repoRoot: REPO_ROOT,
      pluginDir,
      roots: [...tree.packages.keys()],
      manifest: builtPackageJson(sourcePackage),
    }),
  );
  log(`node_modules: ${deps.lockedPackages} packages from package-lock.json`);

  let browser: BuildResult['browser'] = 'skipped';
  if (!opts.skipBrowser) {
    const buildPublic = await loadBrowserBuilder();
    if (buildPublic) {
      await timed('browser', () => buildPublic(pluginDir));
      browser = 'built';
    } else {
      // HOOK: scripts/build_kibana_public.ts (the optimizer-layout browser bundle) is not
      // there yet; the zip then has a server side only.
      log('scripts/build_kibana_public.ts not found: the zip has no browser bundle');
      browser = 'missing';
    }
  }

  const result: BuildResult = {
    pluginId,
    pluginDir,
    serverFiles: [...tree.files.keys()].map(outputPath).sort(),
    dependencies: deps.dependencies,
    lockedPackages: deps.lockedPackages,
    browser,
    timingsMs,
  };
  if (!opts.skipArchive) {
    const zipFile = path.join(outDir, `${pluginId}-${kibanaVersion}.zip`);
    result.zipBytes = await timed('zip', () => writeZip(kibanaDir, zipFile));
    result.zipFile = zipFile;
    log(`${path.relative(process.cwd(), zipFile)}: ${(result.zipBytes / 1e6).toFixed(1)} MB`);
  }
  return result;
}

/** Compiles one TypeScript file to CommonJS with the plugin's transform (used by tests). */
export async function compileFile(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, await compileToCommonJs(source));
}

function parseArgs(argv: string[]): BuildOptions {
  const opts: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--kibana-version') opts.kibanaVersion = value();
    else if (a === '--out-dir') opts.outDir = value();
    else if (a === '--skip-archive') opts.skipArchive = true;
    else if (a === '--skip-browser') opts.skipBrowser = true;
    else
      throw new Error(
        `unknown flag ${a} (known: --kibana-version, --out-dir, --skip-archive, --skip-browser)`,
      );
  }
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  buildKibanaPlugin(parseArgs(process.argv.slice(2)))
    .then(async (r) => {
      const size = r.zipFile ? (await stat(r.zipFile)).size : 0;
      console.log(
        `[build:kibana] done in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
          (r.zipFile ? ` (${size} bytes)` : ''),
      );
    })
    .catch((err: unknown) => {
      console.error(`[build:kibana] ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    });
}
