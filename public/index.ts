/**
 * [Kibana glue] Browser plugin entry. Kibana calls it synchronously; the app itself is only
 * loaded when the user opens it (see plugin.ts).
 */
import type { PluginInitializerContext } from './kibana_contracts';
import { ProblemChildPublicPlugin } from './plugin';

export function plugin(initializerContext: PluginInitializerContext) {
  return new ProblemChildPublicPlugin(initializerContext);
}
