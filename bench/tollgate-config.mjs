// The configuration Tollgate runs with in the benchmark: what a user would write for these
// upstreams, with nothing turned off.
import { stringify } from 'yaml';

/**
 * Providers: `chat` (a Chat Completions server such as vLLM), `resp` (an OpenAI-style server
 * that speaks the Responses API natively: pass-through), `ollama` (native NDJSON: translated),
 * `trickle` (the same Chat server, sized for the memory check's thousand open streams).
 * Model names are `<provider>-<upstream model>`, one exact entry each, as users configure them.
 * `tenants` (e.g. `[{ name: 'bench' }]`, the `tollgate-auth` target's) turns authentication on;
 * without it the gateway is open. `pricing` (the `pricing:` block) prices the models for budgets;
 * `redis` (the `redis:` block) shares them (and the call journal) through Redis. `adminToken`
 * (`auth.admin_token`) opens the admin API, the live feed's included.
 */
export function tollgateConfig({ upstreamUrl, port, storePath, logLevel, models, tenants, pricing, redis, adminToken }) {
  const providers = [
    { name: 'chat', kind: 'openai-compatible', base_url: `${upstreamUrl}/v1` },
    { name: 'resp', kind: 'openai', base_url: `${upstreamUrl}/v1`, api_key: 'sk-bench-not-a-real-key' },
    { name: 'ollama', kind: 'ollama', base_url: upstreamUrl },
    { name: 'trickle', kind: 'openai-compatible', base_url: `${upstreamUrl}/v1`, max_connections: 2048 },
  ];
  const entries = [];
  for (const [provider, names] of models) {
    for (const model of names) entries.push({ name: `${provider}-${model}`, route: [`${provider}/${model}`] });
  }
  return stringify({
    server: { host: '127.0.0.1', port },
    logging: { level: logLevel },
    store: { path: storePath },
    ...(adminToken === undefined ? {} : { auth: { admin_token: adminToken } }),
    ...(tenants === undefined ? {} : { tenants }),
    ...(pricing === undefined ? {} : { pricing }),
    ...(redis === undefined ? {} : { redis }),
    providers: providers.filter((p) => models.has(p.name)),
    models: entries,
  });
}
