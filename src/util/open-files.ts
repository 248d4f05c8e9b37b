/**
 * The process's soft limit on open files (Linux: /proc/self/limits), which
 * bounds the client connections a gateway can hold: past it, every accept
 * and every upstream connection fails.
 */
import { readFileSync } from 'node:fs';

export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined || soft === 'unlimited') return undefined;
    const value = Number(soft);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
