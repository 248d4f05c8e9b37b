/** Loads data for a page: loading, the data or the error's message, and a way to load again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api/client.js';

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  /** The data answers the current arguments (not those before a change that is still loading). */
  readonly fresh: boolean;
  readonly reload: () => void;
}

interface LoadState<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  /** The loader whose answer `data` is. */
  readonly source: (() => Promise<T>) | null;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<LoadState<T>>({ data: null, error: null, loading: true, source: null });
  const generation = useRef(0);
  const run = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => {
        if (mine === generation.current) setState({ data, error: null, loading: false, source: run });
      },
      (error: unknown) => {
        if (mine === generation.current) setState((s) => ({ ...s, error: messageOf(error), loading: false }));
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

  return { data: state.data, error: state.error, loading: state.loading, fresh: state.source === run && !state.loading, reload };
}
