/**
 * From the console's form fields to the admin API's request bodies. Fields
 * are text; a problem a person can fix before sending is reported here, and
 * everything else is left to the server's validation (its message is shown).
 */
import type { BudgetWire } from '../api/types.js';

export class FormProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormProblem';
  }
}

/** "gpt-5*, gpt-oss:*" → patterns; empty → undefined (every model). */
export function parseModels(text: string): string[] | undefined {
  const patterns = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  return patterns.length === 0 ? undefined : patterns;
}

/** A whole number ≥ 1 per minute, or undefined when the field is empty (no limit). */
export function parsePerMinute(text: string, field: string): number | undefined {
  const trimmed = text.trim().replace(/[_,\s]/g, '');
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isInteger(value) || value < 1) throw new FormProblem(`${field}: expected a whole number of at least 1, or nothing for no limit.`);
  return value;
}

/** An amount in USD above 0, or undefined when empty. */
export function parseUsd(text: string, field: string): number | undefined {
  const trimmed = text.trim().replace(/^\$/, '');
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value <= 0) throw new FormProblem(`${field}: expected an amount in USD above 0, or nothing for no budget.`);
  return value;
}

/** "50, 80" (percent of the limit) → [0.5, 0.8]. */
export function parseSoft(text: string, field: string): number[] {
  const parts = text.split(',').map((p) => p.trim().replace(/%$/, '')).filter((p) => p !== '');
  return parts.map((part) => {
    const pct = Number(part);
    if (!Number.isFinite(pct) || pct <= 0 || pct >= 100) throw new FormProblem(`${field}: expected percentages between 0 and 100, such as 50, 80.`);
    return Math.round(pct * 100) / 10_000;
  }).sort((a, b) => a - b);
}

/** Soft thresholds as the form shows them: [0.5, 0.8] → "50, 80". */
export const softText = (soft: readonly number[]): string => soft.map((s) => String(Math.round(s * 10_000) / 100)).join(', ');

export interface NewTenantFields {
  readonly name: string;
  readonly models: string;
  readonly rpm: string;
  readonly tpm: string;
}

export function newTenantBody(fields: NewTenantFields): Record<string, unknown> {
  const name = fields.name.trim();
  if (name === '') throw new FormProblem('Name: required.');
  return withoutUndefined({ name, models: parseModels(fields.models), rpm: parsePerMinute(fields.rpm, 'RPM'), tpm: parsePerMinute(fields.tpm, 'TPM') });
}

export interface NewKeyFields {
  readonly name: string;
  readonly models: string;
  readonly rpm: string;
  readonly tpm: string;
  /** YYYY-MM-DD from a date input, or empty. */
  readonly expires: string;
}

/** The key expires at the start of the chosen day, in the viewer's time zone. */
export function expiresAtOf(day: string): number | undefined {
  if (day.trim() === '') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (match === null) throw new FormProblem('Expires: expected a date.');
  const [, y, m, d] = match;
  return Math.floor(new Date(Number(y), Number(m) - 1, Number(d)).getTime() / 1000);
}

export function newKeyBody(tenant: string, fields: NewKeyFields): Record<string, unknown> {
  const name = fields.name.trim();
  return withoutUndefined({
    tenant,
    name: name === '' ? undefined : name,
    models: parseModels(fields.models),
    rpm: parsePerMinute(fields.rpm, 'RPM'),
    tpm: parsePerMinute(fields.tpm, 'TPM'),
    expires_at: expiresAtOf(fields.expires),
  });
}

export interface LimitsFields {
  readonly rpm: string;
  readonly tpm: string;
  readonly dailyUsd: string;
  readonly dailySoft: string;
  readonly monthlyUsd: string;
  readonly monthlySoft: string;
}

export function limitsFieldsOf(owner: { readonly rpm: number | null; readonly tpm: number | null; readonly budgets: readonly BudgetWire[] }): LimitsFields {
  const day = owner.budgets.find((b) => b.period === 'day');
  const month = owner.budgets.find((b) => b.period === 'month');
  return {
    rpm: owner.rpm === null ? '' : String(owner.rpm),
    tpm: owner.tpm === null ? '' : String(owner.tpm),
    dailyUsd: day === undefined ? '' : String(day.limit_usd),
    dailySoft: day === undefined ? '' : softText(day.soft),
    monthlyUsd: month === undefined ? '' : String(month.limit_usd),
    monthlySoft: month === undefined ? '' : softText(month.soft),
  };
}

/**
 * The PATCH body for limits and budgets: an empty field clears its setting
 * (null). A budget kept keeps its time zone and reset time, which this form
 * does not edit.
 */
export function limitsPatch(fields: LimitsFields, current: readonly BudgetWire[]): Record<string, unknown> {
  const budgets: Record<string, unknown>[] = [];
  for (const [period, usdText, softTextValue, label] of [
    ['day', fields.dailyUsd, fields.dailySoft, 'Daily budget'],
    ['month', fields.monthlyUsd, fields.monthlySoft, 'Monthly budget'],
  ] as const) {
    const limit = parseUsd(usdText, label);
    const soft = parseSoft(softTextValue, `${label} soft thresholds`);
    if (limit === undefined) {
      if (soft.length > 0) throw new FormProblem(`${label}: soft thresholds need a limit.`);
      continue;
    }
    const existing = current.find((b) => b.period === period);
    budgets.push({ period, limit_usd: limit, soft, ...(existing === undefined ? {} : { timezone: existing.timezone, reset_at: existing.reset_at }) });
  }
  return { rpm: parsePerMinute(fields.rpm, 'RPM') ?? null, tpm: parsePerMinute(fields.tpm, 'TPM') ?? null, budgets: budgets.length === 0 ? null : budgets };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
