/**
 * What the admin API and the CLI accept to create and change tenants and
 * keys: one set of zod schemas, so both refuse the same input with the same
 * words. Unknown fields are refused (a typo must not be silently ignored).
 */
import { z } from 'zod';
import { budgetListSchema, guardrailsSchema } from '../config/budget-schema.js';
import type { UsageGroupBy, UsageQuery } from '../metering/usage-ledger.js';
import { USAGE_GROUP_BY } from '../metering/usage-ledger.js';
import type { KeyChanges, TenantChanges } from './records.js';
import type { NewKey, NewTenant } from './tenancy.js';

const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const tenantName = z.string().regex(TENANT_NAME, { error: 'expected a tenant name: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit' });
const patterns = z.array(z.string().min(1).max(200)).min(1, { error: 'expected at least one model pattern (omit the field for every model)' }).max(200);
const perMinute = z.number().int().min(1).max(1e12);
const metadata = z.record(z.string(), z.unknown()).refine((value) => JSON.stringify(value).length <= 16_384, { error: 'metadata is limited to 16 KiB of JSON' });

// Budgets and guardrails as the configuration file writes them: the same schemas, so both accept the same input.
const budgets = budgetListSchema;
const guardrails = guardrailsSchema;
const keyName = z.string().min(1).max(200);
/** Unix seconds. */
const expiresAt = z.number().int().min(0).max(1e11);

const createTenant = z.strictObject({
  name: tenantName,
  models: patterns.optional(),
  rpm: perMinute.optional(),
  tpm: perMinute.optional(),
  metadata: metadata.optional(),
  budgets: budgets.optional(),
  guardrails: guardrails.optional(),
});
const changeTenant = z.strictObject({
  models: patterns.nullable().optional(),
  rpm: perMinute.nullable().optional(),
  tpm: perMinute.nullable().optional(),
  metadata: metadata.optional(),
  budgets: budgets.nullable().optional(),
  guardrails: guardrails.nullable().optional(),
});
const createKey = z.strictObject({
  tenant: tenantName,
  name: keyName.optional(),
  models: patterns.optional(),
  rpm: perMinute.optional(),
  tpm: perMinute.optional(),
  expires_at: expiresAt.optional(),
  metadata: metadata.optional(),
  budgets: budgets.optional(),
  guardrails: guardrails.optional(),
});
const changeKey = z.strictObject({
  name: keyName.nullable().optional(),
  models: patterns.nullable().optional(),
  rpm: perMinute.nullable().optional(),
  tpm: perMinute.nullable().optional(),
  expires_at: expiresAt.nullable().optional(),
  metadata: metadata.optional(),
  budgets: budgets.nullable().optional(),
  guardrails: guardrails.nullable().optional(),
});
const rotateKey = z.strictObject({ grace_seconds: z.number().int().min(0).max(90 * 86_400).default(0) });
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const usageQuery = z.strictObject({
  tenant: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  from: z.string().regex(DAY, { error: 'expected a UTC day, YYYY-MM-DD' }).optional(),
  to: z.string().regex(DAY, { error: 'expected a UTC day, YYYY-MM-DD' }).optional(),
  group_by: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const parts = (text ?? 'day').split(',').map((p) => p.trim()).filter((p) => p !== '');
      for (const part of parts) {
        if (!(USAGE_GROUP_BY as readonly string[]).includes(part)) ctx.addIssue({ code: 'custom', message: `expected ${USAGE_GROUP_BY.join(', ')} (comma-separated), got '${part}'` });
      }
      return parts as UsageGroupBy[];
    }),
});

/** Input the caller must fix: its message lists every problem, each with its field. */
export class AdminInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'AdminInputError';
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AdminInputError(result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)));
}

export function parseNewTenant(input: unknown): NewTenant {
  return parse(createTenant, input);
}

export function parseTenantChanges(input: unknown): TenantChanges {
  return parse(changeTenant, input);
}

export function parseNewKey(input: unknown): NewKey {
  const { expires_at, ...raw } = parse(createKey, input);
  return { ...raw, expiresAt: expires_at === undefined ? undefined : expires_at * 1000 };
}

/** A change to a key: only the fields sent; null clears a setting. */
export function parseKeyChanges(input: unknown): KeyChanges {
  const { expires_at, ...raw } = parse(changeKey, input);
  return { ...raw, ...(expires_at === undefined ? {} : { expiresAt: expires_at === null ? null : expires_at * 1000 }) };
}

/** The grace period of a rotation, in milliseconds. */
export function parseRotation(input: unknown): number {
  return parse(rotateKey, input ?? {}).grace_seconds * 1000;
}

export function parseUsageQuery(input: Readonly<Record<string, string>>): UsageQuery {
  const raw = parse(usageQuery, input);
  return { tenant: raw.tenant, keyId: raw.key, model: raw.model, fromDay: raw.from, toDay: raw.to, groupBy: raw.group_by };
}
