/**
 * The guardrails that apply to one call: the caller's key's, its tenant's and
 * the model's, merged so that the strictest setting wins — the lowest output
 * and prompt ceilings; the clamp floor and the Chat refusal status of the most
 * specific level that sets them (key, then tenant, then model); every
 * downgrade rule, the key's first. Merged once per (principal, route) pair and
 * kept: the request path reads a cached object.
 */
import type { DowngradeRule, GuardrailsConfig } from '../config/types.js';
import type { Principal } from '../pipeline/contracts.js';
import type { ResolvedRoute } from '../routing/router.js';

export interface EffectiveGuardrails {
  /** The cut-off: a request's output ends at this many tokens. */
  readonly maxOutputTokens: number | undefined;
  readonly maxPromptTokens: number | undefined;
  /** The clamp's floor; undefined: no clamp (a call that does not fit is refused). */
  readonly clampFloor: number | undefined;
  readonly downgrade: readonly DowngradeRule[];
  readonly chatRefusalStatus: 402 | 429;
}

export const NO_GUARDRAILS: EffectiveGuardrails = Object.freeze({
  maxOutputTokens: undefined,
  maxPromptTokens: undefined,
  clampFloor: undefined,
  downgrade: Object.freeze([]),
  chatRefusalStatus: 429,
});

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Merges guardrails listed from the most specific level to the least. */
export function mergeGuardrails(levels: readonly GuardrailsConfig[]): EffectiveGuardrails {
  if (levels.length === 0) return NO_GUARDRAILS;
  let maxOutputTokens: number | undefined;
  let maxPromptTokens: number | undefined;
  let clampFloor: number | undefined;
  let chatRefusalStatus: 402 | 429 | undefined;
  const downgrade: DowngradeRule[] = [];
  for (const level of levels) {
    maxOutputTokens = lowest(maxOutputTokens, level.maxOutputTokens);
    maxPromptTokens = lowest(maxPromptTokens, level.maxPromptTokens);
    clampFloor ??= level.clamp?.minOutputTokens;
    chatRefusalStatus ??= level.chatRefusalStatus;
    if (level.downgrade !== undefined) downgrade.push(...level.downgrade);
  }
  return Object.freeze({ maxOutputTokens, maxPromptTokens, clampFloor, downgrade: Object.freeze(downgrade), chatRefusalStatus: chatRefusalStatus ?? 429 });
}

/** Effective guardrails per principal's guardrail list and route: computed once, then read. */
export class GuardrailCache {
  private readonly byLevels = new WeakMap<readonly GuardrailsConfig[], Map<string, EffectiveGuardrails>>();

  for(principal: Principal, route: ResolvedRoute): EffectiveGuardrails {
    const own = principal.guardrails;
    if (own.length === 0 && route.guardrails === undefined) return NO_GUARDRAILS;
    let byRoute = this.byLevels.get(own);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.byLevels.set(own, byRoute);
    }
    let merged = byRoute.get(route.name);
    if (merged === undefined) {
      merged = mergeGuardrails(route.guardrails === undefined ? own : [...own, route.guardrails]);
      byRoute.set(route.name, merged);
    }
    return merged;
  }
}
