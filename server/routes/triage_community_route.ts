import { API_BASE } from '../../common/constants';
import { communityIdParams, triageBody } from '../../common/schemas';
import { applyTriage } from './apply_triage';
import { defineRoute, ok } from './route_types';

export const triageCommunityRoute = defineRoute({
  method: 'post',
  path: `${API_BASE}/communities/{id}/triage`,
  privilege: 'all',
  validate: { params: communityIdParams, body: triageBody },
  async handler(ctx, { params, body }) {
    const { version, ...request } = body;
    return ok(await applyTriage(ctx, params.id, request, version));
  },
});
