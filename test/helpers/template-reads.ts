import { vi } from 'vitest';
import { LineTemplate } from '../../src/translators/shared/line-template.js';

/**
 * Counts the events a line template read, so a test comparing decoders with
 * and without templates fails if the fast path silently stops being taken.
 * Restore with `vi.restoreAllMocks()`.
 */
export function countTemplateReads(): () => number {
  const original = Object.getOwnPropertyDescriptor(LineTemplate.prototype, 'match')!.value as (this: LineTemplate, text: string) => string | undefined;
  let reads = 0;
  vi.spyOn(LineTemplate.prototype, 'match').mockImplementation(function (this: LineTemplate, text: string) {
    const value = original.call(this, text);
    if (value !== undefined) reads++;
    return value;
  });
  return () => reads;
}
