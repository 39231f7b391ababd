import { API_BASE } from '../../common/constants';
import { suppressionIdParams } from '../../common/schemas';
import { defineRoute, notFound, ok } from './route_types';

/** Undo: the pattern is flagged again from the next run on. */
export const deleteSuppressionRoute = defineRoute({
  method: 'delete',
  path: `${API_BASE}/suppressions/{id}`,
  privilege: 'all',
  validate: { params: suppressionIdParams },
  async handler(ctx, { params }) {
    const removed = await ctx.stores.suppressions.remove(params.id);
    return removed ? ok({ removed: params.id }) : notFound(`suppression ${params.id} not found`);
  },
});
