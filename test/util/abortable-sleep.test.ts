import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/util/abortable-sleep.js';

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    const started = performance.now();
    await abortableSleep(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });

  it('rejects with the signal reason as soon as it aborts, long before the delay', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const started = performance.now();
    const sleeping = abortableSleep(60_000, controller.signal);
    setTimeout(() => controller.abort(reason), 2);
    await expect(sleeping).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('rejects at once, without a timer, when the signal is already aborted', async () => {
    const reason = new Error('already gone');
    await expect(abortableSleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('uses an AbortError when the signal was aborted without a reason', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('removes its abort listener once the timer fires, so a later abort is harmless', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => {
      listeners++;
      add(...args);
    };
    controller.signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>) => {
      listeners--;
      remove(...args);
    };
    await abortableSleep(1, controller.signal);
    expect(listeners).toBe(0);
    controller.abort(new Error('late'));
  });

  it('treats a negative delay as zero', async () => {
    await expect(abortableSleep(-10)).resolves.toBeUndefined();
  });
});
