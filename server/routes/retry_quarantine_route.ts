import { API_BASE } from '../../common/constants';
import { quarantineIdBody } from '../../common/quarantine_schemas';
import { defineRoute, notFound, ok } from './route_types';

/**
 * A quarantined host-window back to pending with fresh attempts: the next detection run analyses
 * it again (with its budget) and, if it succeeds, replaces the failure finding.
 */
export const retryQuarantineRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/quarantine/_retry`,
  privilege: 'all',
  validate: { body: quarantineIdBody },
  async handler(ctx, { body }) {
    const q = (await ctx.stores.state.listQuarantine()).find((r) => r.id === body.id);
    if (!q) return notFound(`no quarantined host-window ${body.id}`);
    const record = { ...q, attempts: 0, status: 'pending' as const };
    await ctx.stores.state.saveQuarantine(record);
    ctx.logger.info(`quarantined host-window ${q.id} set for retry by ${ctx.user}`);
    return ok({ item: record });
  },
});
