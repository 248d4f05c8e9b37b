import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';

/** The problem lines of the ConfigError that parsing `text` throws. */
function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'bad.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const [header, ...lines] = err.message.split('\n');
    expect(header).toBe(`Invalid configuration in bad.yaml (${lines.length === 1 ? '1 problem' : `${lines.length} problems`}):`);
    expect(err.problems).toHaveLength(lines.length);
    return lines.map((line) => line.trim());
  }
  throw new Error('expected a ConfigError');
}

const MODELS = 'models:\n  - name: m\n    route: [local/m]\n';
const LOCAL = 'providers:\n  - name: local\n    kind: ollama\n';

describe('configuration errors', () => {
  it('names an unknown key with its path, line:col and the likely intended key', () => {
    const text = `providers:
  - name: local
    kind: ollama
  - name: vllm
    kind: openai-compatible
    base_url: http://v/v1
    base_ur: http://x
${MODELS}`;
    expect(problems(text)).toEqual(["providers[1].base_ur (line 7:5): unknown key 'base_ur' — did you mean 'base_url'?"]);
  });

  it('lists the valid keys when no key is close', () => {
    expect(problems(`logging:\n  colour: true\n${LOCAL}${MODELS}`)).toEqual(["logging.colour (line 2:3): unknown key 'colour' — expected one of: level"]);
  });

  it('explains a key that belongs to another provider kind', () => {
    const text = `providers:\n  - name: local\n    kind: openai-compatible\n    base_url: http://x/v1\n    keep_alive: 5m\n${MODELS}`;
    expect(problems(text)).toEqual(["providers[0].keep_alive (line 5:5): unknown key 'keep_alive' — it applies only to providers of kind ollama"]);
  });

  it('rejects an unknown top-level key', () => {
    expect(problems(`${LOCAL}${MODELS}model:\n  - x\n`)).toEqual(["model (line 7:1): unknown key 'model' — did you mean 'models'?"]);
  });

  it('names the expected provider kinds for a wrong or missing kind', () => {
    const text = `providers:\n  - name: local\n    kind: lmstudio\n  - name: other\n${MODELS}`;
    expect(problems(text)).toEqual([
      'providers[0].kind (line 3:11): expected one of: openai, openai-compatible, ollama, mock',
      'providers[1].kind (line 4:5): required, but missing (expected one of: openai, openai-compatible, ollama, mock)',
    ]);
  });

  it('checks provider names', () => {
    const text = `providers:\n  - name: my/provider\n    kind: ollama\n  - kind: ollama\n${MODELS.replace('local/m', 'x/m')}`;
    expect(problems(text).slice(0, 2)).toEqual([
      "providers[0].name (line 2:11): expected a provider name made of letters, digits, '_', '.' and '-', starting with a letter or digit (no '/')",
      'providers[1].name (line 4:5): required, but missing (expected a string)',
    ]);
  });

  it('reports wrong types in YAML terms, with a quoting hint for scalars', () => {
    const text = `server:\n  host: 8080\n  port: [1]\n${LOCAL}models: { name: m }\n`;
    expect(problems(text)).toEqual([
      'server.host (line 2:9): expected a string, got a number (quote it to make it a string)',
      'server.port (line 3:9): expected a number, got a list',
      'models (line 7:9): expected a list, got a mapping',
    ]);
  });

  it('checks the port range', () => {
    expect(problems(`server:\n  port: 70000\n${LOCAL}${MODELS}`)).toEqual(['server.port (line 2:9): expected a number <= 65535, got 70000']);
    expect(problems(`server:\n  port: -1\n${LOCAL}${MODELS}`)).toEqual(['server.port (line 2:9): expected a number >= 0, got -1']);
    expect(problems(`server:\n  port: 80.5\n${LOCAL}${MODELS}`)).toEqual(['server.port (line 2:9): expected an integer, got a number']);
  });

  it('explains size and duration formats', () => {
    const text = `server:\n  body_limit: 10 megs\n  shutdown_grace: soon\n${LOCAL}    timeouts: { idle: -5 }\n${MODELS}`;
    expect(problems(text)).toEqual([
      'server.body_limit (line 2:15): expected a size: bytes as a number, or a string such as "512kb", "10mb" or "1gb", got a string in another format',
      'server.shutdown_grace (line 3:19): expected a duration: milliseconds as a number, or a string such as "500ms", "10s", "2m" or "1m30s", got a string in another format',
      'providers[0].timeouts.idle (line 7:23): expected a duration: milliseconds as a number, or a string such as "500ms", "10s", "2m" or "1m30s", got a negative or non-finite number',
    ]);
  });

  it('checks base URLs', () => {
    const text = `providers:
  - { name: a, kind: ollama, base_url: "127.0.0.1:11434" }
  - { name: b, kind: ollama, base_url: "ftp://host" }
  - { name: c, kind: openai-compatible, base_url: "http://host/v1?key=1" }
  - { name: d, kind: openai-compatible }
models: [{ name: m, route: [a/m] }]
`;
    expect(problems(text)).toEqual([
      'providers[0].base_url (line 2:40): expected an absolute http:// or https:// URL such as http://127.0.0.1:11434 (the scheme is missing)',
      'providers[1].base_url (line 3:40): expected an absolute http:// or https:// URL such as http://127.0.0.1:11434 (only http and https are supported)',
      'providers[2].base_url (line 4:51): expected an absolute http:// or https:// URL such as http://127.0.0.1:11434 without a query string or fragment: request paths are appended to it',
      'providers[3].base_url (line 5:5): required for kind openai-compatible, but missing (expected an absolute http:// or https:// URL such as http://127.0.0.1:11434)',
    ]);
  });

  it('requires an API key for kind openai', () => {
    const text = `providers:\n  - name: openai\n    kind: openai\n  - name: o2\n    kind: openai\n    api_key: "\${EMPTY:-}"\nmodels: [{ name: m, route: [openai/m] }]\n`;
    expect(problems(text)).toEqual([
      'providers[0].api_key (line 2:5): required, but missing (expected the OpenAI API key, e.g. api_key: ${OPENAI_API_KEY})',
      'providers[1].api_key (line 6:14): expected a non-empty API key for kind openai (is the environment variable empty?)',
    ]);
  });

  it('names the configured providers when a route points at an unknown one', () => {
    const text = `${LOCAL}  - name: vllm\n    kind: openai-compatible\n    base_url: http://v/v1\nmodels:\n  - name: m\n    route: [vlm/m, { provider: cloud, model: m }]\n`;
    expect(problems(text)).toEqual([
      "models[0].route[0] (line 9:13): unknown provider 'vlm' — did you mean 'vllm'? (configured providers: local, vllm)",
      "models[0].route[1].provider (line 9:32): unknown provider 'cloud' (configured providers: local, vllm)",
    ]);
  });

  it('requires model names and aliases to be unique across all models', () => {
    const text = `${LOCAL}models:\n  - name: a\n    aliases: [b, a2]\n    route: [local/a]\n  - name: b\n    aliases: [a2]\n    route: [local/b]\n`;
    expect(problems(text)).toEqual([
      "models[1].name (line 8:11): 'b' is already used at models[0].aliases[0], line 6; model names and aliases must be unique across all models",
      "models[1].aliases[0] (line 9:15): 'a2' is already used at models[0].aliases[1], line 6; model names and aliases must be unique across all models",
    ]);
  });

  it('requires provider names to be unique', () => {
    const text = `${LOCAL}  - name: local\n    kind: mock\n${MODELS}`;
    expect(problems(text)).toEqual(["providers[1].name (line 4:11): duplicate provider name 'local' (first defined at providers[0].name, line 2); provider names must be unique"]);
  });

  it('checks wildcards', () => {
    const text = `${LOCAL}models:
  - name: plain
    route: ["local/*"]
  - name: "a/*/*"
    route: ["local/*"]
  - name: x
    aliases: ["x/*"]
    route: [local/x]
`;
    expect(problems(text)).toEqual([
      'models[0].route[0] (line 6:13): a \'*\' in the upstream model is only allowed when the model name has a \'*\' wildcard (e.g. name: "ollama/*", route: ["local/*"])',
      "models[1].name (line 7:11): expected a model name with at most one '*' wildcard",
      "models[2].aliases[0] (line 10:15): expected an alias without '*' (only a model name can be a wildcard)",
    ]);
  });

  it('requires at least one route entry and a well-formed route string', () => {
    const text = `${LOCAL}models:\n  - name: a\n    route: []\n  - name: b\n  - name: c\n    route: [local, 42]\n`;
    expect(problems(text)).toEqual([
      'models[0].route (line 6:12): expected at least one deployment (provider/model) in the route',
      'models[1] (line 7:5): required, but missing (expected a list)'.replace('models[1]', 'models[1].route'),
      "models[2].route[0] (line 9:13): expected a 'provider/model' string (e.g. local/gpt-oss:20b) or a mapping with provider, model and weight",
      "models[2].route[1] (line 9:20): expected a 'provider/model' string (e.g. local/gpt-oss:20b) or a mapping with provider, model and weight, got a number",
    ]);
  });

  it('requires providers and models', () => {
    expect(problems('server:\n  port: 1\n')).toEqual([
      'providers (line 1:1): required, but missing (expected a list)',
      'models (line 1:1): required, but missing (expected a list)',
    ]);
    expect(problems('providers: []\nmodels: []\n')).toEqual(['providers (line 1:12): expected at least one provider', 'models (line 2:9): expected at least one model']);
  });

  it('rejects an empty file and a non-mapping document', () => {
    expect(problems('')).toEqual(['(root): expected a mapping with at least providers and models, got an empty value']);
    expect(problems('- a\n- b\n')).toEqual(['(root) (line 1:1): expected a mapping with at least providers and models, got a list']);
  });

  it('names the allowed logging levels', () => {
    expect(problems(`logging: { level: verbose }\n${LOCAL}${MODELS}`)).toEqual([
      'logging.level (line 1:19): expected one of: fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('names the usage ledger policies and bounds its buffer', () => {
    expect(problems(`store: { when_full: drop, max_buffered_rows: 0 }\n${LOCAL}${MODELS}`)).toEqual([
      'store.when_full (line 1:21): expected one of: refuse, serve_unmetered',
      'store.max_buffered_rows (line 1:46): expected a number >= 1, got 0',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const lines = problems('providers:\n  - name: a\n   kind: ollama\n');
    expect(lines[0]).toMatch(/^line 3:\d+: YAML syntax error: /);
  });

  it('reports duplicate YAML keys', () => {
    expect(problems(`${LOCAL}${MODELS}models: []\n`)).toEqual(['line 7:1: YAML syntax error: Map keys must be unique']);
  });

  it('hints at quoting when ${…} breaks a flow mapping', () => {
    const lines = problems('providers: [{ name: o, kind: openai, api_key: ${KEY} }]\nmodels: []\n');
    expect(lines).toContain('hint: inside { … } or [ … ], quote values that contain ${…}, e.g. { api_key: "${KEY}" }');
  });

  it('checks header names and request_defaults', () => {
    const text = `providers:\n  - name: local\n    kind: ollama\n    headers:\n      "Bad Header": x\n    request_defaults: [1, 2]\n${MODELS}`;
    expect(problems(text)).toEqual([
      'providers[0].headers["Bad Header"] (line 5:7): expected a header name (letters, digits and !#$%&\'*+-.^_`|~)',
      'providers[0].request_defaults (line 6:23): expected a mapping (a JSON object), got a list',
    ]);
  });

  it('validates mock scripts and tool calls', () => {
    const text = `providers:
  - name: sim
    kind: mock
    tokens_per_second: fast
    scripts:
      "*":
        replies: hi
        tool_calls: [{ arguments: {} }]
models: [{ name: m, route: [sim/m] }]
`;
    expect(problems(text)).toEqual([
      'providers[0].tokens_per_second (line 4:24): expected a number, got a string',
      'providers[0].scripts["*"].replies (line 7:9): unknown key \'replies\' — did you mean \'reply\'?',
      'providers[0].scripts["*"].tool_calls[0].name (line 8:22): required, but missing (expected a string)',
    ]);
  });

  it('lists every problem of a file at once, in file order', () => {
    const text = `server:
  prot: 1
providers:
  - name: local
    kind: ollama
    api_key: \${MISSING_KEY}
models:
  - name: m
    route: [nowhere/m]
`;
    expect(problems(text)).toEqual([
      "server.prot (line 2:3): unknown key 'prot' — did you mean 'port'?",
      'providers[0].api_key (line 6:14): environment variable MISSING_KEY is not set; set it, or give a default with ${MISSING_KEY:-default}',
      "models[0].route[0] (line 9:13): unknown provider 'nowhere' (configured providers: local)",
    ]);
  });

  it('exposes structured problems', () => {
    try {
      parseConfigText(`server:\n  prot: 1\n${LOCAL}${MODELS}`, 'bad.yaml', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const error = err as ConfigError;
      expect(error.source).toBe('bad.yaml');
      expect(error.problems).toEqual([{ path: 'server.prot', line: 2, col: 3, message: "unknown key 'prot' — did you mean 'port'?" }]);
    }
  });
});
