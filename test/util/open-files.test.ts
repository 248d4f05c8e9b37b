import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clientConnectionLimit } from '../../src/gateway.js';
import { openFileLimit } from '../../src/util/open-files.js';
import { config, model, provider } from '../helpers/gateway.js';

describe('the client connection limit', () => {
  it('reads the soft open-file limit of the process', () => {
    const soft = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
    expect(openFileLimit()).toBe(soft);
  });

  it('auto: the open-file limit less the upstream pools and a reserve, never below 64; a number as configured', () => {
    const base = config([provider({ name: 'a', kind: 'openai', baseUrl: 'http://127.0.0.1:1', apiKey: 'k', maxConnections: 64 }), provider({ name: 'b', kind: 'openai', baseUrl: 'http://127.0.0.1:2', apiKey: 'k', maxConnections: 200 })], [model('m', ['a/m'])]);
    const auto = { ...base, server: { ...base.server, maxConnections: 'auto' as const } };
    expect(clientConnectionLimit(auto, 20_000)).toBe(20_000 - 264 - 64);
    expect(clientConnectionLimit(auto, 1_024)).toBe(1_024 - 264 - 64);
    expect(clientConnectionLimit(auto, 256)).toBe(64);
    expect(clientConnectionLimit(auto, undefined)).toBe(768);
    expect(clientConnectionLimit({ ...base, server: { ...base.server, maxConnections: 150 } }, 20_000)).toBe(150);
    expect(clientConnectionLimit({ ...base, server: { ...base.server, maxConnections: 0 } }, 20_000)).toBe(0);
  });
});
