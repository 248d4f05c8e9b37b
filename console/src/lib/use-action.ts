/** A form's submission: busy while it runs, and the message of what went wrong (the server's, or the form's own). */
import { useState } from 'preact/hooks';
import { messageOf } from '../api/client.js';

export interface Action {
  readonly busy: boolean;
  readonly error: string | null;
  readonly run: (work: () => Promise<unknown>) => void;
  readonly clear: () => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (work: () => Promise<unknown>): void => {
    setBusy(true);
    setError(null);
    let pending: Promise<unknown>;
    try {
      pending = work();
    } catch (problem) {
      // Thrown before anything was sent: a field the person must fix.
      setBusy(false);
      setError(messageOf(problem));
      return;
    }
    pending.then(
      () => setBusy(false),
      (failure: unknown) => {
        setBusy(false);
        setError(messageOf(failure));
      },
    );
  };
  return { busy, error, run, clear: () => setError(null) };
}
