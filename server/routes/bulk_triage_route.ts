import { API_BASE } from '../../common/constants';
import { bulkTriageBody } from '../../common/schemas';
import { errorResponse } from './errors';
import { applyTriage } from './apply_triage';
import { defineRoute, ok } from './route_types';

/** Applies the same decision to many communities; each one succeeds or fails on its own. */
export const bulkTriageRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/communities/_bulk_triage`,
  privilege: 'all',
  validate: { body: bulkTriageBody },
  async handler(ctx, { body }) {
    const { ids, ...request } = body;
    const updated: string[] = [];
    const failed: { id: string; status: number; message: string }[] = [];
    for (const id of new Set(ids)) {
      try {
        await applyTriage(ctx, id, request);
        updated.push(id);
      } catch (e) {
        const res = errorResponse(e);
        if (res.status === 500)
          ctx.logger.error(`bulk triage of ${id} failed`, { error: String(e) });
        failed.push({ id, status: res.status, message: (res.body as { message: string }).message });
      }
    }
    return ok({ updated, failed });
  },
});
