import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

/** Settings are only needed for the drill-down's index pattern; a failure falls back to defaults. */
export function useSettings() {
  const { api } = useAppServices();
  return useApiQuery(() => api.getSettings(), [api]);
}
