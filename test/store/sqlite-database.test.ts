import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalMode, migrate, openSqlite } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';

let dir: string;
/** This release's schema version, and versions beyond it for migrations made up by the tests. */
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const VERSIONS = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-db-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openSqlite migrations', () => {
  it('applies every migration once and records it', () => {
    const path = join(dir, 'store.sqlite');
    const first = openSqlite(path);
    const versions = first.prepare<[], number>('SELECT version FROM schema_migrations').pluck().all();
    expect(versions).toEqual(VERSIONS);
    const indexes = first.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['usage_day_tenant', 'usage_time']);
    const tables = first.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('tenants', 'api_keys') ORDER BY name").pluck().all();
    expect(tables).toEqual(['api_keys', 'tenants']);
    expect(migrate(first, MIGRATIONS)).toEqual([]);
    first.close();
    const again = openSqlite(path);
    expect(again.prepare<[], number>('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(VERSIONS.length);
    again.close();
  });

  it('applies only the migrations a database lacks, in version order', () => {
    const db = openSqlite(':memory:');
    const extra = [
      { version: LATEST + 2, name: 'second next', sql: 'CREATE TABLE second_next (id INTEGER)' },
      { version: LATEST + 1, name: 'next', sql: 'CREATE TABLE next (id INTEGER)' },
    ];
    expect(migrate(db, [...MIGRATIONS, ...extra])).toEqual([LATEST + 1, LATEST + 2]);
    expect(migrate(db, [...MIGRATIONS, ...extra])).toEqual([]);
    db.close();
  });

  it('rolls a failing migration back entirely', () => {
    const db = openSqlite(':memory:');
    const broken = { version: LATEST + 1, name: 'broken', sql: 'CREATE TABLE half (id INTEGER); CREATE TABLE usage (id INTEGER);' };
    expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow(/already exists/);
    expect(db.prepare<[], number>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    expect(db.prepare<[], number>('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(LATEST);
    db.close();
  });

  it('refuses a database written by a newer release', () => {
    const path = join(dir, 'newer.sqlite');
    const db = openSqlite(path, { migrations: [...MIGRATIONS, { version: LATEST + 1, name: 'future', sql: 'CREATE TABLE future (id INTEGER)' }] });
    db.close();
    expect(() => openSqlite(path)).toThrow(`the database schema is at version ${LATEST + 1}, newer than this release knows (${LATEST})`);
  });

  it('reports the memory journal for an in-memory database', () => {
    const db = openSqlite(':memory:');
    expect(journalMode(db)).toBe('memory');
    db.close();
  });
});
