import { randomUUID } from 'node:crypto';

/**
 * 32 random hex characters for response, item and call ids. `randomUUID`
 * draws from a pooled entropy buffer; `randomBytes` per id costs a
 * synchronous RNG call each time, which showed up on the per-stream path.
 */
export function randomToken(): string {
  return randomUUID().replaceAll('-', '');
}
