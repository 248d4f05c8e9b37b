import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * 32 random hex characters for response, item and call ids. `randomUUID`
 * draws from a pooled entropy buffer; `randomBytes` per id costs a
 * synchronous RNG call each time, which showed up on the per-stream path.
 */
export function randomToken(): string {
  return randomUUID().replaceAll('-', '');
}

/** This process among the replicas: host, process id and a random part (a restarted process is another replica). */
export function replicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
