import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

export function useSuppressions() {
  const { api } = useAppServices();
  return useApiQuery(() => api.listSuppressions(), [api]);
}
