import { useEffect } from 'react';
import { useAppServices } from '../services';
import { useApiQuery } from './use_api_query';

/** Detection status, re-read every `pollMs` while given (the job runs on its own schedule). */
export function useDetectionStatus(pollMs?: number) {
  const { api } = useAppServices();
  const query = useApiQuery(() => api.detectionStatus(), [api], { keepDataOnError: true });
  const { reload } = query;
  useEffect(() => {
    if (!pollMs) return;
    const t = setInterval(reload, pollMs);
    return () => clearInterval(t);
  }, [pollMs, reload]);
  return query;
}
