import type { CommunityStatsParams } from '../api_types';
import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

/** The charts' counts for the list's filters; `refreshKey` as in useCommunities. */
export function useCommunityStats(params: CommunityStatsParams | undefined, refreshKey = 0) {
  const { api } = useAppServices();
  const key = JSON.stringify(params ?? null);
  return useApiQuery(() => api.communityStats(params), [api, key, refreshKey], {
    enabled: !!params,
  });
}
