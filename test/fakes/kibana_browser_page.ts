/**
 * Entry of the test page that stands in for Kibana's: shared deps first, then the bundle
 * registry, exactly the globals a plugin bundle finds when Kibana loads it; the fake core and
 * plugin reader are exposed for the spec to drive. See the three files imported for sources.
 */
import './kibana_browser_shared_deps';
import { kbnBundlesLoader, readPlugin } from './kibana_browser_bundles';
import { createFakeCore } from './kibana_browser_core';

declare global {
  interface Window {
    __kbnTest__?: { readPlugin: typeof readPlugin; createFakeCore: typeof createFakeCore };
  }
}

window.__kbnBundles__ = kbnBundlesLoader();
window.__kbnTest__ = { readPlugin, createFakeCore };
