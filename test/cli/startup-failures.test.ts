/**
 * A start-up that fails ends the process within a second, with exit code 1
 * and one line on stderr saying what failed and what to do — also when
 * something was already running (the in-process simulators of `--demo` and
 * of `mock` providers, the store), which must be closed again.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded, startGatewayProcess } from './support/gateway-process.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-startup-'));
/** No OpenAI key, an Ollama address nobody listens on. */
const env = { PATH: process.env['PATH'] ?? '', HOME: work, OLLAMA_HOST: '127.0.0.1:9' };
/** TEST-NET-3 (RFC 5737): documentation addresses, never assigned to this machine. */
const FOREIGN_ADDRESS = '203.0.113.1';

let occupier: Server;
let takenPort = 0;

beforeAll(async () => {
  buildIfNeeded();
  occupier = createServer();
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', () => resolve()));
  takenPort = (occupier.address() as AddressInfo).port;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => occupier.close(() => resolve()));
});

/** Runs `tollgate start …`, expecting it to fail: exit code 1 within a second, one stderr line, no stack trace. */
async function failedStart(args: string[]): Promise<{ line: string; ms: number }> {
  const gateway = startGatewayProcess(['start', ...args], { cwd: work, env });
  try {
    // Generous outer bound so a hang is reported as such; the one-second promise is asserted below.
    const exit = await gateway.exit(5_000);
    const stderr = gateway.stderr();
    expect(exit.code, stderr).toBe(1);
    expect(exit.afterMs, `exit took ${Math.round(exit.afterMs)} ms`).toBeLessThan(1_000);
    const lines = stderr.trimEnd().split('\n');
    expect(lines, stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/^\s+at /m);
    return { line: lines[0]!, ms: exit.afterMs };
  } finally {
    gateway.kill();
  }
}

function mockConfig(name: string, store: string, port = 0): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [`server: { host: 127.0.0.1, port: ${port} }`, `store: { path: "${store}" }`, 'providers:', '  - { name: sim, kind: mock }', 'models:', '  - { name: m, route: [sim/m] }', ''].join('\n'),
  );
  return file;
}

describe('start-up failures: exit 1 within a second, one line on stderr', () => {
  it('port in use', async () => {
    const { line } = await failedStart(['--port', String(takenPort)]);
    expect(line).toBe(
      `tollgate: cannot listen on 127.0.0.1:${takenPort} (EADDRINUSE): the address is already in use; stop the process that uses it or choose another port (--port or server.port).`,
    );
  });

  it('port in use with --demo (the in-process simulated model is closed again)', async () => {
    const { line } = await failedStart(['--demo', '--port', String(takenPort)]);
    expect(line).toContain(`cannot listen on 127.0.0.1:${takenPort} (EADDRINUSE)`);
  });

  it('an address that is not on this machine', async () => {
    const { line } = await failedStart(['--host', FOREIGN_ADDRESS, '--port', '0']);
    expect(line).toBe(
      `tollgate: cannot listen on ${FOREIGN_ADDRESS}:0 (EADDRNOTAVAIL): the address is not one of this machine; use one of its addresses, 127.0.0.1, or 0.0.0.0 for all (--host or server.host).`,
    );
  });

  it('an address that is not on this machine, with --demo', async () => {
    const { line } = await failedStart(['--demo', '--host', FOREIGN_ADDRESS, '--port', '0']);
    expect(line).toContain(`cannot listen on ${FOREIGN_ADDRESS}:0 (EADDRNOTAVAIL)`);
  });

  it('port in use with a mock provider in the configuration', async () => {
    const { line } = await failedStart(['--config', mockConfig('busy', join(work, 'busy.sqlite'), takenPort)]);
    expect(line).toContain(`cannot listen on 127.0.0.1:${takenPort} (EADDRINUSE)`);
  });

  // A directory where the database file should be: SQLite cannot open it, whoever runs the test (root included).
  it('a store path that cannot be opened (a directory), naming the path', async () => {
    const store = join(work, 'store-is-a-directory');
    mkdirSync(store);
    const { line } = await failedStart(['--config', mockConfig('dir-store', store)]);
    expect(line).toMatch(new RegExp(`^tollgate: cannot open the usage store at '${store}': .+\\. Check that the path is a file`));
  });

  // The store creates missing directories; a regular file where a directory should be stops it (ENOTDIR, root included).
  it('a store path below a regular file, naming the path', async () => {
    writeFileSync(join(work, 'a-file'), 'not a directory');
    const store = join(work, 'a-file', 'ledger.sqlite');
    const { line } = await failedStart(['--config', mockConfig('file-store', store)]);
    expect(line).toContain(`cannot open the usage store at '${store}'`);
  });
});
