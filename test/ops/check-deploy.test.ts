/**
 * scripts/ci/check-deploy.sh passes on the shipped files and fails (non-zero,
 * naming the check) when a rule no longer matches its unit tests.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from './support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  readonly code: number;
  readonly output: string;
}

function run(script: string): Promise<Run> {
  return new Promise((done) => {
    execFile('bash', [script], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

let copy: string | undefined;

beforeAll(() => {
  requireBinary('promtool');
  requireBinary('amtool');
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('scripts/ci/check-deploy.sh', () => {
  it('passes on the shipped deploy files', async () => {
    const result = await run(join(ROOT, 'scripts/ci/check-deploy.sh'));
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('check-deploy: all checks passed');
    expect(result.output).toContain('TollgateHighErrorRate (severity=ticket) -> tollgate-slack');
  });

  it('fails and names the check when an alert threshold drifts from its unit tests', async () => {
    copy = mkdtempSync(join(tmpdir(), 'tollgate-check-deploy-'));
    cpSync(join(ROOT, 'deploy'), join(copy, 'deploy'), { recursive: true });
    cpSync(join(ROOT, 'scripts/ci'), join(copy, 'scripts/ci'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const rules = join(copy, 'deploy/prometheus/alerts.yml');
    const original = readFileSync(rules, 'utf8');
    const drifted = original.replace(') > 0.05', ') > 0.07');
    expect(drifted).not.toBe(original);
    writeFileSync(rules, drifted);

    const result = await run(join(copy, 'scripts/ci/check-deploy.sh'));
    expect(result.code).toBe(1);
    expect(result.output).toContain('FAILED: promtool test rules');
    expect(result.output).toContain('check-deploy: 1 check(s) failed');
  });
});
