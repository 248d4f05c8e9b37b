/**
 * A timer that an AbortSignal cancels at once: a client that goes away while
 * the gateway waits to retry must not keep a timer (or the request) alive.
 */

/**
 * Resolves after `ms` milliseconds. If `signal` aborts first, the timer is
 * cleared and the promise rejects with `signal.reason` right away (an
 * `AbortError` DOMException when `abort()` was called without a reason); an
 * already-aborted signal rejects without starting a timer.
 */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const aborted = await new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  // throwIfAborted throws exactly `signal.reason`, whatever its type.
  if (aborted) signal?.throwIfAborted();
}
