import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';

const SECRET = 'sk-SECRET-4f9a';

function errorMessage(text: string, env: NodeJS.ProcessEnv): string {
  try {
    parseConfigText(text, 'secrets.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const MODELS = 'models: [{ name: m, route: [p/m] }]\n';

describe('secrets never appear in configuration errors', () => {
  it('does not echo an api_key of the wrong type', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: ollama\n    api_key: 98765432101234\n${MODELS}`, {});
    expect(message).toContain('providers[0].api_key (line 4:14): expected a string (the value is not shown)');
    expect(message).not.toContain('98765432101234');
  });

  it('does not echo an api_key given as a list', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: openai\n    api_key: ["${SECRET}"]\n${MODELS}`, {});
    expect(message).toContain('providers[0].api_key (line 4:14): expected a string (the value is not shown)');
    expect(message).not.toContain(SECRET);
  });

  it('does not echo a header value with a line break', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: ollama\n    headers:\n      Authorization: "\${TOKEN}"\n${MODELS}`, {
      TOKEN: `Bearer ${SECRET}\r\nX-Injected: 1`,
    });
    expect(message).toContain('providers[0].headers.Authorization (line 5:22): expected a header value without line breaks or control characters (value not shown)');
    expect(message).not.toContain(SECRET);
  });

  it('does not echo a header value of the wrong type', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: ollama\n    headers:\n      X-Key: { nested: ${SECRET} }\n${MODELS}`, {});
    expect(message).toContain('providers[0].headers["X-Key"] (line 5:14): expected a string header value, got a mapping');
    expect(message).not.toContain(SECRET);
  });

  it('does not echo an interpolated value that fails validation elsewhere', () => {
    const text = `providers:\n  - name: p\n    kind: openai-compatible\n    base_url: \${SECRET_URL}\n    max_connections: \${SECRET_NUMBER}\n${MODELS}`;
    const message = errorMessage(text, { SECRET_URL: `not a url ${SECRET}`, SECRET_NUMBER: SECRET });
    expect(message).toContain('providers[0].base_url (line 4:15)');
    expect(message).toContain('providers[0].max_connections (line 5:22): expected a number, got a string');
    expect(message).not.toContain(SECRET);
  });

  it('names the variable, not the value, when a key is empty', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: openai\n    api_key: "\${OPENAI_API_KEY:-}"\n${MODELS}`, {});
    expect(message).toContain('providers[0].api_key (line 4:14): expected a non-empty API key for kind openai');
  });

  it('does not echo a secret that sits under an unknown key', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: openai\n    apikey: ${SECRET}\n${MODELS}`, {});
    expect(message).toContain("providers[0].apikey (line 4:5): unknown key 'apikey' — did you mean 'api_key'?");
    expect(message).not.toContain(SECRET);
  });
});

describe('secrets never appear in YAML syntax errors', () => {
  it('drops the source text the parser quotes', () => {
    const message = errorMessage(`providers: [{ name: p, kind: openai, api_key: ${SECRET} }]\n  ]${SECRET}\n${MODELS}`, {});
    expect(message).toMatch(/line \d+:\d+: YAML syntax error: /);
    expect(message).not.toContain(SECRET);
  });

  it('drops extra characters after a block scalar header', () => {
    const message = errorMessage(`providers:\n  - name: p\n    kind: openai\n    api_key: |x${SECRET}\n      text\n${MODELS}`, {});
    expect(message).toMatch(/line 4:\d+: YAML syntax error: /);
    expect(message).not.toContain(SECRET);
  });
});
