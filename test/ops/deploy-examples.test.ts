/**
 * deploy/compose and deploy/k8s hold together: the YAML parses, the
 * Tollgate configuration in each is valid, the replicas nginx balances are
 * the compose services, probes and signals point where the gateway answers,
 * and every grace period outlasts the gateway's own drain.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, parseDuration } from '../../src/config/index.js';
import { DEPLOY } from './support/stack.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Json {
  if (!isRecord(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

/** Follows a path of keys and indexes through parsed YAML. */
function at(root: unknown, ...path: Array<string | number>): unknown {
  let value = root;
  for (const key of path) {
    if (typeof key === 'number') value = Array.isArray(value) ? value[key] : undefined;
    else value = isRecord(value) ? value[key] : undefined;
  }
  return value;
}

/** The store and redis keys of the scale-out deployment, as docs/deployment.md describes them. */
const SCALE_OUT_KEYS = {
  store: ['kind', 'url', 'pool_size', 'max_buffered_rows', 'when_full'],
  redis: ['url', 'key_prefix', 'when_unavailable'],
} as const;

const ENV = {
  TOLLGATE_DATABASE_URL: 'postgres://tollgate:secret@postgres:5432/tollgate',
  TOLLGATE_REDIS_URL: 'redis://redis:6379/0',
  TOLLGATE_ADMIN_TOKEN: 'a'.repeat(64),
  OPENAI_API_KEY: 'sk-test',
};

/** Whether this build's schema knows a section (the PostgreSQL store and Redis are built separately). */
function schemaAccepts(text: string): boolean {
  try {
    parseConfigText(`${text}\nproviders: []\nmodels: []\n`, 'probe', ENV);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a Tollgate configuration with the gateway's own loader. Problems
 * in `store`/`redis` are let through only while the schema does not know the
 * PostgreSQL store or Redis yet; their keys are checked against the
 * documented ones instead.
 */
function validateTollgateYaml(text: string, source: string): { server: Json } {
  const doc = record(parse(text), source);
  for (const section of ['store', 'redis'] as const) {
    const keys = Object.keys(record(doc[section], `${source}: ${section}`));
    expect(keys.filter((k) => !(SCALE_OUT_KEYS[section] as readonly string[]).includes(k)), `${source}: ${section} keys`).toEqual([]);
  }
  const pending = [
    ...(schemaAccepts('store: { kind: postgres, url: "postgres://x@y/z" }') ? [] : ['store']),
    ...(schemaAccepts('redis: { url: "redis://y:6379" }') ? [] : ['redis']),
  ];
  try {
    parseConfigText(text, source, ENV);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const mentions = (p: { path: string; message: string }) => pending.some((s) => p.path === s || p.path.startsWith(`${s}.`) || p.message.includes(`'${s}'`));
    expect(error.problems.filter((p) => !mentions(p)), error.message).toEqual([]);
  }
  return { server: record(doc['server'], `${source}: server`) };
}

/** A duration as the configuration and compose write it (`60s`, `2s`), in seconds. */
function seconds(duration: unknown): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new Error(`not a duration: ${String(duration)}`);
  return ms / 1000;
}

describe('deploy/compose', () => {
  const dir = join(DEPLOY, 'compose');
  const compose = record(parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), { merge: true }), 'docker-compose.yml');
  const services = record(compose['services'], 'services');
  const replicas = Object.keys(services).filter((name) => /^tollgate-\d+$/.test(name));
  const config = validateTollgateYaml(readFileSync(join(dir, 'config/tollgate.yaml'), 'utf8'), 'compose tollgate.yaml');

  it('runs PostgreSQL, Redis, a migration, three replicas and nginx', () => {
    expect(Object.keys(services).sort()).toEqual(['migrate', 'nginx', 'postgres', 'redis', 'tollgate-1', 'tollgate-2', 'tollgate-3']);
    expect(replicas).toHaveLength(3);
    expect(at(services, 'migrate', 'command', 0)).toBe('migrate');
    for (const name of replicas) {
      expect(at(services, name, 'command')).toEqual(['start', '--config', '/etc/tollgate/tollgate.yaml', '--watch-config']);
      expect(at(services, name, 'depends_on', 'migrate', 'condition')).toBe('service_completed_successfully');
      expect(String(at(services, name, 'healthcheck', 'test', 3))).toContain('/readyz');
    }
  });

  it('balances over exactly the replica services, on the port they listen on', () => {
    const nginx = readFileSync(join(dir, 'nginx.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/^\s*server (tollgate-\d+):(\d+)/gm)];
    expect(upstreams.map((m) => m[1])).toEqual(replicas);
    for (const m of upstreams) expect(Number(m[2])).toBe(config.server['port']);
    expect(at(services, 'nginx', 'volumes', 0)).toBe('./nginx.conf:/etc/nginx/nginx.conf:ro');
  });

  it('gives each replica longer to stop than its drain takes', () => {
    const drain = seconds(config.server['shutdown_delay']) + seconds(config.server['shutdown_grace']) + 2;
    for (const name of replicas) {
      expect(at(services, name, 'stop_signal')).toBe('SIGTERM');
      expect(seconds(at(services, name, 'stop_grace_period'))).toBeGreaterThan(drain);
    }
  });

  it('mounts the directory holding tollgate.yaml, and the Dockerfile it builds exists', () => {
    for (const name of replicas) expect(at(services, name, 'volumes', 0)).toBe('./config:/etc/tollgate:ro');
    expect(existsSync(join(dir, 'config/tollgate.yaml'))).toBe(true);
    expect(at(services, 'tollgate-1', 'build', 'dockerfile')).toBe('deploy/compose/Dockerfile');
    expect(existsSync(join(DEPLOY, '..', String(at(services, 'tollgate-1', 'build', 'dockerfile'))))).toBe(true);
  });
});

describe('deploy/k8s', () => {
  const dir = join(DEPLOY, 'k8s');
  const kustomization = record(parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')), 'kustomization.yaml');
  const files = list(kustomization['resources'], 'resources').map(String);
  const docs = files.flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => record(d.toJS(), file)));
  const byKind = (kind: string): Json => {
    const found = docs.find((d) => d['kind'] === kind);
    if (found === undefined) throw new Error(`no ${kind}`);
    return found;
  };
  const deployment = byKind('Deployment');
  const configMap = byKind('ConfigMap');
  const pod = at(deployment, 'spec', 'template');
  const container = record(at(pod, 'spec', 'containers', 0), 'container');
  const config = validateTollgateYaml(String(at(configMap, 'data', 'tollgate.yaml')), 'k8s ConfigMap tollgate.yaml');
  const secret = record(parse(readFileSync(join(dir, 'secret.example.yaml'), 'utf8')), 'secret.example.yaml');

  it('every resource file parses and names its kind', () => {
    expect(files.every((f) => existsSync(join(dir, f)))).toBe(true);
    expect(docs.map((d) => d['kind']).sort()).toEqual(['ConfigMap', 'Deployment', 'Job', 'PodDisruptionBudget', 'Service']);
  });

  it('probes: readiness on /readyz without upstreams, liveness on /healthz, on the port the gateway listens on', () => {
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz?upstreams=false');
    expect(at(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    expect(at(container, 'ports', 0, 'containerPort')).toBe(config.server['port']);
    expect(config.server['host']).toBe('0.0.0.0');
  });

  it('preStop outlasts nothing it should not, and the grace period outlasts preStop + delay + grace', () => {
    const sleep = Number(at(container, 'lifecycle', 'preStop', 'exec', 'command', 1));
    expect(at(container, 'lifecycle', 'preStop', 'exec', 'command', 0)).toBe('sleep');
    expect(sleep).toBeGreaterThanOrEqual(seconds(config.server['shutdown_delay']));
    const needed = sleep + seconds(config.server['shutdown_delay']) + seconds(config.server['shutdown_grace']) + 2;
    expect(Number(at(pod, 'spec', 'terminationGracePeriodSeconds'))).toBeGreaterThan(needed);
  });

  it('reloads the ConfigMap it mounts as a directory (no subPath), with --watch-config', () => {
    expect(container['args']).toEqual(['start', '--config', '/etc/tollgate/tollgate.yaml', '--watch-config']);
    const mount = list(container['volumeMounts'], 'volumeMounts').map((m) => record(m, 'mount')).find((m) => m['name'] === 'config');
    expect(mount).toMatchObject({ mountPath: '/etc/tollgate' });
    expect(mount?.['subPath']).toBeUndefined();
    const volume = list(at(pod, 'spec', 'volumes'), 'volumes').map((v) => record(v, 'volume')).find((v) => v['name'] === 'config');
    expect(at(volume, 'configMap', 'name')).toBe(at(configMap, 'metadata', 'name'));
  });

  it('reads every secret from the Secret the example describes, and every ${VAR} of the configuration is set', () => {
    const env = list(container['env'], 'env').map((e) => record(e, 'env'));
    const keys = Object.keys(record(secret['stringData'], 'stringData'));
    for (const e of env) {
      expect(at(e, 'valueFrom', 'secretKeyRef', 'name')).toBe(at(secret, 'metadata', 'name'));
      expect(keys).toContain(at(e, 'valueFrom', 'secretKeyRef', 'key'));
    }
    const used = [...String(at(configMap, 'data', 'tollgate.yaml')).matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]);
    expect(used.filter((name) => !env.some((e) => e['name'] === name))).toEqual([]);
  });

  it('the Service and the PodDisruptionBudget select the Deployment’s pods; rollouts add before they remove', () => {
    const labels = at(pod, 'metadata', 'labels');
    expect(at(byKind('Service'), 'spec', 'selector')).toEqual(labels);
    expect(at(byKind('PodDisruptionBudget'), 'spec', 'selector', 'matchLabels')).toEqual(labels);
    expect(at(byKind('PodDisruptionBudget'), 'spec', 'maxUnavailable')).toBe(1);
    expect(at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
    expect(Number(at(deployment, 'spec', 'replicas'))).toBeGreaterThan(1);
  });
});
