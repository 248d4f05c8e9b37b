#!/usr/bin/env node
// Fills a gateway's store with tenants, keys, budgets and a history of calls, so the
// web console (and reports) can be looked at and timed with realistic data:
//
//   node scripts/seed-console-data.mjs --config tollgate.yaml [--tenants 50] [--days 30] [--calls 400] [--seed 1]
//
// Writes to the configured store (SQLite or PostgreSQL) through the gateway's own
// ledger, so every derived table is kept as the gateway keeps it. `--calls` is per
// tenant per day, spread over the day with a working-hours peak; latencies are
// log-normal per model, a few percent of calls fail, costs come from the configured
// prices (default OpenAI prices for `openai` providers). Tenants that already exist
// are reused; the calls are always added. Deterministic for a given --seed.
// Needs the build (`npm run build`).
import { parseArgs } from 'node:util';
import { loadConfig } from '../dist/config/index.js';
import { PriceBook, cost } from '../dist/metering/pricing.js';
import { openStore } from '../dist/store/open-store.js';
import { Tenancy } from '../dist/tenancy/tenancy.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    tenants: { type: 'string', default: '50' },
    days: { type: 'string', default: '30' },
    calls: { type: 'string', default: '400' },
    'keys-per-tenant': { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    quiet: { type: 'boolean', default: false },
  },
});
const positive = (name) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got ${values[name]})`);
  return n;
};
const tenantCount = positive('tenants');
const days = positive('days');
const callsPerDay = positive('calls');
const keysPerTenant = positive('keys-per-tenant');
const say = values.quiet ? () => undefined : (text) => process.stderr.write(`${text}\n`);

// mulberry32: a small, well-distributed PRNG, so a seed gives the same data every run.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(Number(values.seed));
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pick = (list) => list[Math.floor(random() * list.length)];

const config = loadConfig({ path: values.config, env: process.env });
const providers = new Map(config.providers.map((p) => [p.name, p]));
const prices = new PriceBook(config.pricing.models, config.pricing.useDefaults);
// Every route that names its models (wildcards have no fixed name), with its primary deployment.
const routes = config.models
  .filter((m) => !m.name.includes('*') && m.route.length > 0)
  .map((m, index) => {
    const primary = [...m.route].sort((a, b) => a.priority - b.priority)[0];
    const provider = providers.get(primary.provider);
    return {
      name: m.name,
      provider: primary.provider,
      upstreamModel: primary.model,
      price: provider === undefined ? undefined : prices.priceFor({ name: provider.name, kind: provider.kind }, primary.model),
      // Each model its own speed: the median latency grows with the route's position.
      medianLatencyMs: 700 + index * 900,
      weight: 1 / (index + 1),
    };
  });
if (routes.length === 0) throw new Error('the configuration has no route with a fixed model name to book calls to');
const routeWeights = routes.reduce((sum, r) => sum + r.weight, 0);
const pickRoute = () => {
  let x = random() * routeWeights;
  for (const route of routes) if ((x -= route.weight) <= 0) return route;
  return routes[routes.length - 1];
};

const store = await openStore(config.store);
const tenancyStore = store.openTenancy();
const tenancy = await Tenancy.open({ store: tenancyStore, auth: config.auth, tenants: config.tenants, refreshMs: 0 });
const ledger = store.openLedger({});

const started = performance.now();
const owners = [];
const existingTenants = new Set((await tenancy.listTenants()).map((x) => x.name));
for (let t = 1; t <= tenantCount; t++) {
  const name = `team-${String(t).padStart(2, '0')}`;
  if (!existingTenants.has(name)) {
    // Every third tenant has budgets sized to what the seeded calls spend, so the Spend page shows
    // bars below, between and past their soft marks, and some over the limit.
    const budgets =
      t % 3 === 0
        ? [
            { period: 'day', limitUsd: 0.25 + (t % 7) * 0.25, soft: [0.5, 0.8], timeZone: 'UTC', reset: { hour: 0, minute: 0 } },
            { period: 'month', limitUsd: 20 + (t % 5) * 15, soft: [0.8], timeZone: 'UTC', reset: { hour: 0, minute: 0 } },
          ]
        : undefined;
    await tenancy.createTenant({ name, rpm: t % 4 === 0 ? 600 : undefined, ...(budgets === undefined ? {} : { budgets }) });
  }
  let keys = (await tenancy.listKeys(name)).filter((k) => k.revokedAt === undefined);
  for (let k = keys.length; k < keysPerTenant; k++) {
    await tenancy.createKey({ tenant: name, name: ['ci', 'laptops', 'agents', 'batch', 'eval'][k % 5] });
  }
  keys = (await tenancy.listKeys(name)).filter((k) => k.revokedAt === undefined);
  // Tenants differ in size by an order of magnitude, as real teams do.
  owners.push({ name, keyIds: keys.map((k) => k.id), scale: 0.3 + 1.7 * random() });
}
say(`tenants and keys ready in ${Math.round(performance.now() - started)} ms`);

// Working hours weigh more than nights: a smooth bump around 14:00 UTC.
const hourWeights = Array.from({ length: 24 }, (_, h) => 0.25 + Math.exp(-((h - 14) ** 2) / 18));
const hourTotal = hourWeights.reduce((a, b) => a + b, 0);
const now = Date.now();
const firstDay = Math.floor(now / 86_400_000) * 86_400_000 - (days - 1) * 86_400_000;
let rows = 0;
let sequence = 0;
const writeStarted = performance.now();
for (let day = 0; day < days; day++) {
  const dayStart = firstDay + day * 86_400_000;
  for (const owner of owners) {
    const calls = Math.max(1, Math.round(callsPerDay * owner.scale));
    for (let c = 0; c < calls; c++) {
      // Inverse sampling of the hour, then a uniform minute inside it.
      let x = random() * hourTotal;
      let hour = 0;
      while ((x -= hourWeights[hour]) > 0 && hour < 23) hour++;
      const time = dayStart + hour * 3_600_000 + Math.floor(random() * 3_600_000);
      if (time > now) continue;
      const route = pickRoute();
      const roll = random();
      const status = roll < 0.03 ? 'error' : roll < 0.045 ? 'client_error' : roll < 0.055 ? 'cancelled' : 'ok';
      const failed = status === 'error' || status === 'client_error';
      const promptTokens = failed ? 0 : Math.round(800 + random() * 30_000);
      const cachedTokens = failed ? 0 : Math.round(promptTokens * random() * 0.6);
      const completionTokens = failed ? 0 : Math.round(50 + random() * 2_500);
      const reasoningTokens = Math.round(completionTokens * random() * 0.4);
      const latencyMs = Math.max(20, Math.round(route.medianLatencyMs * Math.exp(0.6 * gaussian())));
      const usage = { promptTokens, completionTokens, cachedPromptTokens: cachedTokens };
      ledger.append({
        time,
        requestId: `seed_${values.seed}_${++sequence}`,
        tenant: owner.name,
        keyId: pick(owner.keyIds) ?? null,
        routeModel: route.name,
        requestedModel: route.name,
        provider: route.provider,
        upstreamModel: route.upstreamModel,
        promptTokens,
        completionTokens,
        cachedTokens,
        reasoningTokens,
        costUsd: route.price === undefined ? 0 : cost(route.price, usage),
        estimated: false,
        status,
        httpStatus: status === 'ok' ? 200 : status === 'cancelled' ? 499 : status === 'client_error' ? 400 : 502,
        latencyMs,
        ttftMs: failed ? null : Math.round(latencyMs * (0.1 + 0.3 * random())),
      });
      rows++;
    }
    // Flush as we go: the ledger's buffer is bounded.
    if (ledger.pending() > 20_000) await ledger.flush();
  }
}
await ledger.flush();
const writeSeconds = (performance.now() - writeStarted) / 1000;
say(`${rows} calls over ${days} days for ${owners.length} tenants written in ${writeSeconds.toFixed(1)} s (${Math.round(rows / writeSeconds)} rows/s) to ${store.location}`);
await ledger.close();
tenancy.close();
await tenancyStore.close();
await store.close();
process.stdout.write(`${JSON.stringify({ tenants: owners.length, keys: owners.reduce((n, o) => n + o.keyIds.length, 0), calls: rows, days })}\n`);
