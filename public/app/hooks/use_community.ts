import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

export function useCommunity(id: string | undefined) {
  const { api } = useAppServices();
  return useApiQuery(() => api.getCommunity(id!), [api, id], { enabled: !!id });
}

export function useCommunityEvents(id: string | undefined) {
  const { api } = useAppServices();
  return useApiQuery(() => api.communityEvents(id!), [api, id], { enabled: !!id });
}
