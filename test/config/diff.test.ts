/**
 * diffConfig and effectiveConfig: what a reload reports as changed, and that
 * settings bound at start-up keep their running value.
 */
import { describe, expect, it } from 'vitest';
import { diffConfig, effectiveConfig, isUnchanged } from '../../src/config/diff.js';
import { parseConfigText } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/config/types.js';

const BASE = {
  server: '{ host: 127.0.0.1, port: 8787 }',
  logging: '{ level: info }',
  pricing: '{ models: [{ provider: up, model: m, input: 1, output: 2 }] }',
  resilience: '{ retry: { max_attempts: 2 } }',
  tenants: '[{ name: team-a, rpm: 10 }]',
  providers: ['{ name: up, kind: openai-compatible, base_url: "http://127.0.0.1:9/v1" }', '{ name: other, kind: openai-compatible, base_url: "http://127.0.0.1:10/v1" }'],
  models: ['{ name: a, route: [up/m] }', '{ name: b, route: [up/m, other/m] }'],
};

type Parts = typeof BASE;

function load(parts: Partial<Parts> = {}): GatewayConfig {
  const p = { ...BASE, ...parts };
  const text = [
    `server: ${p.server}`,
    `logging: ${p.logging}`,
    `pricing: ${p.pricing}`,
    `resilience: ${p.resilience}`,
    `tenants: ${p.tenants}`,
    'store: { path: ":memory:" }',
    'providers:',
    ...p.providers.map((line) => `  - ${line}`),
    'models:',
    ...p.models.map((line) => `  - ${line}`),
    '',
  ].join('\n');
  return parseConfigText(text, 'tollgate.yaml', {});
}

describe('diffConfig', () => {
  it('reports nothing for the same file', () => {
    const changes = diffConfig(load(), load());
    expect(isUnchanged(changes)).toBe(true);
    expect(changes.routes).toEqual({ added: [], removed: [], changed: [] });
  });

  it('names routes and providers added, removed and changed', () => {
    const next = load({
      providers: ['{ name: up, kind: openai-compatible, base_url: "http://127.0.0.1:11/v1" }', '{ name: third, kind: openai-compatible, base_url: "http://127.0.0.1:12/v1" }'],
      models: ['{ name: a, route: [up/m] }', '{ name: c, route: [third/m] }'],
    });
    const changes = diffConfig(load(), next);
    expect(changes.routes).toEqual({ added: ['c'], removed: ['b'], changed: [] });
    expect(changes.providers).toEqual({ added: ['third'], removed: ['other'], changed: ['up'] });
    expect(changes.needsRestart).toEqual([]);
    expect(isUnchanged(changes)).toBe(false);
  });

  it('sees a route whose deployments, weights or guardrails changed', () => {
    const changes = diffConfig(load(), load({ models: ['{ name: a, route: [up/m], guardrails: { max_output_tokens: 100 } }', '{ name: b, route: [other/m, up/m] }'] }));
    expect(changes.routes.changed).toEqual(['a', 'b']);
  });

  it('a resilience change changes every provider that inherits it', () => {
    const changes = diffConfig(load(), load({ resilience: '{ retry: { max_attempts: 3 } }' }));
    expect(changes.live).toEqual(['resilience']);
    expect(changes.providers.changed).toEqual(['up', 'other']);
  });

  it('lists the live sections that changed: pricing, tenants, logging', () => {
    const changes = diffConfig(
      load(),
      load({ pricing: '{ models: [{ provider: up, model: m, input: 5, output: 9 }] }', tenants: '[{ name: team-a, rpm: 20 }]', logging: '{ level: debug }' }),
    );
    expect([...changes.live].sort()).toEqual(['logging', 'pricing', 'tenants']);
    expect(changes.needsRestart).toEqual([]);
  });

  it('names, as YAML paths, the settings that need a restart', () => {
    const changes = diffConfig(
      load(),
      load({ server: '{ host: 0.0.0.0, port: 9000, shutdown_grace: 5s }', pricing: '{ unpriced: free, models: [{ provider: up, model: m, input: 1, output: 2 }] }' }),
    );
    expect([...changes.needsRestart].sort()).toEqual(['pricing.unpriced', 'server.host', 'server.port', 'server.shutdown_grace']);
    expect(changes.live).toEqual([]);
  });

  it('treats a section added later (not known as live) as needing a restart', () => {
    const current = load();
    const next = { ...load(), redis: { url: 'redis://127.0.0.1:6379' } } as unknown as GatewayConfig;
    expect(diffConfig(current, next).needsRestart).toEqual(['redis']);
  });
});

describe('effectiveConfig', () => {
  it('takes the live sections from the new file and keeps the rest', () => {
    const current = load();
    const next = load({
      server: '{ host: 0.0.0.0, port: 9000 }',
      pricing: '{ unpriced: free, models: [{ provider: up, model: m, input: 5, output: 9 }] }',
      models: ['{ name: a, route: [up/m] }'],
      logging: '{ level: warn }',
    });
    const effective = effectiveConfig(current, next);
    expect(effective.server).toBe(current.server);
    expect(effective.store).toBe(current.store);
    expect(effective.auth).toBe(current.auth);
    expect(effective.models).toBe(next.models);
    expect(effective.providers).toBe(next.providers);
    expect(effective.logging.level).toBe('warn');
    expect(effective.pricing.models).toEqual(next.pricing.models);
    expect(effective.pricing.unpriced).toBeUndefined();
    expect(effective.source).toBe('tollgate.yaml');
    expect(Object.isFrozen(effective)).toBe(true);
    // What it keeps is what the next diff compares against: the restart-only change is reported again, not lost.
    expect(diffConfig(effective, next).needsRestart).toEqual(expect.arrayContaining(['server.host', 'server.port', 'pricing.unpriced']));
  });

  it('keeps a running pricing.unpriced the new file drops', () => {
    const current = load({ pricing: '{ unpriced: free, models: [] }' });
    expect(effectiveConfig(current, load()).pricing.unpriced).toBe('free');
  });
});
