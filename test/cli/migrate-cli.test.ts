/**
 * `tollgate migrate`, run as an operator runs it: the real binary, against a
 * fresh PostgreSQL schema and a fresh SQLite file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const work = mkdtempSync(join(tmpdir(), 'tollgate-migrate-cli-'));
const REST = 'providers: [{ name: sim, kind: mock }]\nmodels: [{ name: demo, route: [sim/demo] }]\n';

function configFile(name: string, store: string): string {
  const path = join(work, name);
  writeFileSync(path, `store: ${store}\n${REST}`);
  return path;
}

async function tollgate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: work, env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let schema: TestSchema;
beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  schema = await createTestSchema();
}, 120_000);
afterAll(async () => {
  await schema.drop();
});

describe('tollgate migrate', () => {
  it('applies the PostgreSQL schema to a fresh database, then finds it up to date', async () => {
    const config = configFile('pg.yaml', '{ kind: postgres, url: "${DATABASE_URL}" }');
    const first = await tollgate(['migrate', '--config', config], { DATABASE_URL: schema.url });
    expect(first).toEqual({ code: 0, stdout: `Applied schema steps 1, 2, 3, 4 to the postgres store at ${schema.url} (now at version 4).\n`, stderr: '' });
    const pool = schema.pool(1);
    const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    const again = await tollgate(['migrate', '--config', config], { DATABASE_URL: schema.url });
    expect(again).toEqual({ code: 0, stdout: `The postgres store at ${schema.url} is up to date (schema version 4).\n`, stderr: '' });
  }, 30_000);

  it('says why it cannot, exit 1, with the password masked', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config = configFile('down.yaml', '{ kind: postgres, url: "${DATABASE_URL}", connect_timeout: 1s }');
    const result = await tollgate(['migrate', '--config', config], { DATABASE_URL: `postgres://tollgate:hunter2-pw@127.0.0.1:${port}/tollgate` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^tollgate: cannot open the PostgreSQL store at postgres://tollgate:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tollgate: .*ECONNREFUSED`));
    expect(result.stderr).not.toContain('hunter2-pw');
  }, 30_000);

  it('migrates the embedded store too', async () => {
    const path = join(work, 'fresh.sqlite');
    const config = configFile('sqlite.yaml', `{ path: ${JSON.stringify(path)} }`);
    expect(await tollgate(['migrate', '--config', config])).toEqual({ code: 0, stdout: `Applied schema steps 1, 2, 3, 4, 5, 6 to the sqlite store at ${path} (now at version 6).\n`, stderr: '' });
    expect(await tollgate(['migrate', '--config', config])).toEqual({ code: 0, stdout: `The sqlite store at ${path} is up to date (schema version 6).\n`, stderr: '' });
  }, 30_000);

  it('is listed in the help', async () => {
    expect((await tollgate(['--help'])).stdout).toContain('tollgate migrate [--config FILE]');
  });
});
