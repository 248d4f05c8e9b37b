/** The admin API described for tools (OpenAPI 3.1), served at GET /admin/v1/openapi.json. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const error = { description: 'An OpenAI-shaped error', ...json(ref('Error')) };
const errors = { '400': error, '401': error, '404': error, '409': error };
const list = (item: string) => ({ type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: ref(item) } } });
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const queryParam = (name: string, description: string) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } });
const patterns = { type: 'array', items: { type: 'string' }, description: 'Model-name patterns; `*` matches any run of characters.' };
const perMinute = { type: 'integer', minimum: 1 };
const budgets = { type: 'array', items: ref('BudgetSetting'), description: 'At most one budget per period (day, month).' };
const nullable = (schema: Record<string, unknown>) => ({ oneOf: [schema, { type: 'null' }] });
const costControls = { budgets, guardrails: ref('Guardrails') };
const costControlChanges = { budgets: { ...nullable(budgets), description: 'Replaces the whole list; null or [] clears it.' }, guardrails: { ...nullable(ref('Guardrails')), description: 'Replaces the whole object; null clears it.' } };

export const ADMIN_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Tollgate admin API',
    version: '1',
    description:
      'Tenants, virtual keys, their budgets and guardrails, usage and billing reports, the live feed of calls. Authenticate with `Authorization: Bearer <auth.admin_token>`, or with the session cookie of POST /session (then send its CSRF token as `x-csrf-token` with every method but GET and HEAD).',
  },
  servers: [{ url: '/admin/v1' }],
  security: [{ adminToken: [] }, { consoleSession: [] }],
  paths: {
    '/tenants': {
      get: { summary: 'List tenants', responses: { '200': json(list('Tenant')), ...errors } },
      post: { summary: 'Create a tenant', requestBody: json(ref('NewTenant')), responses: { '201': json(ref('Tenant')), ...errors } },
    },
    '/tenants/{name}': {
      parameters: [pathParam('name')],
      get: { summary: 'Show a tenant', responses: { '200': json(ref('Tenant')), ...errors } },
      patch: { summary: 'Change a tenant created through this API (null clears a setting)', requestBody: json(ref('TenantChanges')), responses: { '200': json(ref('Tenant')), ...errors } },
    },
    '/keys': {
      get: { summary: 'List keys', parameters: [queryParam('tenant', 'Only this tenant’s keys')], responses: { '200': json(list('Key')), ...errors } },
      post: { summary: 'Create a key (the answer holds the key, shown this once)', requestBody: json(ref('NewKey')), responses: { '201': json(ref('IssuedKey')), ...errors } },
    },
    '/keys/{id}': {
      parameters: [pathParam('id')],
      get: { summary: 'Show a key', responses: { '200': json(ref('Key')), ...errors } },
      patch: {
        summary: 'Change a key’s settings, effective from its next request on this gateway (null clears a setting; a revoked key: 409)',
        requestBody: json(ref('KeyChanges')),
        responses: { '200': json(ref('Key')), ...errors },
      },
    },
    '/keys/{id}/revoke': { parameters: [pathParam('id')], post: { summary: 'Revoke a key, at once', responses: { '200': json(ref('Key')), ...errors } } },
    '/keys/{id}/rotate': {
      parameters: [pathParam('id')],
      post: {
        summary: 'A new secret for the key; the old one keeps working for grace_seconds',
        requestBody: json({ type: 'object', properties: { grace_seconds: { type: 'integer', minimum: 0, default: 0 } }, additionalProperties: false }),
        responses: { '201': json(ref('IssuedKey')), ...errors },
      },
    },
    '/budgets': {
      get: {
        summary: 'Every budget of every tenant and of its keys that are not revoked: limit, spend and reservations of its current period, reset time',
        parameters: [queryParam('tenant', 'Only this tenant’s budgets and its keys’')],
        responses: { '200': json(list('Budget')), ...errors },
      },
    },
    '/usage': {
      get: {
        summary: 'Usage from the ledger, filtered and grouped',
        parameters: [
          queryParam('tenant', 'Only this tenant'),
          queryParam('key', 'Only this key id'),
          queryParam('model', 'Only this model (the name clients sent)'),
          queryParam('from', 'First UTC day, YYYY-MM-DD'),
          queryParam('to', 'Last UTC day, YYYY-MM-DD (included)'),
          queryParam('group_by', 'Comma-separated: day, tenant, key, model (default day)'),
        ],
        responses: { '200': json(list('UsageGroup')), ...errors },
      },
    },
    '/session': {
      post: {
        summary: 'Log in with the admin token: sets the tollgate_session cookie (HttpOnly, SameSite=Strict, 12 h) and answers the CSRF token; 10 failures a minute from one address, then 429',
        security: [],
        requestBody: json({ type: 'object', required: ['token'], properties: { token: { type: 'string' } }, additionalProperties: false }),
        responses: { '200': json(ref('Session')), '429': error, ...errors },
      },
      get: { summary: 'The session of the cookie (its CSRF token again)', security: [{ consoleSession: [] }], responses: { '200': json(ref('Session')), ...errors } },
      delete: { summary: 'Log out: ends the session and clears the cookie', responses: { '204': { description: 'Logged out' }, '403': error, ...errors } },
    },
    '/events': {
      get: {
        summary: 'The live feed: each finished call as an SSE `event: request` (a FeedEvent); `event: dropped` with {"count"} after events a slow reader lost; a keep-alive comment every 15 s; at most 32 subscribers (then 429)',
        parameters: [queryParam('tenant', 'Only this tenant'), queryParam('model', 'Only this model (the name sent or the route)'), { ...queryParam('status', 'Only this status'), schema: { enum: ['ok', 'error', 'client_error', 'cancelled', 'shutdown'] } }],
        responses: { '200': { description: 'Server-Sent Events, each `data` a FeedEvent', content: { 'text/event-stream': { schema: ref('FeedEvent') } } }, '429': error, ...errors },
      },
    },
    '/routes': {
      get: {
        summary: 'The routes as configured now (a reload shows at once): each model with its deployments in attempt order (primary, then fallbacks), their circuit state on this replica, and the providers without credentials',
        responses: { '200': json(ref('Routes')), ...errors },
      },
    },
    '/reports': {
      get: {
        summary: 'A billing report of a calendar day or month: per tenant, requests, tokens and cost by key and by model, and the estimated share',
        parameters: [
          { ...queryParam('period', 'day or month (default: the one `date` names by its shape, else day)'), schema: { enum: ['day', 'month'] } },
          queryParam('date', 'YYYY-MM-DD for a day, YYYY-MM for a month, in `timezone` (default: the current one)'),
          queryParam('tenant', 'Only this tenant'),
          { ...queryParam('timezone', 'IANA time zone of the calendar (default UTC)'), schema: { type: 'string', default: 'UTC' } },
          { ...queryParam('format', 'json (default), csv (one row per tenant × key × model line) or markdown'), schema: { enum: ['json', 'csv', 'markdown'], default: 'json' } },
        ],
        responses: {
          '200': {
            description: 'The report',
            content: { 'application/json': { schema: ref('BillingReport') }, 'text/csv': { schema: { type: 'string' } }, 'text/markdown': { schema: { type: 'string' } } },
          },
          ...errors,
        },
      },
    },
    '/timeseries': {
      get: {
        summary:
          'Requests, errors, tokens, cost and latency p50/p95 per UTC hour or day (every bucket of the range, zeros when empty) and over the whole range, from the hourly rollup; percentiles within 10 % (log-spaced latency buckets, ratio 1.2)',
        parameters: [
          { ...queryParam('bucket', 'hour (default) or day'), schema: { enum: ['hour', 'day'], default: 'hour' } },
          queryParam('from', 'First instant, ISO-8601 (2026-12-04T10:00:00Z) or epoch ms, rounded down to the bucket (default: `to` less 24 hours or 30 days)'),
          queryParam('to', 'End instant (excluded), ISO-8601 or epoch ms, rounded up to the bucket (default: the end of the current bucket); at most 2000 buckets from `from`'),
          queryParam('tenant', 'Only this tenant'),
          queryParam('model', 'Only this model (the route’s name)'),
          { ...queryParam('group_by', 'Also the whole range’s sums per route model or per tenant, in `groups`'), schema: { enum: ['model', 'tenant'] } },
        ],
        responses: { '200': json(ref('Timeseries')), ...errors },
      },
    },
  },
  components: {
    securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, consoleSession: { type: 'apiKey', in: 'cookie', name: 'tollgate_session' } },
    schemas: {
      Circuit: {
        type: 'object',
        properties: {
          state: { enum: ['closed', 'open', 'half_open'] },
          consecutive_failures: { type: 'integer' },
          retry_at: { type: ['string', 'null'], format: 'date-time', description: 'When a probe is next admitted; null while closed' },
          recent_requests: { type: 'integer' },
          recent_failures: { type: 'integer' },
        },
      },
      Routes: {
        type: 'object',
        properties: {
          object: { const: 'list' },
          data: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                model: { type: 'string' },
                aliases: { type: 'array', items: { type: 'string' } },
                wildcard: { type: 'boolean' },
                balancing: { enum: ['weighted', 'least_inflight'] },
                context_window: { type: ['integer', 'null'] },
                description: { type: ['string', 'null'] },
                deployments: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      provider: { type: 'string' },
                      provider_kind: { type: ['string', 'null'] },
                      model: { type: 'string' },
                      priority: { type: 'integer' },
                      weight: { type: 'number' },
                      role: { enum: ['primary', 'fallback'] },
                      api: { enum: ['chat', 'responses', null] },
                      circuit: { oneOf: [ref('Circuit'), { type: 'null' }], description: 'Null for a wildcard pattern (see the provider’s deployments)' },
                      in_flight: { type: 'integer' },
                    },
                  },
                },
              },
            },
          },
          providers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                kind: { enum: ['openai', 'openai-compatible', 'ollama', 'mock'] },
                base_url: { type: 'string' },
                max_connections: { type: 'integer' },
                timeouts_ms: { type: 'object', properties: { connect: { type: 'integer' }, first_byte: { type: 'integer' }, idle: { type: 'integer' }, total: { type: 'integer' } } },
                deployments: { type: 'array', items: { type: 'object', properties: { model: { type: 'string' }, circuit: ref('Circuit'), in_flight: { type: 'integer' } } } },
              },
            },
          },
        },
      },
      Session: { type: 'object', properties: { object: { const: 'session' }, csrf_token: { type: 'string' }, expires_at: { type: 'integer', description: 'Unix seconds' } } },
      FeedEvent: {
        type: 'object',
        properties: {
          time: { type: 'number', description: 'When the call finished, Unix seconds (to the millisecond)' },
          request_id: { type: 'string' },
          tenant: { type: 'string' },
          key_id: { type: ['string', 'null'] },
          model: { type: 'string', description: 'The name the client sent' },
          route_model: { type: 'string' },
          provider: { type: ['string', 'null'] },
          upstream_model: { type: ['string', 'null'] },
          status: { enum: ['ok', 'error', 'client_error', 'cancelled', 'shutdown'] },
          http_status: { type: 'integer' },
          prompt_tokens: { type: 'integer' },
          completion_tokens: { type: 'integer' },
          cost_usd: { type: 'number' },
          latency_ms: { type: 'integer' },
          ttft_ms: { type: ['integer', 'null'] },
        },
      },
      Error: { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: 'string' } } } } },
      NewTenant: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }, models: patterns, rpm: perMinute, tpm: perMinute, metadata: { type: 'object' }, ...costControls },
      },
      TenantChanges: {
        type: 'object',
        additionalProperties: false,
        properties: { models: { ...patterns, type: ['array', 'null'] }, rpm: { ...perMinute, type: ['integer', 'null'] }, tpm: { ...perMinute, type: ['integer', 'null'] }, metadata: { type: 'object' }, ...costControlChanges },
      },
      Tenant: {
        type: 'object',
        properties: {
          object: { const: 'tenant' },
          name: { type: 'string' },
          models: { type: ['array', 'null'] },
          rpm: { type: ['integer', 'null'] },
          tpm: { type: ['integer', 'null'] },
          metadata: { type: 'object' },
          budgets,
          guardrails: nullable(ref('Guardrails')),
          source: { enum: ['config', 'api'] },
          created_at: { type: 'integer' },
          updated_at: { type: 'integer' },
        },
      },
      BudgetSetting: {
        type: 'object',
        required: ['period', 'limit_usd'],
        additionalProperties: false,
        properties: {
          period: { enum: ['day', 'month'] },
          limit_usd: { type: 'number', exclusiveMinimum: 0 },
          soft: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, default: [], description: 'Shares of the limit, ascending, at which the operator is told' },
          timezone: { type: 'string', default: 'UTC', description: 'IANA time zone' },
          reset_at: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '00:00', description: 'HH:MM when each period starts' },
        },
      },
      Guardrails: {
        type: 'object',
        additionalProperties: false,
        properties: {
          clamp: { type: 'object', additionalProperties: false, required: ['min_output_tokens'], properties: { min_output_tokens: perMinute } },
          downgrade: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['when_remaining_below', 'from', 'to'],
              properties: { when_remaining_below: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, budget: { enum: ['day', 'month'] }, from: { type: 'string' }, to: { type: 'string' } },
            },
          },
          max_output_tokens: perMinute,
          max_prompt_tokens: perMinute,
          chat_refusal_status: { enum: [402, 429] },
        },
      },
      NewKey: {
        type: 'object',
        required: ['tenant'],
        additionalProperties: false,
        properties: { tenant: { type: 'string' }, name: { type: 'string' }, models: patterns, rpm: perMinute, tpm: perMinute, expires_at: { type: 'integer', description: 'Unix seconds' }, metadata: { type: 'object' }, ...costControls },
      },
      KeyChanges: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: ['string', 'null'] },
          models: { ...patterns, type: ['array', 'null'] },
          rpm: { ...perMinute, type: ['integer', 'null'] },
          tpm: { ...perMinute, type: ['integer', 'null'] },
          expires_at: { type: ['integer', 'null'], description: 'Unix seconds; null: never' },
          metadata: { type: 'object' },
          ...costControlChanges,
        },
      },
      Key: {
        type: 'object',
        properties: {
          object: { const: 'api_key' },
          id: { type: 'string' },
          tenant: { type: 'string' },
          name: { type: ['string', 'null'] },
          redacted_key: { type: 'string' },
          last_four: { type: 'string' },
          models: { type: ['array', 'null'] },
          rpm: { type: ['integer', 'null'] },
          tpm: { type: ['integer', 'null'] },
          expires_at: { type: ['integer', 'null'] },
          metadata: { type: 'object' },
          budgets,
          guardrails: nullable(ref('Guardrails')),
          created_at: { type: 'integer' },
          revoked_at: { type: ['integer', 'null'] },
          previous_key_valid_until: { type: ['integer', 'null'] },
          status: { enum: ['active', 'expired', 'revoked'] },
        },
      },
      IssuedKey: { allOf: [ref('Key'), { type: 'object', properties: { key: { type: 'string', description: 'tg_<id>_<secret>: shown only in this answer' } } }] },
      Budget: {
        type: 'object',
        properties: {
          object: { const: 'budget' },
          scope: { enum: ['tenant', 'key'] },
          owner: { type: 'string', description: 'The tenant’s name or the key’s id' },
          tenant: { type: 'string', description: 'The tenant the budget counts under' },
          key_id: { type: ['string', 'null'], description: 'The key’s id for a key’s budget; null for a tenant’s' },
          period: { enum: ['day', 'month'] },
          timezone: { type: 'string' },
          reset_at: { type: 'string' },
          soft: { type: 'array', items: { type: 'number' } },
          limit_usd: { type: 'number' },
          spent_usd: { type: 'number' },
          reserved_usd: { type: 'number' },
          remaining_usd: { type: 'number' },
          used_ratio: { type: 'number' },
          period_start: { type: 'integer' },
          resets_at: { type: 'integer' },
        },
      },
      Tokens: {
        type: 'object',
        description: 'input includes cached_input; output includes reasoning',
        properties: { input: { type: 'integer' }, cached_input: { type: 'integer' }, output: { type: 'integer' }, reasoning: { type: 'integer' } },
      },
      UsageSummary: {
        type: 'object',
        properties: {
          requests: {
            type: 'object',
            properties: { total: { type: 'integer' }, ok: { type: 'integer' }, errors: { type: 'integer' }, client_errors: { type: 'integer' }, client_closed: { type: 'integer' }, shutdown: { type: 'integer' } },
          },
          tokens: ref('Tokens'),
          cost_usd: { type: 'number' },
          estimated: {
            type: 'object',
            description: 'The part whose tokens the gateway counted itself because the upstream reported no usage',
            properties: { requests: { type: 'integer' }, tokens: ref('Tokens'), cost_usd: { type: 'number' }, cost_share: { type: 'number', minimum: 0, maximum: 1 } },
          },
        },
      },
      BillingLine: {
        allOf: [
          ref('UsageSummary'),
          { type: 'object', properties: { key_id: { type: ['string', 'null'] }, model: { type: 'string' }, provider: { type: ['string', 'null'] }, upstream_model: { type: ['string', 'null'] } } },
        ],
      },
      TenantReport: {
        allOf: [
          ref('UsageSummary'),
          {
            type: 'object',
            properties: {
              tenant: { type: 'string' },
              keys: { type: 'array', items: { allOf: [ref('UsageSummary'), { type: 'object', properties: { key_id: { type: ['string', 'null'] } } }] } },
              models: { type: 'array', items: { allOf: [ref('UsageSummary'), { type: 'object', properties: { model: { type: 'string' }, provider: { type: ['string', 'null'] }, upstream_model: { type: ['string', 'null'] } } }] } },
              lines: { type: 'array', items: ref('BillingLine') },
            },
          },
        ],
      },
      BillingReport: {
        type: 'object',
        properties: {
          object: { const: 'billing_report' },
          period: { enum: ['day', 'month'] },
          date: { type: 'string' },
          timezone: { type: 'string' },
          start: { type: 'integer', description: 'Unix seconds; the report covers [start, end)' },
          end: { type: 'integer' },
          start_local: { type: 'string', description: 'ISO 8601 with the offset of timezone' },
          end_local: { type: 'string' },
          complete: { type: 'boolean', description: 'false while the period is not over' },
          tenant: { type: ['string', 'null'] },
          totals: ref('UsageSummary'),
          tenants: { type: 'array', items: ref('TenantReport') },
        },
      },
      UsageGroup: {
        type: 'object',
        properties: {
          day: { type: 'string' },
          tenant: { type: 'string' },
          key_id: { type: ['string', 'null'] },
          model: { type: 'string' },
          requests: { type: 'integer' },
          errors: { type: 'integer' },
          prompt_tokens: { type: 'integer' },
          completion_tokens: { type: 'integer' },
          cached_tokens: { type: 'integer' },
          reasoning_tokens: { type: 'integer' },
          cost_usd: { type: 'number' },
        },
      },
      TimeseriesSums: {
        type: 'object',
        properties: {
          requests: { type: 'integer' },
          errors: { type: 'integer', description: 'Calls that did not end ok (a client that went away is not an error)' },
          input_tokens: { type: 'integer' },
          output_tokens: { type: 'integer' },
          cost_usd: { type: 'number' },
          latency_p50_ms: { type: ['number', 'null'], description: 'null without calls' },
          latency_p95_ms: { type: ['number', 'null'] },
        },
      },
      Timeseries: {
        type: 'object',
        properties: {
          object: { const: 'timeseries' },
          bucket: { enum: ['hour', 'day'] },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time', description: 'Excluded' },
          tenant: { type: ['string', 'null'] },
          model: { type: ['string', 'null'] },
          data: { type: 'array', items: { allOf: [{ type: 'object', properties: { start: { type: 'string', format: 'date-time' } } }, ref('TimeseriesSums')] } },
          total: ref('TimeseriesSums'),
          groups: {
            type: 'array',
            description: 'Only with group_by: the whole range per route model (field `model`) or tenant (field `tenant`), most requests first',
            items: { allOf: [{ type: 'object', properties: { model: { type: 'string' }, tenant: { type: 'string' } } }, ref('TimeseriesSums')] },
          },
        },
      },
    },
  },
} as const;
