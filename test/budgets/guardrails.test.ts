import { describe, expect, it } from 'vitest';
import { GuardrailCache, NO_GUARDRAILS, mergeGuardrails } from '../../src/budgets/guardrails.js';
import type { Principal } from '../../src/pipeline/contracts.js';
import type { ResolvedRoute } from '../../src/routing/router.js';

describe('mergeGuardrails', () => {
  it('keeps the lowest ceilings, the most specific clamp floor and refusal status, and every downgrade rule in order', () => {
    const merged = mergeGuardrails([
      { maxOutputTokens: 8_000, clamp: { minOutputTokens: 512 }, downgrade: [{ whenRemainingBelow: 0.1, from: 'gpt-5', to: 'gpt-5-nano' }] },
      { maxOutputTokens: 4_000, maxPromptTokens: 100_000, clamp: { minOutputTokens: 256 }, chatRefusalStatus: 402, downgrade: [{ whenRemainingBelow: 0.2, from: 'gpt-5', to: 'gpt-5-mini' }] },
      { maxPromptTokens: 50_000 },
    ]);
    expect(merged).toEqual({
      maxOutputTokens: 4_000,
      maxPromptTokens: 50_000,
      clampFloor: 512,
      chatRefusalStatus: 402,
      downgrade: [
        { whenRemainingBelow: 0.1, from: 'gpt-5', to: 'gpt-5-nano' },
        { whenRemainingBelow: 0.2, from: 'gpt-5', to: 'gpt-5-mini' },
      ],
    });
  });

  it('is the shared empty object for none', () => {
    expect(mergeGuardrails([])).toBe(NO_GUARDRAILS);
  });
});

describe('GuardrailCache', () => {
  const principal = (guardrails: Principal['guardrails']): Principal => ({ tenant: 't', keyId: undefined, modelScopes: [], rateLimits: [], budgets: [], guardrails });
  const route = (name: string, guardrails?: ResolvedRoute['guardrails']): ResolvedRoute => ({ name, deployments: [], contextWindow: undefined, balancing: 'weighted', guardrails });

  it('merges once per principal and route, adding the route’s own last', () => {
    const cache = new GuardrailCache();
    const caller = principal([{ maxOutputTokens: 100 }]);
    const first = cache.for(caller, route('m', { maxOutputTokens: 50, maxPromptTokens: 10 }));
    expect(first).toMatchObject({ maxOutputTokens: 50, maxPromptTokens: 10 });
    expect(cache.for(caller, route('m', { maxOutputTokens: 50, maxPromptTokens: 10 }))).toBe(first);
    expect(cache.for(caller, route('other'))).toMatchObject({ maxOutputTokens: 100, maxPromptTokens: undefined });
    expect(cache.for(principal([]), route('plain'))).toBe(NO_GUARDRAILS);
  });
});
