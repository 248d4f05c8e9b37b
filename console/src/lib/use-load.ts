/** Loads data for a page: loading, the data or the error's message, and a way to load again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api/client.js';

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (mine === generation.current) setState((s) => ({ data: s.data, error: messageOf(error), loading: false }));
      },
    );
  }, [run]);

  useEffect(() => {
    reload();
    // A late answer for a page that has gone is ignored.
    return () => {
      generation.current++;
    };
  }, [reload]);

  return { ...state, reload };
}
