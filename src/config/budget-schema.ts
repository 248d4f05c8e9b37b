/**
 * Budgets and guardrails, as the configuration file and the admin API write
 * them: snake_case in, `BudgetConfig` / `GuardrailsConfig` out.
 *
 *   budgets:
 *     - { period: month, limit_usd: 500, soft: [0.5, 0.8], timezone: Europe/Berlin }
 *   guardrails:
 *     clamp: { min_output_tokens: 256 }
 *     downgrade: [{ when_remaining_below: 0.2, from: gpt-5, to: gpt-5-mini }]
 *     max_output_tokens: 8000
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { integer, numeric, strictMapping, wildcardText } from './fields.js';
import type { BudgetConfig, DowngradeRule, GuardrailsConfig } from './types.js';

const usd = numeric(z.number().finite().positive({ error: 'expected an amount in USD above 0' }));

export const budgetSchema = strictMapping(
  {
    period: z.enum(['day', 'month'], { error: "expected 'day' or 'month'" }),
    limit_usd: usd,
    soft: z
      .array(numeric(z.number().gt(0).max(1)), { error: 'expected a list of shares of the limit, e.g. [0.5, 0.8]' })
      .refine((shares) => shares.every((share, i) => i === 0 || share > shares[i - 1]!), { error: 'expected shares in ascending order, e.g. [0.5, 0.8]' })
      .default([]),
    timezone: z
      .string()
      .refine((zone) => IANAZone.isValidZone(zone), { error: 'expected an IANA time zone such as UTC or Europe/Berlin' })
      .default('UTC'),
    reset_at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day, HH:MM (24-hour)' })
      .default('00:00'),
  },
  { expected: 'a budget mapping (period, limit_usd, soft, timezone, reset_at)' },
).transform(
  (b): BudgetConfig => ({
    period: b.period,
    limitUsd: b.limit_usd,
    soft: b.soft,
    timeZone: b.timezone,
    reset: { hour: Number(b.reset_at.slice(0, 2)), minute: Number(b.reset_at.slice(3)) },
  }),
);

export const budgetListSchema = z
  .array(budgetSchema)
  .refine((list) => new Set(list.map((b) => b.period)).size === list.length, { error: 'expected at most one budget per period (day, month)' });

const downgradeRule = strictMapping(
  {
    when_remaining_below: numeric(z.number().gt(0).max(1, { error: 'expected a share of the budget between 0 and 1, e.g. 0.2' })),
    budget: z.enum(['day', 'month'], { error: "expected 'day' or 'month' (omit it for the tightest budget)" }).optional(),
    from: wildcardText('a model name or pattern'),
    to: z.string().min(1, { error: 'expected the model name to serve instead' }),
  },
  { expected: 'a downgrade rule (when_remaining_below, from, to, budget)' },
).transform(
  (r): DowngradeRule => ({ whenRemainingBelow: r.when_remaining_below, from: r.from, to: r.to, ...(r.budget === undefined ? {} : { budget: r.budget }) }),
);

export const guardrailsSchema = strictMapping(
  {
    clamp: strictMapping({ min_output_tokens: integer(1) }, { expected: 'a clamp mapping (min_output_tokens)' }).optional(),
    downgrade: z.array(downgradeRule).optional(),
    max_output_tokens: integer(1).optional(),
    max_prompt_tokens: integer(1).optional(),
    chat_refusal_status: numeric(z.union([z.literal(402), z.literal(429)], { error: 'expected 402 or 429' })).optional(),
  },
  { expected: 'a guardrails mapping (clamp, downgrade, max_output_tokens, max_prompt_tokens, chat_refusal_status)' },
).transform(
  (g): GuardrailsConfig => ({
    ...(g.clamp === undefined ? {} : { clamp: { minOutputTokens: g.clamp.min_output_tokens } }),
    ...(g.downgrade === undefined ? {} : { downgrade: g.downgrade }),
    ...(g.max_output_tokens === undefined ? {} : { maxOutputTokens: g.max_output_tokens }),
    ...(g.max_prompt_tokens === undefined ? {} : { maxPromptTokens: g.max_prompt_tokens }),
    ...(g.chat_refusal_status === undefined ? {} : { chatRefusalStatus: g.chat_refusal_status }),
  }),
);
