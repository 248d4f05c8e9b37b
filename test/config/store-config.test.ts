/**
 * The `store` block: `kind: sqlite` (the default, unchanged) or `kind:
 * postgres`; typos fail naming the YAML path; the database password never
 * appears in an error or in check-config's output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ConfigError, describeRoutes, maskUrlPassword, parseConfigText } from '../../src/config/index.js';

const REST = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';
const PASSWORD = 'pw-9f8e7d6c';
const DATABASE_URL = `postgres://tollgate:${PASSWORD}@db.internal:5432/tollgate`;

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'store.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message).not.toContain(PASSWORD);
    return err.problems.map((p) => `${p.path}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('store: kind postgres', () => {
  it('parses with its defaults; the URL comes from the environment', () => {
    const config = parseConfigText(`store: { kind: postgres, url: "\${DATABASE_URL}" }\n${REST}`, 'store.yaml', { DATABASE_URL });
    expect(config.store).toEqual({ kind: 'postgres', url: DATABASE_URL, poolSize: 10, statementTimeoutMs: 5_000, connectTimeoutMs: 5_000, maxBufferedRows: 100_000, whenFull: 'refuse' });
  });

  it('takes every key, numbers and durations also as strings (after interpolation)', () => {
    const text = `store:
  kind: postgres
  url: postgresql://db/tollgate
  pool_size: "\${POOL:-25}"
  statement_timeout: 750ms
  connect_timeout: 2s
  max_buffered_rows: 500
  when_full: serve_unmetered
${REST}`;
    expect(parseConfigText(text, 'store.yaml', {}).store).toEqual({
      kind: 'postgres',
      url: 'postgresql://db/tollgate',
      poolSize: 25,
      statementTimeoutMs: 750,
      connectTimeoutMs: 2_000,
      maxBufferedRows: 500,
      whenFull: 'serve_unmetered',
    });
  });

  it('leaves the embedded store as it was: kind sqlite by default, with or without the key', () => {
    const expected = { kind: 'sqlite', path: './tollgate.sqlite', maxBufferedRows: 100_000, whenFull: 'refuse' };
    expect(parseConfigText(REST, 'store.yaml', {}).store).toEqual(expected);
    expect(parseConfigText(`store: { path: ./tollgate.sqlite }\n${REST}`, 'store.yaml', {}).store).toEqual(expected);
    expect(parseConfigText(`store: { kind: sqlite, path: /data/t.db }\n${REST}`, 'store.yaml', {}).store).toEqual({ ...expected, path: '/data/t.db' });
  });

  it('fails on a typo, naming the path and the likely key', () => {
    expect(problems(`store: { kind: postgres, url: "${DATABASE_URL}", pool_sise: 5 }\n${REST}`)).toEqual(["store.pool_sise (line 1): unknown key 'pool_sise' — did you mean 'pool_size'?"]);
    expect(problems(`store:\n  kind: postgres\n  url: "${DATABASE_URL}"\n  statement_timout: 5s\n${REST}`)).toEqual([
      "store.statement_timout (line 4): unknown key 'statement_timout' — did you mean 'statement_timeout'?",
    ]);
  });

  it("explains a key of the other kind", () => {
    expect(problems(`store: { kind: postgres, url: "${DATABASE_URL}", path: ./x.sqlite }\n${REST}`)).toEqual(["store.path (line 1): unknown key 'path' — it applies only to store kind sqlite"]);
    expect(problems(`store: { url: "${DATABASE_URL}" }\n${REST}`)).toEqual(["store.url (line 1): unknown key 'url' — it applies only to store kind postgres"]);
  });

  it('names the kinds, and asks for the URL', () => {
    expect(problems(`store: { kind: mysql }\n${REST}`)).toEqual(['store.kind (line 1): expected one of: sqlite, postgres']);
    expect(problems(`store: { kind: postgres }\n${REST}`)).toEqual([
      'store.url (line 1): required, but missing (expected a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate, e.g. url: ${DATABASE_URL})',
    ]);
    expect(problems(`store: { kind: postgres, url: "\${DATABASE_URL:-}" }\n${REST}`)).toEqual([
      'store.url (line 1): expected a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate, got an empty string (is the environment variable empty?)',
    ]);
    expect(problems(`store: { kind: postgres, url: "${DATABASE_URL}", pool_size: 0, statement_timeout: soon }\n${REST}`)).toEqual([
      'store.pool_size (line 1): expected a number >= 1, got 0',
      'store.statement_timeout (line 1): expected a duration: milliseconds as a number, or a string such as "500ms", "10s", "2m" or "1m30s", got a string in another format',
    ]);
  });

  it('never repeats a URL it refuses: it may hold the password', () => {
    expect(problems(`store: { kind: postgres, url: "\${DATABASE_URL}" }\n${REST}`, { DATABASE_URL: `mysql://root:${PASSWORD}@db/x` })).toEqual([
      'store.url (line 1): expected a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate, got a mysql:// URL',
    ]);
    expect(problems(`store: { kind: postgres, url: "\${DATABASE_URL}" }\n${REST}`, { DATABASE_URL: `tollgate:${PASSWORD}@db` })).toEqual([
      'store.url (line 1): expected a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate (the scheme postgres:// is missing; the value is not shown: it may hold a password)',
    ]);
    expect(problems(`store: { kind: postgres, url: "\${DATABASE_URL}" }\n${REST}`, { DATABASE_URL: `postgres://tollgate:${PASSWORD}@db:port/x` })).toEqual([
      'store.url (line 1): expected a PostgreSQL URL such as postgres://tollgate:${PGPASSWORD}@db:5432/tollgate (the value is not a valid URL; it is not shown: it may hold a password)',
    ]);
  });

  it('check-config shows the store with the password masked, in the user part or a parameter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-store-config-'));
    const file = join(dir, 'tollgate.yaml');
    writeFileSync(file, `store: { kind: postgres, url: "\${DATABASE_URL}", pool_size: 4 }\n${REST}`);
    let out = '';
    let err = '';
    const code = await main(['check-config', '--config', file], { out: (t) => (out += t), err: (t) => (err += t), env: { DATABASE_URL } });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain('Store: postgres postgres://tollgate:***@db.internal:5432/tollgate (pool 4, statement timeout 5s, connect timeout 5s)');
    expect(out).not.toContain(PASSWORD);
    const withParameter = describeRoutes(parseConfigText(`store: { kind: postgres, url: "postgres://db/x?user=t&password=${PASSWORD}&sslmode=require" }\n${REST}`, 'store.yaml', {}));
    expect(withParameter).toContain('Store: postgres postgres://db/x?user=t&password=***&sslmode=require (pool 10');
    expect(withParameter).not.toContain(PASSWORD);
  });

  it('masks nothing else of a URL', () => {
    expect(maskUrlPassword('postgres://app@127.0.0.1:5432/test')).toBe('postgres://app@127.0.0.1:5432/test');
    expect(maskUrlPassword('postgres://app:x@h/d')).toBe('postgres://app:***@h/d');
  });
});
