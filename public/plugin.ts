/**
 * [Kibana glue] Registers the analyst app in the Security nav group. Mounting imports
 * ./application lazily so Kibana's start-up bundle carries only this registration.
 */
import { APP_ID, PLUGIN_NAME } from '../common/constants';
import type {
  AppCategory,
  CoreSetup,
  PluginInitializerContext,
  ProblemChildStartDeps,
} from './kibana_contracts';

/** Same values as Kibana's DEFAULT_APP_CATEGORIES.security, which is not importable here. */
export const SECURITY_CATEGORY: AppCategory = {
  id: 'securitySolution',
  label: 'Security',
  order: 4000,
  euiIconType: 'logoSecurity',
};

export class ProblemChildPublicPlugin {
  constructor(_initializerContext: PluginInitializerContext) {}

  setup(core: CoreSetup<ProblemChildStartDeps>) {
    core.application.register({
      id: APP_ID,
      title: PLUGIN_NAME,
      category: SECURITY_CATEGORY,
      euiIconType: 'logoSecurity',
      async mount(params) {
        const [[coreStart, deps], { renderApp }] = await Promise.all([
          core.getStartServices(),
          import('./application'),
        ]);
        return renderApp(coreStart, deps, params);
      },
    });
    return {};
  }

  start() {
    return {};
  }

  stop() {}
}
