/**
 * Waits until `check` passes, letting the loopback admin API's answers arrive
 * and Preact render (each wait inside `act`); fails naming what it waited for
 * and what the page showed.
 */
import { act } from 'preact/test-utils';

export async function until(check: () => boolean, what: string, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
  }
  throw new Error(`Timed out waiting for ${what}: ${document.body.textContent ?? ''}`);
}
