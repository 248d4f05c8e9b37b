/**
 * `tollgate tenants …`, `tollgate keys …` and `tollgate usage`: flags to the
 * admin API's JSON input, the answer as a table (or, with --json, the API's
 * own objects, one JSON document).
 */
import { parseDuration } from '../config/units.js';
import { GatewayError, StartupError } from '../errors/index.js';
import { AdminInputError } from '../tenancy/admin-input.js';
import { AdminCommandError, type AdminBackend, type JsonValue } from './admin-backend.js';
import { runReportCommand, type ReportFlags } from './report-command.js';
import { costControlFields, describeCostControls, type CostControlFlags } from './cost-control-flags.js';

export const ADMIN_USAGE = `Tenants, keys and usage (against the configured store, or a running gateway with --url URL
and TOLLGATE_ADMIN_TOKEN):
  tollgate tenants create NAME [--models P,…] [--rpm N] [--tpm N] [--metadata JSON] [COST CONTROLS]
  tollgate tenants update NAME [--models P,…] [--rpm N|none] [--tpm N|none] [--metadata JSON] [COST CONTROLS]
  tollgate tenants list | show NAME
  tollgate keys create --tenant T [--name N] [--models P,…] [--rpm N] [--tpm N] [--expires 30d] [COST CONTROLS]
  tollgate keys update ID [--name N] [--models P,…] [--rpm N|none] [--tpm N|none] [--expires 30d|never] [COST CONTROLS]
  tollgate keys list [--tenant T] | show ID | revoke ID | rotate ID [--grace 1h]
  tollgate usage [--tenant T] [--key ID] [--model M] [--from DAY] [--to DAY] [--group-by day,tenant,key,model]
  tollgate report [--period day|month] [--date D] [--tenant T] [--timezone Z] [--format table|csv|json|markdown]
  COST CONTROLS: --budget PERIOD:USD[,soft=0.5/0.8][,timezone=TZ][,reset_at=HH:MM] (one per period) | --no-budgets
    --max-output-tokens N | --max-prompt-tokens N | --clamp-min-output-tokens N | --chat-refusal-status 402|429
    --downgrade "FROM->TO@SHARE[,budget=day|month]" (repeatable) | --no-guardrails
    On update each flag changes its own setting; --no-budgets / --no-guardrails clear first.
  Each takes --config FILE (the store) or --url URL, and --json for the API's JSON
  (report: --format json). See tollgate report --help.
`;

export interface AdminFlags extends ReportFlags, CostControlFlags {
  readonly tenant?: string | undefined;
  readonly name?: string | undefined;
  readonly models?: string | undefined;
  readonly rpm?: string | undefined;
  readonly tpm?: string | undefined;
  readonly expires?: string | undefined;
  readonly metadata?: string | undefined;
  readonly grace?: string | undefined;
  readonly key?: string | undefined;
  readonly model?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly 'group-by'?: string | undefined;
  readonly json?: boolean | undefined;
}

const DAY_MS = 86_400_000;

function integerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new AdminCommandError(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

/** On update, `none` clears the limit. */
function limitChangeFlag(name: string, text: string | undefined): number | null | undefined {
  if (text === 'none') return null;
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new AdminCommandError(`--${name} must be a positive integer or none, got '${text}'`);
  return value;
}

/** `30d`, `12h`, `90m` (from now), or a date (`2027-01-31`, ISO 8601): Unix seconds. */
export function expiryFlag(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined) return undefined;
  const days = /^(\d+)d$/.exec(text.trim());
  const span = days ? Number(days[1]) * DAY_MS : /^\d/.test(text) && !/^\d{4}-/.test(text) ? parseDuration(text) : undefined;
  const at = span !== undefined ? now + span : Date.parse(text);
  if (!Number.isFinite(at) || at <= now) throw new AdminCommandError(`--expires must be a time from now (30d, 12h) or a future date (2027-01-31), got '${text}'`);
  return Math.floor(at / 1000);
}

function listFlag(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

function metadataFlag(text: string | undefined): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonValue;
  } catch {
    // Reported below, with the expected shape.
  }
  throw new AdminCommandError(`--metadata must be a JSON object, e.g. '{"owner":"alice"}'`);
}

/** Drops the fields not given, so the API sees only what the user said. */
function defined(fields: Record<string, unknown>): JsonValue {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function table(rows: readonly JsonValue[], columns: ReadonlyArray<readonly [header: string, cell: (row: JsonValue) => unknown]>): string {
  if (rows.length === 0) return '(none)\n';
  const text = (value: unknown): string => {
    if (value === null || value === undefined) return '-';
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(String).join(',');
    return JSON.stringify(value);
  };
  const cells = rows.map((row) => columns.map(([, cell]) => text(cell(row))));
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(columns.map(([h]) => h)), ...cells.map(line)].join('\n')}\n`;
}

const time = (seconds: unknown): string => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : '-');

const TENANT_COLUMNS = [
  ['NAME', (t: JsonValue) => t['name']],
  ['SOURCE', (t: JsonValue) => t['source']],
  ['MODELS', (t: JsonValue) => t['models'] ?? '(all)'],
  ['RPM', (t: JsonValue) => t['rpm']],
  ['TPM', (t: JsonValue) => t['tpm']],
] as const;

const KEY_COLUMNS = [
  ['ID', (k: JsonValue) => k['id']],
  ['TENANT', (k: JsonValue) => k['tenant']],
  ['NAME', (k: JsonValue) => k['name']],
  ['KEY', (k: JsonValue) => k['redacted_key']],
  ['STATUS', (k: JsonValue) => k['status']],
  ['RPM', (k: JsonValue) => k['rpm']],
  ['TPM', (k: JsonValue) => k['tpm']],
  ['EXPIRES', (k: JsonValue) => time(k['expires_at'])],
] as const;

function issued(key: JsonValue, verb: string): string {
  return `${verb} key ${String(key['id'])} for tenant '${String(key['tenant'])}':\n\n  ${String(key['key'])}\n\nStore it now: it is not shown again. Codex: export TOLLGATE_API_KEY=<the key>, and set env_key = "TOLLGATE_API_KEY" in the provider block.\n`;
}

/** Runs one admin command; resolves to its output. Throws AdminCommandError (or the input's or gateway's errors) to refuse. */
export async function runAdminCommand(backend: AdminBackend, command: string, args: readonly string[], flags: AdminFlags): Promise<string> {
  const [sub, target] = args;
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  const need = (what: string): string => {
    if (target === undefined) throw new AdminCommandError(`'tollgate ${command} ${sub ?? ''}' needs ${what}`);
    return target;
  };
  const limits = () => ({ models: listFlag(flags.models), rpm: integerFlag('rpm', flags.rpm), tpm: integerFlag('tpm', flags.tpm), metadata: metadataFlag(flags.metadata) });
  const limitChanges = () => ({ models: listFlag(flags.models), rpm: limitChangeFlag('rpm', flags.rpm), tpm: limitChangeFlag('tpm', flags.tpm), metadata: metadataFlag(flags.metadata) });
  const updated = (what: string, record: JsonValue): string => (flags.json ? json(record) : `Updated ${what}.\n${describeCostControls(record)}`);
  if (command === 'tenants') {
    switch (sub) {
      case 'create': {
        const tenant = await backend.createTenant(defined({ name: need('a tenant NAME'), ...limits(), ...costControlFields(flags, undefined) }));
        return flags.json ? json(tenant) : `Created tenant '${String(tenant['name'])}'.\n`;
      }
      case 'update': {
        const name = need('a tenant NAME');
        const changes = defined({ ...limitChanges(), ...costControlFields(flags, await backend.getTenant(name)) });
        if (Object.keys(changes).length === 0) throw new AdminCommandError(`'tollgate tenants update' needs something to change (see --help)`);
        return updated(`tenant '${name}'`, await backend.updateTenant(name, changes));
      }
      case 'list': {
        const tenants = await backend.listTenants();
        return flags.json ? json(tenants) : table(tenants, TENANT_COLUMNS);
      }
      case 'show':
        return json(await backend.getTenant(need('a tenant NAME')));
    }
  }
  if (command === 'keys') {
    switch (sub) {
      case 'create': {
        if (flags.tenant === undefined) throw new AdminCommandError("'tollgate keys create' needs --tenant T");
        const key = await backend.createKey(defined({ tenant: flags.tenant, name: flags.name, ...limits(), expires_at: expiryFlag(flags.expires), ...costControlFields(flags, undefined) }));
        return flags.json ? json(key) : issued(key, 'Created');
      }
      case 'update': {
        const id = need('a key ID');
        const expires = flags.expires === 'never' ? null : expiryFlag(flags.expires);
        const changes = defined({ name: flags.name, ...limitChanges(), expires_at: expires, ...costControlFields(flags, await backend.getKey(id)) });
        if (Object.keys(changes).length === 0) throw new AdminCommandError(`'tollgate keys update' needs something to change (see --help)`);
        return updated(`key ${id}`, await backend.updateKey(id, changes));
      }
      case 'show':
        return json(await backend.getKey(need('a key ID')));
      case 'list': {
        const keys = await backend.listKeys(flags.tenant);
        return flags.json ? json(keys) : table(keys, KEY_COLUMNS);
      }
      case 'revoke': {
        const key = await backend.revokeKey(need('a key ID'));
        return flags.json ? json(key) : `Revoked key ${String(key['id'])} (${String(key['redacted_key'])}).\n`;
      }
      case 'rotate': {
        const graceMs = flags.grace === undefined ? 0 : parseDuration(flags.grace);
        if (graceMs === undefined) throw new AdminCommandError(`--grace must be a duration such as 10m or 1h, got '${flags.grace}'`);
        const key = await backend.rotateKey(need('a key ID'), { grace_seconds: Math.ceil(graceMs / 1000) });
        const note = typeof key['previous_key_valid_until'] === 'number' ? `The old key works until ${time(key['previous_key_valid_until'])}.\n` : 'The old key no longer works.\n';
        return flags.json ? json(key) : issued(key, 'Rotated') + note;
      }
    }
  }
  if (command === 'report') return await runReportCommand(backend, args, flags);
  if (command === 'usage') {
    const groupBy = flags['group-by'] ?? 'day';
    const rows = await backend.usage(Object.fromEntries(Object.entries({ tenant: flags.tenant, key: flags.key, model: flags.model, from: flags.from, to: flags.to, group_by: groupBy }).filter((e): e is [string, string] => e[1] !== undefined)));
    if (flags.json) return json(rows);
    const groups = groupBy.split(',').map((g) => g.trim()).map((g) => (g === 'key' ? 'key_id' : g));
    return table(rows, [
      ...groups.map((g) => [g.toUpperCase(), (r: JsonValue) => r[g]] as const),
      ['REQUESTS', (r: JsonValue) => r['requests']],
      ['ERRORS', (r: JsonValue) => r['errors']],
      ['PROMPT', (r: JsonValue) => r['prompt_tokens']],
      ['OUTPUT', (r: JsonValue) => r['completion_tokens']],
      ['COST_USD', (r: JsonValue) => (typeof r['cost_usd'] === 'number' ? r['cost_usd'].toFixed(4) : '-')],
    ]);
  }
  throw new AdminCommandError(`unknown command 'tollgate ${[command, sub].filter(Boolean).join(' ')}'\n\n${ADMIN_USAGE}`);
}

/** The message a refused admin command prints. */
export function adminFailure(error: unknown): string | undefined {
  if (error instanceof AdminCommandError || error instanceof GatewayError || error instanceof StartupError) return error.message;
  if (error instanceof AdminInputError) return `invalid input: ${error.message}`;
  return undefined;
}
