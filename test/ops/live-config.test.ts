/**
 * LiveConfig: each call is counted against the generation it was routed
 * with; a swap serves new parts from the next call on; providers a swap
 * retires close only when every call that started before the swap settled.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../src/pipeline/contracts.js';
import { createProvider } from '../../src/providers/registry.js';
import type { Provider } from '../../src/providers/types.js';
import { Router } from '../../src/routing/router.js';
import { LiveConfig, type LiveParts } from '../../src/server/live-config.js';
import { config, model, provider } from '../helpers/gateway.js';

const log = pino({ level: 'silent' });
const OUTCOME = { status: 'ok' } as CallOutcome;

/** A real provider (its pool never connects here) whose closes are counted. */
async function tracked(name: string): Promise<Provider & { closes: number }> {
  const real = await createProvider(provider({ name, kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' }), { onWarning: () => undefined });
  const wrapped = {
    ...real,
    closes: 0,
    async close() {
      wrapped.closes++;
      await real.close();
    },
  };
  return wrapped;
}

function parts(providers: Provider[], models: string[]): LiveParts {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const cfg = config(
    providers.map((p) => provider({ name: p.name, kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' })),
    models.map((m) => model(m, [`${providers[0]!.name}/x`])),
  );
  return { config: cfg, router: new Router(cfg.models, byName), providers: byName };
}

/** Admits one call as the pipeline would; returns its settle. */
function start(live: LiveConfig): () => void {
  const admission = live.admit();
  return () => void admission.handle?.settle(OUTCOME);
}

/** Lets promise callbacks (a provider's close) run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LiveConfig', () => {
  it('serves the new router and providers from the swap on; generation counts swaps', async () => {
    const a = await tracked('a');
    const b = await tracked('b');
    const live = new LiveConfig(parts([a], ['one']), log);
    expect(live.generation).toBe(1);
    expect(live.router.has('one')).toBe(true);
    const next = parts([b], ['two']);
    expect(live.swap(next, [a])).toBe(2);
    expect(live.router).toBe(next.router);
    expect(live.router.has('two')).toBe(true);
    expect(live.providers.get('b')).toBe(b);
    expect(live.config).toBe(next.config);
    await tick();
    // No call was open: the retired provider closes at once.
    expect(a.closes).toBe(1);
    await live.close();
    expect(b.closes).toBe(1);
    expect(a.closes).toBe(1);
  });

  it('closes a retired provider only after the calls that started before the swap have settled', async () => {
    const a = await tracked('a');
    const b = await tracked('b');
    const live = new LiveConfig(parts([a], ['one']), log);
    const first = start(live);
    const second = start(live);
    live.swap(parts([b], ['two']), [a]);
    // A call on the new configuration does not hold the old provider.
    const third = start(live);
    expect(live.callsOnEarlierConfig).toBe(2);
    first();
    await tick();
    expect(a.closes).toBe(0);
    second();
    await tick();
    expect(a.closes).toBe(1);
    expect(live.callsOnEarlierConfig).toBe(0);
    third();
    await live.close();
    expect(b.closes).toBe(1);
  });

  it('waits for every earlier generation, not only the retired provider’s own (a call may be routed again later)', async () => {
    const a = await tracked('a');
    const b = await tracked('b');
    const c = await tracked('c');
    const live = new LiveConfig(parts([a], ['one']), log);
    const onFirst = start(live);
    live.swap(parts([b], ['two']), [a]);
    const onSecond = start(live);
    // The second swap retires b; a call of generation 1 may have been rerouted onto b.
    live.swap(parts([c], ['three']), [b]);
    onSecond();
    await tick();
    expect(b.closes).toBe(0);
    expect(a.closes).toBe(0);
    onFirst();
    await tick();
    expect(a.closes).toBe(1);
    expect(b.closes).toBe(1);
    await live.close();
    expect(c.closes).toBe(1);
  });

  it('close() closes the current and the still retired providers once each', async () => {
    const a = await tracked('a');
    const b = await tracked('b');
    const live = new LiveConfig(parts([a], ['one']), log);
    const open = start(live);
    live.swap(parts([b], ['two']), [a]);
    await live.close();
    expect(a.closes).toBe(1);
    expect(b.closes).toBe(1);
    // A call that settles after the close does not close anything twice.
    open();
    await tick();
    expect(a.closes).toBe(1);
  });

  it('admits without allocating: every call of a generation gets the same admission', async () => {
    const live = new LiveConfig(parts([await tracked('a')], ['one']), log);
    const x = live.admit();
    const y = live.admit();
    expect(x).toBe(y);
    await live.close();
  });
});
