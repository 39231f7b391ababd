import type { ListCommunitiesParams } from '../api_types';
import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

/** `refreshKey` changes when the analyst asks for fresh data with the same filters. */
export function useCommunities(params: ListCommunitiesParams | undefined, refreshKey = 0) {
  const { api } = useAppServices();
  const key = JSON.stringify(params ?? null);
  return useApiQuery(() => api.listCommunities(params), [api, key, refreshKey], {
    enabled: !!params,
  });
}
