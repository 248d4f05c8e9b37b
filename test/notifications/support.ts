/** Shared pieces of the notification tests: a notification, and waiting for a condition with a deadline. */
import type { Notification } from '../../src/notifications/contracts.js';

export function sample(id: string, kind: Notification['kind'] = 'budget_threshold'): Notification {
  return { id, kind, tenant: 'team', subject: `subject of ${id}`, text: `text of ${id}`, markdown: `*markdown* of ${id}`, data: { id }, createdAt: Date.UTC(2026, 4, 1) };
}

/** Polls `condition` until it holds; fails after `timeoutMs` (generous: CI machines are slow, the condition usually holds in milliseconds). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
