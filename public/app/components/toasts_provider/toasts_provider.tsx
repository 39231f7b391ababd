import React, { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import { EuiGlobalToastList, type EuiGlobalToastListToast } from '@elastic/eui';
import { ToastsContext } from '../../hooks/use_toasts';
import type { AppToasts } from '../../services';

/** Uses the host's toasts (Kibana) when given; otherwise renders the app's own toast list. */
export function ToastsProvider({
  hostToasts,
  children,
}: {
  hostToasts?: AppToasts;
  children: ReactNode;
}) {
  const [toasts, setToasts] = useState<EuiGlobalToastListToast[]>([]);
  const next = useRef(0);
  const local = useMemo<AppToasts>(() => {
    const add =
      (color: 'success' | 'warning' | 'danger', iconType: string) =>
      (title: string, text?: string) => {
        const id = `toast-${++next.current}`;
        setToasts((ts) => [
          ...ts,
          { id, title, text, color, iconType, 'data-test-subj': `appToast-${color}` },
        ]);
      };
    return {
      addSuccess: add('success', 'check'),
      addWarning: add('warning', 'warning'),
      addDanger: add('danger', 'error'),
    };
  }, []);
  const dismiss = useCallback(
    (t: EuiGlobalToastListToast) => setToasts((ts) => ts.filter((x) => x.id !== t.id)),
    [],
  );
  return (
    <ToastsContext.Provider value={hostToasts ?? local}>
      {children}
      {hostToasts ? null : (
        <EuiGlobalToastList toasts={toasts} dismissToast={dismiss} toastLifeTimeMs={6000} />
      )}
    </ToastsContext.Provider>
  );
}
