/**
 * [Kibana glue] Plugin entry: the class is imported lazily so Kibana start-up does not pay for
 * TensorFlow.js until the plugin is actually set up.
 */
import type { ProblemChildConfig } from './config';
import type { PluginInitializerContext } from './kibana/contracts';

export { config } from './config';

export async function plugin(initializerContext: PluginInitializerContext<ProblemChildConfig>) {
  const { ProblemChildPlugin } = await import('./plugin');
  return new ProblemChildPlugin(initializerContext);
}
