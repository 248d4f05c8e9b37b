/**
 * Prometheus and Alertmanager started from the files in deploy/, rewritten
 * only where a test must differ: targets and ports, 1 s intervals, temporary
 * storage, and webhook receivers in place of Slack and PagerDuty. Everything
 * else (jobs, rule files, routes, grouping) is the shipped configuration, so
 * the tests exercise it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { requireBinary, startReadyDaemon } from './processes.js';
import type { Daemon } from './processes.js';

export const DEPLOY = resolve(import.meta.dirname, '../../../deploy');
export const PROMETHEUS_CONFIG = join(DEPLOY, 'prometheus/prometheus.yml');
export const ALERT_RULES = join(DEPLOY, 'prometheus/alerts.yml');
export const DASHBOARD = join(DEPLOY, 'grafana/dashboards/tollgate.json');
export const ALERTMANAGER_CONFIG = join(DEPLOY, 'alertmanager/alertmanager.yml');

type Yaml = Record<string, unknown>;

function isRecord(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown, what: string): Yaml[] {
  if (!Array.isArray(value) || !value.every(isRecord)) throw new Error(`${what} is not a list of mappings`);
  return value;
}

export function readYaml(path: string): Yaml {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!isRecord(doc)) throw new Error(`${path} is not a YAML mapping`);
  return doc;
}

/**
 * A copy of the alert rules with some alerts' `for` replaced, written to
 * `dir`; the shipped durations (minutes) do not fit in a test.
 */
export function writeRulesWithFor(dir: string, overrides: Readonly<Record<string, string>>): string {
  const rules = readYaml(ALERT_RULES);
  const seen = new Set<string>();
  for (const group of records(rules.groups, 'groups')) {
    for (const rule of records(group.rules, 'rules')) {
      const alert = rule.alert;
      if (typeof alert === 'string' && alert in overrides) {
        rule.for = overrides[alert];
        seen.add(alert);
      }
    }
  }
  const missing = Object.keys(overrides).filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`no alert named ${missing.join(', ')} in ${ALERT_RULES}`);
  const path = join(dir, 'alerts.yml');
  writeFileSync(path, stringify(rules));
  return path;
}

export interface PrometheusOptions {
  readonly dir: string;
  /** host:port of each gateway to scrape (job tollgate). */
  readonly targets: readonly string[];
  readonly ruleFiles: readonly string[];
  /** host:port of Alertmanager; without it alerts are evaluated but not sent. */
  readonly alertmanager?: string;
}

export interface QueryResult {
  readonly resultType: string;
  readonly result: unknown;
}

export interface Prometheus extends Daemon {
  query(expr: string): Promise<QueryResult>;
}

/** The shipped prometheus.yml with 1 s intervals and test targets. */
export function prometheusConfig(options: PrometheusOptions): Yaml {
  const config = readYaml(PROMETHEUS_CONFIG);
  const global = isRecord(config.global) ? config.global : {};
  config.global = { ...global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' };
  config.rule_files = [...options.ruleFiles];
  const jobs = records(config.scrape_configs, 'scrape_configs');
  const tollgate = jobs.find((job) => job.job_name === 'tollgate');
  if (!tollgate) throw new Error(`${PROMETHEUS_CONFIG} has no scrape job named tollgate`);
  if (tollgate.metrics_path !== '/metrics') throw new Error(`${PROMETHEUS_CONFIG}: job tollgate must scrape /metrics`);
  Object.assign(tollgate, { scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets: [...options.targets] }] });
  config.scrape_configs = [tollgate];
  const alerting = isRecord(config.alerting) ? config.alerting : undefined;
  const managers = alerting ? records(alerting.alertmanagers, 'alerting.alertmanagers') : [];
  if (managers.length === 0) throw new Error(`${PROMETHEUS_CONFIG} sends alerts to no Alertmanager`);
  if (options.alertmanager) config.alerting = { alertmanagers: [{ ...managers[0], static_configs: [{ targets: [options.alertmanager] }] }] };
  else delete config.alerting;
  return config;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const bin = requireBinary('prometheus');
  const configPath = join(options.dir, 'prometheus.yml');
  writeFileSync(configPath, stringify(prometheusConfig(options)));
  const daemon = await startReadyDaemon('prometheus', bin, (address) => [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(options.dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--rules.alert.resend-delay=1s',
    '--log.level=warn',
  ]);
  return {
    ...daemon,
    async query(expr: string): Promise<QueryResult> {
      const response = await fetch(`${daemon.url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { status?: string; error?: string; data?: QueryResult };
      if (body.status !== 'success' || !body.data) throw new Error(`query failed (${response.status}): ${body.error ?? 'no data'}: ${expr}`);
      return body.data;
    },
  };
}

/** True when an instant query returned at least one sample (a scalar always has one). */
export function hasData(result: QueryResult): boolean {
  if (result.resultType === 'scalar' || result.resultType === 'string') return true;
  return Array.isArray(result.result) && result.result.length > 0;
}

function shortenTimers(route: Yaml): void {
  route.group_wait = '1s';
  route.group_interval = '1s';
  route.repeat_interval = '1m';
  if (route.routes !== undefined) for (const child of records(route.routes, 'routes')) shortenTimers(child);
}

/**
 * The shipped alertmanager.yml with every receiver replaced by a webhook at
 * `webhookBase/<receiver name>` and 1 s grouping timers; routes and grouping
 * keys are kept.
 */
export function alertmanagerConfig(webhookBase: string): Yaml {
  const config = readYaml(ALERTMANAGER_CONFIG);
  if (!isRecord(config.route)) throw new Error(`${ALERTMANAGER_CONFIG} has no route`);
  shortenTimers(config.route);
  config.receivers = records(config.receivers, 'receivers').map((receiver) => {
    if (typeof receiver.name !== 'string') throw new Error('a receiver has no name');
    return { name: receiver.name, webhook_configs: [{ url: `${webhookBase}/${receiver.name}`, send_resolved: true }] };
  });
  return config;
}

export async function startAlertmanager(dir: string, webhookBase: string): Promise<Daemon> {
  const bin = requireBinary('prometheus-alertmanager');
  const configPath = join(dir, 'alertmanager.yml');
  writeFileSync(configPath, stringify(alertmanagerConfig(webhookBase)));
  return startReadyDaemon('alertmanager', bin, (address) => [
    `--config.file=${configPath}`,
    `--storage.path=${join(dir, 'alertmanager-data')}`,
    `--web.listen-address=${address}`,
    // No cluster: it would bind a fixed gossip port (9094).
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
}
