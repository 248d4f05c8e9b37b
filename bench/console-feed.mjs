// The bench's side of the `tollgate-feed` target's subscriber (bench/feed-subscriber.mjs): start
// it, wait until its stream is open, and ask it how many events it has received.
import { join } from 'node:path';

const BENCH = new URL('.', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The admin token of the keyed targets of a `--console-feed` run (the configuration asks for ≥ 16 characters). */
export const FEED_ADMIN_TOKEN = 'bench-admin-token-not-a-secret-0123456789';

/**
 * Starts a subscriber of `GET /admin/v1/events` on the gateway at `port`, through `start` (the
 * harness's, so that it is stopped with the rest), and resolves once the gateway has accepted it.
 */
export async function subscribeToFeed(start, { name, port, token, timeoutMs = 10_000 }) {
  const url = `http://127.0.0.1:${port}/admin/v1/events`;
  const proc = await start(name, [join(BENCH, 'feed-subscriber.mjs'), '--url', url, '--token', token], { ipc: true });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not subscribed to ${url} within ${timeoutMs} ms\n${proc.stderr()}`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.subscribed !== true) return;
      clearTimeout(timer);
      proc.child.off('message', onMessage);
      resolve();
    };
    proc.child.on('message', onMessage);
    void proc.whenExited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${proc.exitCode}) before it subscribed\n${proc.stderr()}`));
    });
  });

  /** `{ requests, dropped }` received so far. */
  const count = () =>
    new Promise((resolve, reject) => {
      if (proc.exited) {
        reject(new Error(`${name} has exited (code ${proc.exitCode}): its stream ended\n${proc.stderr()}`));
        return;
      }
      const onMessage = (message) => {
        if (typeof message?.requests !== 'number') return;
        proc.child.off('message', onMessage);
        resolve(message);
      };
      proc.child.on('message', onMessage);
      proc.child.send('count');
    });

  /**
   * The count once it stops moving: the events of the last calls of a run (and of the streams the
   * end of a run cut off) may still be on their way when the load generator returns.
   */
  const settle = async (quietMs = 150, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = await count();
    for (;;) {
      await sleep(quietMs);
      const now = await count();
      if ((now.requests === last.requests && now.dropped === last.dropped) || Date.now() > deadline) return now;
      last = now;
    }
  };

  return { proc, count, settle };
}
