import type { GatewayError } from '../../errors/index.js';

/**
 * Codes that Codex CLI handles without re-running the turn (see
 * docs/codex.md): it shows or explains them. Every other code in a
 * `response.failed` makes Codex retry the whole turn up to five times, on top
 * of the retries and fallbacks the gateway already made; so when the gateway
 * gives up, it says so with a code from this set, and the message carries
 * what really happened (with the gateway's own code).
 */
const PASSED_THROUGH = new Set(['context_length_exceeded', 'insufficient_quota', 'model_not_found', 'content_policy_violation', 'invalid_prompt']);

/**
 * Failures that are not the request's: the same request sent again succeeds
 * (the gateway ended it while shutting down). Their code is passed through,
 * so Codex runs the turn again, which is what it should do.
 */
const RETRY_ELSEWHERE = new Set(['server_shutting_down']);

/** Codex shows the message of an `invalid_prompt` failure and stops: the closest honest "do not retry this". */
const FINAL = 'invalid_prompt';

export function responsesFailureCode(error: Pick<GatewayError, 'code'>): string {
  return PASSED_THROUGH.has(error.code) || RETRY_ELSEWHERE.has(error.code) ? error.code : FINAL;
}

export function responsesFailureMessage(error: Pick<GatewayError, 'code' | 'message'>): string {
  return PASSED_THROUGH.has(error.code) || RETRY_ELSEWHERE.has(error.code) ? error.message : `${error.message} [${error.code}]`;
}
