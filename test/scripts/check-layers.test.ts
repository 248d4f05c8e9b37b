import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = new URL('../../scripts/check-layers.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'tollgate-layers-'));
let trees = 0;

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Writes a fixture source tree (path under the root -> contents) and returns its root. */
function tree(files: Record<string, string>): string {
  const root = join(work, `tree-${++trees}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Runs the script on a fixture root, from inside it, so reported paths are relative to the root. */
function check(root: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const cwd = existsSync(root) ? root : work;
  const result = spawnSync(process.execPath, [script, '--root', root, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A layered tree with no violations: root files use cli/ and server/, cli/ uses server/, all use the layers below.
 * (Only root files may import cli/: server/ never does.)
 */
const clean = {
  'gateway.ts':
    "import { createApp } from './server/app.js';\nimport { version } from './cli/version.js';\nimport type { Meter } from './metering/index.js';\nexport const app = createApp();\nexport const v = version;\nexport type { Meter };\n",
  'cli/main.ts': "import { app } from '../gateway.js';\nimport { createApp } from '../server/app.js';\nexport const both = [app, createApp()];\n",
  'cli/version.ts': "export const version = '1.0.0';\n",
  'server/app.ts':
    "import { readFileSync } from 'node:fs';\nimport { z } from 'zod';\nimport { meter } from '../metering/index.js';\nexport function createApp() { return { readFileSync, z, meter }; }\n",
  'server/handlers/health.ts': "import { createApp } from '../app.js';\nexport const health = createApp;\n",
  'metering/index.ts': "export { meter } from './meter.js';\nexport type { Meter } from './meter.js';\n",
  'metering/meter.ts': "import { newId } from '../util/ids.js';\nexport type Meter = { id: string };\nexport const meter: Meter = { id: newId() };\n",
  'util/ids.ts': "export const newId = (): string => 'id';\n",
};

describe('check-layers', () => {
  it('passes a clean tree and prints a one-line summary', () => {
    const result = check(tree(clean));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^check-layers: ok; 8 files, 10 imports, 4 folders in /);
  });

  it('prints the folder graph with --graph, resolving x.js to x.ts and dir/index.js to dir/index.ts', () => {
    const result = check(tree(clean), '--graph');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'cli -> (root), server',
      'metering -> util',
      'server -> metering',
      'util -> ',
      '(root) -> cli, metering, server',
    ]);
    expect(result.stderr).toContain('check-layers: ok;');
    expect(result.stderr).not.toContain('unresolved');
  });

  it('fails a folder cycle a -> b -> a, naming both folders and an example import for each edge', () => {
    const root = tree({
      'a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
      'a/four.ts': 'export const four = 4;\n',
      'b/two.ts': 'export const two = 2;\n',
      'b/three.ts': "import { four } from '../a/four.js';\nexport const three = four;\n",
    });
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[folder-cycle] folders a, b import each other');
    expect(result.stderr).toContain('a -> b (1 import), e.g. a/one.ts -> b/two.ts');
    expect(result.stderr).toContain("a/one.ts:1: import { two } from '../b/two.js';");
    expect(result.stderr).toContain('b -> a (1 import), e.g. b/three.ts -> a/four.ts');
    expect(result.stderr).toContain("b/three.ts:1: import { four } from '../a/four.js';");
    expect(result.stderr).not.toContain('[file-cycle]');
    expect(result.stderr).toContain('check-layers: 1 violation(s)');
  });

  it('exempts root files from folder cycles', () => {
    const root = tree({
      'gateway.ts': "import { a } from './a/a.js';\nexport const g = a;\nexport const name = 'g';\n",
      'a/a.ts': "import { b } from '../b/b.js';\nexport const a = b;\n",
      'b/b.ts': "import { name } from '../gateway.js';\nexport const b = name;\n",
    });
    // b -> (root) -> a -> b is a file cycle, but not a folder cycle: root files are not folder nodes.
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('[folder-cycle]');
    expect(result.stderr).toContain('[file-cycle] 3 file(s)');
  });

  it('fails a file cycle inside one folder, listing the files and the imports', () => {
    const root = tree({
      'util/x.ts': "import { y } from './y.js';\nexport const x = () => y();\n",
      'util/y.ts': "import { x } from './x.js';\nexport const y = () => x();\n",
      'util/z.ts': "import { x } from './x.js';\nexport const z = x;\n",
    });
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[file-cycle] 2 file(s) import each other; e.g. util/x.ts -> util/y.ts -> util/x.ts');
    expect(result.stderr).toContain("util/x.ts:1: import { y } from './y.js';");
    expect(result.stderr).toContain("util/y.ts:1: import { x } from './x.js';");
    expect(result.stderr).not.toContain('util/z.ts');
    expect(result.stderr).not.toContain('[folder-cycle]');
  });

  it('fails a file that imports itself', () => {
    const result = check(tree({ 'util/self.ts': "import * as self from './self.js';\nexport const me = self;\n" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[file-cycle] 1 file(s) import each other; e.g. util/self.ts -> util/self.ts');
  });

  it('fails an import of server/ from metering/, type-only or not', () => {
    const root = tree({
      'server/pipeline.ts': 'export type CallObserver = { onCall(): void };\nexport const observe = 1;\n',
      'metering/observer.ts': "import type { CallObserver } from '../server/pipeline.js';\nexport type Observer = CallObserver;\n",
      'metering/other.ts': "import {\n  observe,\n} from '../server/pipeline.js';\nexport const o = observe;\n",
    });
    const result = check(root, '--allow-type-cycles');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "[layer] metering/ imports server/ (only root files and cli/ may): metering/observer.ts:1: import type { CallObserver } from '../server/pipeline.js';",
    );
    // The line reported is the specifier's; the statement is collapsed onto one line.
    expect(result.stderr).toContain("metering/other.ts:3: import { observe, } from '../server/pipeline.js';");
    expect(result.stderr).toContain('check-layers: 2 violation(s)');
  });

  it('fails an import of cli/ from anywhere but the root, server/ included', () => {
    const root = tree({
      'cli/version.ts': "export const version = '1';\n",
      'server/app.ts': "import { version } from '../cli/version.js';\nexport const v = version;\n",
      'util/banner.ts': "import { version } from '../cli/version.js';\nexport const banner = version;\n",
      'main.ts': "import { version } from './cli/version.js';\nexport const v = version;\n",
    });
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[layer] server/ imports cli/ (only root files may): server/app.ts:1:');
    expect(result.stderr).toContain('[layer] util/ imports cli/ (only root files may): util/banner.ts:1:');
    expect(result.stderr).not.toContain('main.ts');
    expect(result.stderr).toContain('check-layers: 2 violation(s)');
  });

  it('catches import type cycles unless --allow-type-cycles', () => {
    const root = tree({
      'a/model.ts': "import type { Row } from '../b/row.js';\nexport type Model = { rows: Row[] };\n",
      'b/row.ts': "export type { Model } from '../a/model.js';\nimport type { Model } from '../a/model.js';\nexport type Row = { model: Model };\n",
      // A runtime edge one way and a type-only edge back is a cycle too, but not a runtime one.
      'c/impl.ts': "import type { Port } from './port.js';\nexport const impl: Port = { run: () => 1 };\n",
      'c/port.ts': "import { impl } from './impl.js';\nexport type Port = { run(): number };\nexport const defaultPort = impl;\n",
    });
    const strict = check(root);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('[folder-cycle] folders a, b import each other;');
    expect(strict.stderr).toContain('[file-cycle] 2 file(s) import each other; e.g. a/model.ts -> b/row.ts -> a/model.ts');
    expect(strict.stderr).toContain('[file-cycle] 2 file(s) import each other; e.g. c/impl.ts -> c/port.ts -> c/impl.ts');

    const lenient = check(root, '--allow-type-cycles');
    expect(lenient.stderr).toBe('');
    expect(lenient.code).toBe(0);
  });

  it('counts inline type modifiers as a runtime import (verbatimModuleSyntax keeps the import)', () => {
    const root = tree({
      'util/p.ts': "import { type Q } from './q.js';\nexport type P = Q;\n",
      'util/q.ts': "import type { P } from './p.js';\nexport type Q = P | 1;\n",
      'util/r.ts': "import { type S } from './s.js';\nexport type R = S;\n",
      'util/s.ts': "import { type R } from './r.js';\nexport type S = R | 1;\n",
    });
    const result = check(root, '--allow-type-cycles');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('util/r.ts -> util/s.ts -> util/r.ts');
    expect(result.stderr).not.toContain('util/p.ts');
  });

  it('resolves x.js to x.ts and dir/index.js to dir/index.ts', () => {
    const root = tree({
      'a/x.ts': "import { y } from '../b/index.js';\nexport const x = y;\n",
      'b/index.ts': "import { x } from '../a/x.js';\nexport const y = 1;\nexport const again = x;\n",
    });
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('a -> b (1 import), e.g. a/x.ts -> b/index.ts');
    expect(result.stderr).toContain('b -> a (1 import), e.g. b/index.ts -> a/x.ts');
    expect(result.stderr).toContain('e.g. a/x.ts -> b/index.ts -> a/x.ts');
    expect(result.stderr).not.toContain('unresolved');
  });

  it('sees dynamic import() and typeof import() types', () => {
    const root = tree({
      'a/lazy.ts': "export async function load(): Promise<number> {\n  const m = await import('../b/heavy.js');\n  return m.heavy;\n}\n",
      'b/heavy.ts': "import { load } from '../a/lazy.js';\nexport const heavy = 1;\nexport const again = load;\n",
      'c/typed.ts': "export type Lazy = typeof import('../server/app.js');\n",
      'server/app.ts': 'export const app = 1;\n',
    });
    const result = check(root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("a -> b (1 import), e.g. a/lazy.ts -> b/heavy.ts\n      a/lazy.ts:2: import('../b/heavy.js')");
    expect(result.stderr).toContain('[file-cycle] 2 file(s) import each other; e.g. a/lazy.ts -> b/heavy.ts -> a/lazy.ts');
    expect(result.stderr).toContain("[layer] c/ imports server/ (only root files and cli/ may): c/typed.ts:1: typeof import('../server/app.js')");
  });

  it('ignores bare specifiers, warns about unresolved relative imports, and still applies the folder rules to them', () => {
    const root = tree({
      'util/a.ts': "import 'node:fs';\nimport { z } from 'zod';\nimport { gone } from './gone.js';\nexport const a = [z, gone];\n",
      'metering/m.ts': "import type { Moved } from '../server/moved.js';\nexport type M = Moved;\n",
    });
    const result = check(root);
    expect(result.stderr).toContain("warning: util/a.ts:3: unresolved import './gone.js'");
    expect(result.stderr).toContain("warning: metering/m.ts:1: unresolved import '../server/moved.js'");
    expect(result.stderr).toContain("[layer] metering/ imports server/ (only root files and cli/ may): metering/m.ts:1: import type { Moved } from '../server/moved.js';");
    expect(result.stderr).toContain('2 files, 0 imports (2 unresolved), 2 folders');
    expect(result.code).toBe(1);
  });

  it('rejects unknown arguments and a missing root with exit code 2', () => {
    const root = tree(clean);
    expect(check(root, '--nope').code).toBe(2);
    expect(check(join(root, 'missing')).code).toBe(2);
  });
});
