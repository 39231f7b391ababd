import { API_BASE } from '../../common/constants';
import { runDetectionBody } from '../../common/schemas';
import { defineRoute } from './route_types';

/**
 * 202 when a run is queued; otherwise the host's reason with its status (409 while a run is in
 * progress or detection is not enabled, 503 when the scheduler cannot be reached), never a 500
 * for those. A range the host cannot honour is refused by the schema (400).
 */
export const runDetectionRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/detection/_run`,
  privilege: 'all',
  validate: { body: runDetectionBody },
  async handler(ctx, { body }) {
    const result = await ctx.runDetection(body ?? undefined);
    const status = result.started ? 202 : (result.statusCode ?? 409);
    const payload = { started: result.started, message: result.message };
    return {
      status,
      body: result.started
        ? payload
        : {
            ...payload,
            statusCode: status,
            error: status === 409 ? 'Conflict' : 'Service Unavailable',
          },
    };
  },
});
