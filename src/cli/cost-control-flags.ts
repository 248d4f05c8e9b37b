/**
 * Budget and guardrail flags of `tollgate tenants|keys create|update`, turned
 * into the admin API's `budgets` and `guardrails` fields:
 *
 *   --budget month:500                                         one per period, repeatable
 *   --budget "day:40,soft=0.5/0.8,timezone=Europe/Berlin,reset_at=06:00"
 *   --no-budgets                                               clear every budget
 *   --max-output-tokens N  --max-prompt-tokens N  --clamp-min-output-tokens N
 *   --downgrade "gpt-5->gpt-5-mini@0.2"                        repeatable, in order; ",budget=day" picks the budget
 *   --chat-refusal-status 402|429
 *   --no-guardrails                                            clear every guardrail
 *
 * On update each flag changes its own setting and keeps the others: a
 * `--budget day:…` replaces the day budget and keeps the month's; a guardrail
 * flag replaces that guardrail (`--downgrade` the whole list). `--no-budgets`
 * or `--no-guardrails` first clears, so with other flags it replaces the lot.
 * The flags' syntax is checked here; the values (a time zone, shares in
 * ascending order) by the admin API's own schemas.
 */
import { AdminCommandError, type JsonValue } from './admin-backend.js';

export interface CostControlFlags {
  readonly budget?: readonly string[] | undefined;
  readonly 'no-budgets'?: boolean | undefined;
  readonly 'max-output-tokens'?: string | undefined;
  readonly 'max-prompt-tokens'?: string | undefined;
  readonly 'clamp-min-output-tokens'?: string | undefined;
  readonly downgrade?: readonly string[] | undefined;
  readonly 'chat-refusal-status'?: string | undefined;
  readonly 'no-guardrails'?: boolean | undefined;
}

const BUDGET_SYNTAX = `PERIOD:LIMIT_USD[,soft=0.5/0.8][,timezone=Europe/Berlin][,reset_at=06:00], e.g. month:500`;
const DOWNGRADE_SYNTAX = `FROM->TO@SHARE[,budget=day|month], e.g. "gpt-5->gpt-5-mini@0.2"`;
const BUDGET_OPTIONS = ['soft', 'timezone', 'reset_at'] as const;

/** A number as typed; a text that is not one is left as it is, for the API's schema to name. */
function numberOrText(text: string): number | string {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}

/** `--budget` → a budget of the admin API (snake_case). */
export function budgetFlag(text: string): JsonValue {
  const colon = text.indexOf(':');
  const [head = '', ...options] = text.split(',');
  const period = head.slice(0, colon).trim();
  const limit = head.slice(colon + 1).trim().replace(/^\$/, '');
  if (colon < 0 || colon > head.length || (period !== 'day' && period !== 'month') || limit === '') {
    throw new AdminCommandError(`--budget must be ${BUDGET_SYNTAX}; got '${text}'`);
  }
  const budget: JsonValue = { period, limit_usd: numberOrText(limit) };
  for (const option of options) {
    const equals = option.indexOf('=');
    const name = option.slice(0, equals).trim();
    const value = option.slice(equals + 1).trim();
    if (equals < 0 || !(BUDGET_OPTIONS as readonly string[]).includes(name)) throw new AdminCommandError(`--budget options are soft=, timezone= and reset_at= (${BUDGET_SYNTAX}); got '${option.trim()}'`);
    budget[name] = name === 'soft' ? value.split('/').map(numberOrText) : value;
  }
  return budget;
}

/** `--downgrade` → a downgrade rule of the admin API. */
export function downgradeFlag(text: string): JsonValue {
  const [rule = '', ...options] = text.split(',');
  const arrow = rule.indexOf('->');
  const at = rule.lastIndexOf('@');
  const from = rule.slice(0, arrow).trim();
  const to = rule.slice(arrow + 2, at).trim();
  const share = rule.slice(at + 1).trim();
  if (arrow <= 0 || at < arrow || from === '' || to === '' || share === '') throw new AdminCommandError(`--downgrade must be ${DOWNGRADE_SYNTAX}; got '${text}'`);
  const downgrade: JsonValue = { when_remaining_below: numberOrText(share), from, to };
  for (const option of options) {
    const match = /^\s*budget=(.*)$/.exec(option);
    if (match === null) throw new AdminCommandError(`--downgrade takes one option, budget=day or budget=month (${DOWNGRADE_SYNTAX}); got '${option.trim()}'`);
    downgrade['budget'] = match[1]!.trim();
  }
  return downgrade;
}

function tokensFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new AdminCommandError(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

const isObject = (value: unknown): value is JsonValue => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The `budgets` and `guardrails` fields the flags ask for: absent when no flag
 * touches them. `current` is the tenant's or key's object as the API shows it
 * (update), or undefined (create).
 */
export function costControlFields(flags: CostControlFlags, current: JsonValue | undefined): JsonValue {
  const fields: JsonValue = {};
  const given = (flags.budget ?? []).map(budgetFlag);
  if (flags['no-budgets'] === true || given.length > 0) {
    const periods = new Set<unknown>();
    for (const budget of given) {
      if (periods.has(budget['period'])) throw new AdminCommandError(`--budget is given twice for the period '${String(budget['period'])}': one budget per period`);
      periods.add(budget['period']);
    }
    const kept = flags['no-budgets'] === true || !Array.isArray(current?.['budgets']) ? [] : (current['budgets'] as unknown[]).filter((b) => isObject(b) && !periods.has(b['period']));
    // The budgets kept first, in their order, then the ones given.
    fields['budgets'] = given.length === 0 && kept.length === 0 ? null : [...kept, ...given];
  }

  const changes: JsonValue = {};
  const maxOutput = tokensFlag('max-output-tokens', flags['max-output-tokens']);
  const maxPrompt = tokensFlag('max-prompt-tokens', flags['max-prompt-tokens']);
  const clampMin = tokensFlag('clamp-min-output-tokens', flags['clamp-min-output-tokens']);
  if (maxOutput !== undefined) changes['max_output_tokens'] = maxOutput;
  if (maxPrompt !== undefined) changes['max_prompt_tokens'] = maxPrompt;
  if (clampMin !== undefined) changes['clamp'] = { min_output_tokens: clampMin };
  if (flags.downgrade !== undefined && flags.downgrade.length > 0) changes['downgrade'] = flags.downgrade.map(downgradeFlag);
  if (flags['chat-refusal-status'] !== undefined) changes['chat_refusal_status'] = numberOrText(flags['chat-refusal-status']);
  const clear = flags['no-guardrails'] === true;
  if (clear || Object.keys(changes).length > 0) {
    const base = clear || !isObject(current?.['guardrails']) ? {} : current['guardrails'];
    fields['guardrails'] = clear && Object.keys(changes).length === 0 ? null : { ...base, ...changes };
  }
  return fields;
}

/** A value of the API's JSON as text: strings as they are, anything else as JSON. */
const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const usd = (value: unknown): string => (typeof value === 'number' ? `$${value.toFixed(2)}` : show(value));

/** One line each for budgets and guardrails, as an update's answer shows them (nothing when there are none). */
export function describeCostControls(record: JsonValue): string {
  const lines: string[] = [];
  const budgets = Array.isArray(record['budgets']) ? (record['budgets'] as unknown[]).filter(isObject) : [];
  lines.push(
    `  budgets: ${
      budgets.length === 0
        ? 'none'
        : budgets
            .map((b) => {
              const soft = Array.isArray(b['soft']) && b['soft'].length > 0 ? `, alerts at ${(b['soft'] as unknown[]).map((s) => `${Math.round(Number(s) * 100)}%`).join('/')}` : '';
              return `${show(b['period'])} ${usd(b['limit_usd'])} (resets ${show(b['reset_at'])} ${show(b['timezone'])}${soft})`;
            })
            .join(', ')
    }`,
  );
  const guardrails = isObject(record['guardrails']) ? record['guardrails'] : undefined;
  const parts: string[] = [];
  if (guardrails !== undefined) {
    if (guardrails['max_output_tokens'] !== undefined) parts.push(`max output ${show(guardrails['max_output_tokens'])} tokens`);
    if (guardrails['max_prompt_tokens'] !== undefined) parts.push(`max prompt ${show(guardrails['max_prompt_tokens'])} tokens`);
    if (isObject(guardrails['clamp'])) parts.push(`clamp to at least ${show(guardrails['clamp']['min_output_tokens'])} output tokens`);
    for (const rule of Array.isArray(guardrails['downgrade']) ? (guardrails['downgrade'] as unknown[]).filter(isObject) : []) {
      parts.push(`downgrade ${show(rule['from'])}->${show(rule['to'])} below ${Math.round(Number(rule['when_remaining_below']) * 100)}%${rule['budget'] === undefined ? '' : ` of the ${show(rule['budget'])} budget`}`);
    }
    if (guardrails['chat_refusal_status'] !== undefined) parts.push(`chat refusals ${show(guardrails['chat_refusal_status'])}`);
  }
  lines.push(`  guardrails: ${parts.length === 0 ? 'none' : parts.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
