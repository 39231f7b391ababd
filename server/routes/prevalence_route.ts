import { API_BASE } from '../../common/constants';
import { prevalenceQuery } from '../../common/schemas';
import { commandLineTemplate } from '../lib/detection/command_line_template';
import { describeCmdlinePrevalence, describePairPrevalence } from '../lib/detection/prevalence';
import { processName } from '../lib/detection/names';
import { parseWindow } from '../lib/detection/windowing';
import { defineRoute, ok } from './route_types';

/** How common a parent→child step (and optionally a command line) is across the environment. */
export const prevalenceRoute = defineRoute({
  method: 'get',
  path: `${API_BASE}/prevalence`,
  privilege: 'read',
  validate: { query: prevalenceQuery },
  async handler(ctx, { query }) {
    const settings = await ctx.stores.settings.get();
    const end = new Date();
    const start = new Date(end.getTime() - parseWindow(settings.prevalence_lookback));
    const service = await ctx.stores.prevalence.forWindow({
      start: start.toISOString(),
      end: end.toISOString(),
    });
    const env = await service.environment();
    const parentName = processName(query.parent);
    const childName = processName(query.child);
    const [pair] = await service.childGivenParent([{ parentName, childName }]);
    const body: Record<string, unknown> = {
      environment: env,
      pair,
      pairText: pair ? describePairPrevalence(pair, env) : undefined,
    };
    if (query.command_line !== undefined) {
      const [cmd] = await service.cmdlineGivenProcess([
        { processName: childName, template: commandLineTemplate(query.command_line) },
      ]);
      body.commandLine = cmd;
      body.commandLineText = cmd ? describeCmdlinePrevalence(cmd, env) : undefined;
    }
    return ok(body);
  },
});
