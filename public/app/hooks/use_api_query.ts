import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface ApiQuery<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches again with the same inputs (refresh buttons, after a write). */
  reload(): void;
  /** Replaces the data without a request, e.g. with the community a triage call returned. */
  setData(data: T): void;
}

/**
 * Runs `load` whenever `deps` change. Answers that arrive after newer inputs were requested are
 * dropped, so a slow page 1 can never overwrite page 2.
 */
export function useApiQuery<T>(
  load: () => Promise<T>,
  deps: DependencyList,
  options: { enabled?: boolean; keepDataOnError?: boolean } = {},
): ApiQuery<T> {
  const enabled = options.enabled ?? true;
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(enabled);
  const [nonce, setNonce] = useState(0);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keepRef = useRef(options.keepDataOnError ?? false);
  keepRef.current = options.keepDataOnError ?? false;

  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    const mine = ++seq.current;
    setLoading(true);
    loadRef.current().then(
      (d) => {
        if (mine !== seq.current) return;
        setDataState(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        if (!keepRef.current) setDataState(undefined);
        setError(e);
        setLoading(false);
      },
    );
    // `deps` are the inputs of `load`; the latest `load` is read through a ref.
  }, [...deps, enabled, nonce]);

  useEffect(
    () => () => {
      // Unmounted: let in-flight answers fall on the floor.
      seq.current++;
    },
    [],
  );

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const setData = useCallback((d: T) => {
    setDataState(d);
    setError(undefined);
  }, []);
  return { data, error, loading, reload, setData };
}
