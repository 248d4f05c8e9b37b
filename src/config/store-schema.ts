/**
 * The `store` block: the embedded SQLite file (the default) or a PostgreSQL
 * database that several replicas share, chosen by `kind`.
 *
 *   store: { kind: sqlite, path: ./tollgate.sqlite }
 *   store: { kind: postgres, url: "${DATABASE_URL}", pool_size: 10, statement_timeout: 5s }
 *
 * The PostgreSQL URL usually holds a password: no message quotes it, and
 * `storeLocation` shows it with the password masked.
 */
import { z } from 'zod';
import {
  DEFAULT_LEDGER_MAX_BUFFERED_ROWS,
  DEFAULT_LEDGER_WHEN_FULL,
  DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
  DEFAULT_POSTGRES_POOL_SIZE,
  DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS,
  DEFAULT_STORE_PATH,
  LEDGER_WHEN_FULL,
} from './constants.js';
import { durationMs, integer, strictMapping } from './fields.js';
import { describeType, missingMessage } from './issues.js';
import type { PostgresStoreConfig, SqliteStoreConfig, StoreConfig } from './types.js';

const STORE_KINDS = ['sqlite', 'postgres'] as const;

/** Keys only one kind accepts, to explain them on the other. */
const KIND_ONLY_KEYS: Readonly<Record<string, (typeof STORE_KINDS)[number]>> = {
  path: 'sqlite',
  url: 'postgres',
  pool_size: 'postgres',
  statement_timeout: 'postgres',
  connect_timeout: 'postgres',
};

function elsewhere(kind: (typeof STORE_KINDS)[number]) {
  return (key: string): string | undefined => {
    const owner = KIND_ONLY_KEYS[key];
    return owner !== undefined && owner !== kind ? `it applies only to store kind ${owner}` : undefined;
  };
}

const ledgerBuffer = {
  max_buffered_rows: integer(1).default(DEFAULT_LEDGER_MAX_BUFFERED_ROWS),
  when_full: z.enum(LEDGER_WHEN_FULL).default(DEFAULT_LEDGER_WHEN_FULL),
};

const URL_EXPECTATION = 'a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate';

/** A postgres:// or postgresql:// URL; a problem never quotes it (it may hold a password). */
const postgresUrl = z.unknown().transform((value, ctx): string => {
  const problem = (message: string): never => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (value === undefined) return problem(missingMessage(`${URL_EXPECTATION}, e.g. url: \${DATABASE_URL}`));
  if (typeof value !== 'string') return problem(`expected ${URL_EXPECTATION}, got ${describeType(value)} (the value is not shown)`);
  const trimmed = value.trim();
  if (trimmed === '') return problem(`expected ${URL_EXPECTATION}, got an empty string (is the environment variable empty?)`);
  // Without `scheme://`, what stands before a colon may be a user name or a password: say nothing of it.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return problem(`expected ${URL_EXPECTATION} (the scheme postgres:// is missing; the value is not shown: it may hold a password)`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return problem(`expected ${URL_EXPECTATION} (the value is not a valid URL; it is not shown: it may hold a password)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return problem(`expected ${URL_EXPECTATION}, got a ${url.protocol}// URL`);
  return trimmed;
});

const sqliteStore = strictMapping(
  {
    kind: z.literal('sqlite').default('sqlite'),
    path: z.string().min(1).default(DEFAULT_STORE_PATH),
    ...ledgerBuffer,
  },
  { elsewhere: elsewhere('sqlite'), expected: 'a store mapping' },
).transform((s): SqliteStoreConfig => ({ kind: 'sqlite', path: s.path, maxBufferedRows: s.max_buffered_rows, whenFull: s.when_full }));

const positiveDuration = durationMs.pipe(z.number().min(1, 'must be at least 1ms'));

const postgresStore = strictMapping(
  {
    kind: z.literal('postgres'),
    url: postgresUrl,
    pool_size: integer(1, 1_000).default(DEFAULT_POSTGRES_POOL_SIZE),
    statement_timeout: positiveDuration.default(DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS),
    connect_timeout: positiveDuration.default(DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS),
    ...ledgerBuffer,
  },
  { elsewhere: elsewhere('postgres'), expected: 'a store mapping' },
).transform(
  (s): PostgresStoreConfig => ({
    kind: 'postgres',
    url: s.url,
    poolSize: s.pool_size,
    statementTimeoutMs: s.statement_timeout,
    connectTimeoutMs: s.connect_timeout,
    maxBufferedRows: s.max_buffered_rows,
    whenFull: s.when_full,
  }),
);

/** `kind` may be left out: the embedded store. */
export const storeSchema = z.discriminatedUnion('kind', [sqliteStore, postgresStore], {
  error: (issue) => {
    // Typed as union issues only, but a non-mapping value arrives here as invalid_type.
    const code: string = issue.code;
    if (code === 'invalid_type') return `expected a store mapping (kind, …), got ${describeType(issue.input)}`;
    return code === 'invalid_union' ? `expected one of: ${STORE_KINDS.join(', ')}` : undefined;
  },
});

/**
 * Where the store is, for messages and check-config: the file path, or the
 * URL with its password (in the user-info part or a `password` parameter)
 * masked as `***`.
 */
export function storeLocation(store: StoreConfig): string {
  if (store.kind === 'sqlite') return store.path;
  return maskUrlPassword(store.url);
}

export function maskUrlPassword(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Validated by the schema; anything else is not shown at all.
    return '(an invalid URL, not shown)';
  }
  if (url.password !== '') url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  // URLSearchParams encodes `*`; keep the mask readable.
  return url.href.replace(/%2A%2A%2A/g, '***');
}
