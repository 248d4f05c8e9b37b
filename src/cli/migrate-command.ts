/**
 * `tollgate migrate [--config FILE]`: brings the configured store to this
 * release's schema and says what it did. The gateway migrates at start too;
 * running this first (a deploy step, an init container) keeps replicas from
 * starting on a schema they would change. Safe to run while replicas start:
 * each step is applied once (see store/postgres/database.ts).
 */
import type { StoreConfig } from '../config/types.js';
import { migrateStore } from '../store/open-store.js';

/** The line to print; throws a StartupError (the store named, its password masked) when the store cannot be migrated. */
export async function runMigrate(store: StoreConfig): Promise<string> {
  const result = await migrateStore(store);
  if (result.applied.length === 0) return `The ${store.kind} store at ${result.location} is up to date (schema version ${result.version}).\n`;
  const steps = result.applied.length === 1 ? 'step' : 'steps';
  return `Applied schema ${steps} ${result.applied.join(', ')} to the ${store.kind} store at ${result.location} (now at version ${result.version}).\n`;
}
