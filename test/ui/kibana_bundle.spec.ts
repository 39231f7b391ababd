/**
 * The Kibana browser bundle, loaded the way Kibana loads it: a page that first provides the
 * shared-deps globals and the bundle registry (test/fakes/kibana_browser_*, each naming the
 * Kibana source it mirrors), then the plugin's `target/public/problemChild.plugin.js` from
 * Kibana's bundle URL layout. The plugin registers itself, its setup registers the app, and
 * mounting the app against a real standalone host's API renders the communities list.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { build } from 'vite';
import { buildKibanaPublicBundle, KBN_SHARED_DEPS } from '../../scripts/build_kibana_public';
import { API, callApi, screenshot, startTestHost, type TestHost } from './support';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KIBANA_VERSION = '9.3.2';
const PREFIX = '/__kbn_test__';
/** Kibana's bundle URL: `${bundlesHref}/plugin/${id}/${version}/${id}.plugin.js` (get_plugin_bundle_paths). */
const BUNDLE_PATH = `${PREFIX}/bundles/plugin/problemChild/${KIBANA_VERSION}/problemChild.plugin.js`;

/** Strings that only React, ReactDOM, EUI, Emotion or moment themselves contain. */
const LIBRARY_MARKERS = [
  '__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED',
  'euiFlyout',
  'euiBasicTable',
  'RFC2822 or ISO format',
  // @elastic/charts (the charts panel): Kibana's ElasticCharts shared dep.
  'echChartStatus',
];

const OURS = path.resolve(HERE, '../../node_modules');

function packagesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .flatMap((name) =>
      name.startsWith('@')
        ? fs.readdirSync(path.join(dir, name)).map((n) => `${name}/${n}`)
        : name.startsWith('.')
          ? []
          : [name],
    );
}

/**
 * KBN_TEST_EUI_DIR=<dir with node_modules/@elastic/eui and eui-theme-borealis> builds the fake
 * shared deps with that EUI instead of ours, to run the bundle on the EUI a Kibana release ships
 * (`npm install --prefix <dir> --legacy-peer-deps @elastic/eui@X @elastic/eui-theme-borealis@Y`).
 */
function sharedEuiOverride() {
  const dir = process.env.KBN_TEST_EUI_DIR;
  if (!dir) return undefined;
  const mods = path.join(path.resolve(dir), 'node_modules');
  return {
    alias: [
      { find: /^@elastic\/eui$/, replacement: path.join(mods, '@elastic/eui') },
      {
        find: /^@elastic\/eui-theme-borealis$/,
        replacement: path.join(mods, '@elastic/eui-theme-borealis'),
      },
    ],
    // EUI's peers (React, Emotion, moment, datemath) and what it imports without declaring
    // (stylis, @emotion/serialize) resolve from this repository: one copy each.
    dedupe: packagesIn(OURS).filter((p) => !packagesIn(mods).includes(p)),
  };
}

let host: TestHost;
let workDir: string;
let pluginJs: string;
let pageJs: string;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-kbn-bundle-'));
  const pluginBuild = await buildKibanaPublicBundle(path.join(workDir, 'plugin'));
  pluginJs = fs.readFileSync(pluginBuild.file, 'utf8');
  await build({
    configFile: false,
    logLevel: 'warn',
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    resolve: sharedEuiOverride(),
    build: {
      outDir: path.join(workDir, 'page'),
      emptyOutDir: true,
      copyPublicDir: false,
      minify: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 100_000,
      lib: {
        entry: path.resolve(HERE, '../fakes/kibana_browser_page.ts'),
        formats: ['iife'],
        name: '__kbnTestPage',
        fileName: () => 'kbn_test_page.js',
      },
    },
  });
  pageJs = fs.readFileSync(path.join(workDir, 'page/kbn_test_page.js'), 'utf8');
  host = await startTestHost();
});

test.afterAll(async () => {
  await host?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test('the bundle takes React, EUI, Emotion and moment from __kbnSharedDeps__ and bundles none', () => {
  for (const marker of LIBRARY_MARKERS) {
    // Each marker is real library code (present in the shared deps) and absent from the plugin.
    expect(pageJs, `shared deps should contain ${marker}`).toContain(marker);
    expect(pluginJs, `plugin bundle must not contain ${marker}`).not.toContain(marker);
  }
  expect(pluginJs.length).toBeLessThan(250_000);
  expect(pageJs.length).toBeGreaterThan(2_000_000);
  // Every global it reads is one of Kibana's shared deps, and React and EUI are among them.
  const read = new Set(pluginJs.match(/__kbnSharedDeps__\.[A-Za-z]+/g) ?? []);
  const globals = new Set(Object.values(KBN_SHARED_DEPS));
  for (const g of read) expect(globals.has(g), g).toBe(true);
  expect([...read]).toEqual(
    expect.arrayContaining([
      '__kbnSharedDeps__.React',
      '__kbnSharedDeps__.ElasticEui',
      '__kbnSharedDeps__.ElasticCharts',
    ]),
  );
  expect(pluginJs).toContain('__kbnBundles__.define(`plugin/problemChild/public`');
  expect(pluginJs).not.toMatch(/\bimport\s*\(|\brequire\(/);
});

test('Kibana-style page: the bundle registers, setup registers the app, mount lists communities', async ({
  page,
}) => {
  const errors: string[] = [];
  // Older EUIs load icons by dynamic import, which the single-file fake shared deps cannot
  // serve (Kibana's own shared deps can); a missing icon glyph is no fault of the plugin.
  const iconChunk = (text: string) =>
    Boolean(process.env.KBN_TEST_EUI_DIR) && text.includes(`${PREFIX}/assets/`);
  page.on('pageerror', (e) => {
    if (!iconChunk(e.message)) errors.push(e.message);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    // The browser logs the refused saved-search request below; that refusal is asserted there.
    if (url.endsWith(`${API}/discover/_saved_search`) || iconChunk(url + m.text())) return;
    errors.push(`${m.text()} (${url})`);
  });
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"><title>Kibana</title>',
    `<script src="${PREFIX}/kbn_test_page.js"></script>`,
    `<script src="${BUNDLE_PATH}"></script>`,
    '</head><body><div id="app" style="padding:16px"></div></body></html>',
  ].join('');
  const bundleRequests: string[] = [];
  await page.route(`${host.url}${PREFIX}/**`, async (route) => {
    const p = new URL(route.request().url()).pathname;
    bundleRequests.push(p);
    if (p === `${PREFIX}/index.html`) {
      return route.fulfill({ contentType: 'text/html', body: html });
    }
    if (p === `${PREFIX}/kbn_test_page.js`) {
      return route.fulfill({ contentType: 'application/javascript', body: pageJs });
    }
    if (p === BUNDLE_PATH) {
      return route.fulfill({ contentType: 'application/javascript', body: pluginJs });
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${host.url}${PREFIX}/index.html`);
  // Only the one plugin file was asked for: no chunk or asset is loaded from a public path.
  expect(bundleRequests.filter((p) => p.includes('/bundles/'))).toEqual([BUNDLE_PATH]);

  const registered = await page.evaluate((version) => {
    const w = window as unknown as {
      __kbnBundles__: { has(k: string): boolean };
      __kbnTest__: {
        readPlugin(name: string): (ctx: unknown) => {
          setup(core: unknown, deps: unknown): unknown;
          start(core: unknown, deps: unknown): unknown;
        };
        createFakeCore(o: unknown): {
          coreSetup: unknown;
          coreStart: unknown;
          registered: Array<{ id: string; title: string; category?: { id: string } }>;
        };
      };
      __fake?: unknown;
    };
    const initializer = w.__kbnTest__.readPlugin('problemChild');
    const fake = w.__kbnTest__.createFakeCore({
      kibanaVersion: version,
      capabilities: { problemChild: { show: true, triage: true, run: true } },
    });
    const instance = initializer({ env: { packageInfo: { version } } });
    instance.setup(fake.coreSetup, {});
    instance.start(fake.coreStart, {});
    w.__fake = fake;
    return {
      has: w.__kbnBundles__.has('plugin/problemChild/public'),
      apps: fake.registered.map((a) => ({ id: a.id, title: a.title, category: a.category?.id })),
    };
  }, KIBANA_VERSION);
  expect(registered).toEqual({
    has: true,
    apps: [{ id: 'problemChild', title: 'ProblemChild', category: 'securitySolution' }],
  });

  await page.evaluate(async () => {
    const w = window as unknown as {
      __fake: {
        registered: Array<{
          mount(p: { element: HTMLElement; history: unknown }): Promise<() => void>;
        }>;
      };
      __unmount?: () => void;
    };
    w.__unmount = await w.__fake.registered[0]!.mount({
      element: document.getElementById('app')!,
      history: {},
    });
  });

  // The demo data is from a fixed past day: the empty state offers the last run's window.
  const rows = page.getByTestId('communityRow');
  const lastWindow = page.getByTestId('showLastRunWindowButton');
  await expect(rows.first().or(lastWindow)).toBeVisible({ timeout: 20_000 });
  if (await lastWindow.isVisible()) await lastWindow.click();
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('.euiBasicTable, .euiTable').first()).toBeVisible();

  // The rows are the API's: every id shown is a community the host serves.
  const ids = await rows.evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-community-id') ?? ''),
  );
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids.slice(0, 3)) {
    const res = await callApi(host, 'GET', `/communities/${encodeURIComponent(id)}`);
    expect(res.status, id).toBe(200);
  }
  const requests = await page.evaluate(
    () => (window as unknown as { __fake: { requests: string[] } }).__fake.requests,
  );
  expect(requests).toContain(`GET ${API}/communities`);
  await screenshot(page, 'kibana_bundle_mounted');

  // Kibana's Discover locator is there, so the flyout offers Discover. This host has no Discover:
  // the saved-search request is refused and the app says so instead of navigating anywhere.
  await page.getByTestId('communityOpenLink').first().click();
  const discover = page.getByTestId('openInDiscoverButton');
  await expect(discover).toHaveText('Open in Discover');
  const refused = page.waitForResponse((r) => r.url().endsWith(`${API}/discover/_saved_search`));
  await discover.click();
  const answer = await refused;
  // Kibana's fetch sends kbn-version, not kbn-xsrf; the host accepts it as Kibana's XSRF check
  // does, so the answer is the route's own 404 "Discover is not available".
  expect(answer.status()).toBe(404);
  await expect
    .poll(() =>
      page.evaluate(() => (window as unknown as { __fake: { toasts: string[] } }).__fake.toasts),
    )
    .toEqual(['danger:Could not open Discover']);
  const after = await page.evaluate(() => {
    const f = (window as unknown as { __fake: { requests: string[]; navigations: unknown[] } })
      .__fake;
    return { requests: f.requests, navigations: f.navigations };
  });
  expect(after.requests).toContain(`POST ${API}/discover/_saved_search`);
  expect(after.navigations).toEqual([]);
  await page.getByTestId('communityFlyoutCloseButton').click();

  await page.evaluate(() => (window as unknown as { __unmount(): void }).__unmount());
  await expect(page.locator('#app')).toBeEmpty();
  expect(errors).toEqual([]);
});
