export { utcDay, assertUtcDay, type LedgerEvents, type LedgerDropEvent, type DropReason } from './usage-ledger.js';
export { SqliteUsageLedger, type SqliteUsageLedgerOptions } from './sqlite/usage-ledger.js';
export { openSqlite, migrate, journalMode, MEMORY_PATH, type SqliteDatabase, type OpenSqliteOptions } from './sqlite/database.js';
export { MIGRATIONS, type Migration } from './sqlite/migrations.js';
