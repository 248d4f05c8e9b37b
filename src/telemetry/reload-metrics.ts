/**
 * Configuration reloads, for Prometheus: how many were applied or rejected,
 * and when the running configuration was last loaded (at start-up, then at
 * each applied reload), so a dashboard shows replicas that missed one.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type ReloadResult = 'ok' | 'rejected';

export class ReloadMetrics {
  readonly reloads: Counter<'result'>;
  readonly lastReload: Gauge;

  constructor(registry: Registry) {
    this.reloads = new Counter({
      name: 'tollgate_config_reloads_total',
      help: 'Configuration reloads (SIGHUP or a watched file). result: ok (applied) or rejected (invalid, or could not be applied; the running configuration stays).',
      labelNames: ['result'],
      registers: [registry],
    });
    // Both series exist from the start, so `increase()` sees the first rejection.
    this.reloads.labels('ok').inc(0);
    this.reloads.labels('rejected').inc(0);
    this.lastReload = new Gauge({
      name: 'tollgate_config_last_reload_timestamp_seconds',
      help: 'Unix time the running configuration was loaded: at start-up, then at each applied reload.',
      registers: [registry],
    });
  }

  loaded(epochMs: number): void {
    this.lastReload.set(epochMs / 1000);
  }
}
