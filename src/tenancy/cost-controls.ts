/**
 * Budgets and guardrails of tenants and keys in their written form: the
 * snake_case the configuration file and the admin API accept
 * (`{ period, limit_usd, soft, timezone, reset_at }`, `{ clamp:
 * { min_output_tokens }, downgrade, max_output_tokens, … }`). The admin API
 * shows them in this form and the store keeps them as its JSON text, so what
 * is stored is read back through the same schemas that accepted it.
 *
 * Every default is written out (`soft: []`, `timezone: "UTC"`, `reset_at:
 * "00:00"`): a stored budget means the same thing whatever a later release
 * takes as the default.
 */
import { budgetListSchema, guardrailsSchema } from '../config/budget-schema.js';
import type { BudgetConfig, GuardrailsConfig } from '../config/types.js';
import { GatewayError } from '../errors/index.js';

export interface BudgetWire {
  readonly period: 'day' | 'month';
  readonly limit_usd: number;
  readonly soft: readonly number[];
  readonly timezone: string;
  /** HH:MM, 24-hour. */
  readonly reset_at: string;
}

export interface DowngradeWire {
  readonly when_remaining_below: number;
  readonly budget?: 'day' | 'month';
  readonly from: string;
  readonly to: string;
}

export interface GuardrailsWire {
  readonly clamp?: { readonly min_output_tokens: number };
  readonly downgrade?: readonly DowngradeWire[];
  readonly max_output_tokens?: number;
  readonly max_prompt_tokens?: number;
  readonly chat_refusal_status?: 402 | 429;
}

const twoDigits = (n: number): string => String(n).padStart(2, '0');

export function budgetWire(budget: BudgetConfig): BudgetWire {
  return { period: budget.period, limit_usd: budget.limitUsd, soft: budget.soft, timezone: budget.timeZone, reset_at: `${twoDigits(budget.reset.hour)}:${twoDigits(budget.reset.minute)}` };
}

export function guardrailsWire(guardrails: GuardrailsConfig): GuardrailsWire {
  return {
    ...(guardrails.clamp === undefined ? {} : { clamp: { min_output_tokens: guardrails.clamp.minOutputTokens } }),
    ...(guardrails.downgrade === undefined
      ? {}
      : { downgrade: guardrails.downgrade.map((r): DowngradeWire => ({ when_remaining_below: r.whenRemainingBelow, ...(r.budget === undefined ? {} : { budget: r.budget }), from: r.from, to: r.to })) }),
    ...(guardrails.maxOutputTokens === undefined ? {} : { max_output_tokens: guardrails.maxOutputTokens }),
    ...(guardrails.maxPromptTokens === undefined ? {} : { max_prompt_tokens: guardrails.maxPromptTokens }),
    ...(guardrails.chatRefusalStatus === undefined ? {} : { chat_refusal_status: guardrails.chatRefusalStatus }),
  };
}

/** Which stored row a value came from, for an error that lets the operator find and fix it. */
export interface StoredRow {
  readonly table: 'tenants' | 'api_keys';
  /** The tenant's name or the key's id. */
  readonly id: string;
}

/**
 * A stored budget or guardrails value that cannot be read back (edited by
 * hand, written by a broken tool). The row's caller is refused with a 500
 * rather than served without its limits: a budget that silently vanished
 * would let spending through. The message names the row and how to set it
 * again; the value itself is not repeated.
 */
export class StoredSettingsError extends GatewayError {
  constructor(row: StoredRow, column: 'budgets' | 'guardrails', problem: string) {
    const what = row.table === 'tenants' ? `tenant '${row.id}'` : `key '${row.id}'`;
    const fix = row.table === 'tenants' ? `tollgate tenants update ${row.id} --no-${column}` : `tollgate keys update ${row.id} --no-${column}`;
    super(500, 'server_error', 'invalid_stored_settings', `The stored ${column} of ${what} (${row.table}.${column}) cannot be read: ${problem}. An administrator must set them again (\`${fix}\`, or PATCH through the admin API).`);
  }
}

function parseStored(text: string, row: StoredRow, column: 'budgets' | 'guardrails'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoredSettingsError(row, column, 'not JSON');
  }
}

const problems = (issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string }>): string =>
  issues.map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');

/** Stored text of a budget list: NULL for none. */
export function budgetsText(budgets: readonly BudgetConfig[]): string | null {
  return budgets.length === 0 ? null : JSON.stringify(budgets.map(budgetWire));
}

export function guardrailsText(guardrails: GuardrailsConfig | undefined): string | null {
  return guardrails === undefined ? null : JSON.stringify(guardrailsWire(guardrails));
}

/** Reads a stored budget list back through the schema that accepts it; throws StoredSettingsError, naming the row, when it cannot. */
export function readBudgets(text: string | null, row: StoredRow): readonly BudgetConfig[] {
  if (text === null) return [];
  const result = budgetListSchema.safeParse(parseStored(text, row, 'budgets'));
  if (!result.success) throw new StoredSettingsError(row, 'budgets', problems(result.error.issues));
  return result.data;
}

export function readGuardrails(text: string | null, row: StoredRow): GuardrailsConfig | undefined {
  if (text === null) return undefined;
  const result = guardrailsSchema.safeParse(parseStored(text, row, 'guardrails'));
  if (!result.success) throw new StoredSettingsError(row, 'guardrails', problems(result.error.issues));
  return result.data;
}
