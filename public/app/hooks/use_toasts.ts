import { createContext, useContext } from 'react';
import type { AppToasts } from '../services';

/** The host's toasts when it has them, else the app's own toast list (see ToastsProvider). */
export const ToastsContext = createContext<AppToasts | null>(null);

export function useToasts(): AppToasts {
  const toasts = useContext(ToastsContext);
  if (!toasts) throw new Error('useToasts() outside <ToastsProvider>');
  return toasts;
}
