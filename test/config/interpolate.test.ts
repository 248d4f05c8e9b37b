import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { interpolateString } from '../../src/config/interpolate.js';

function expand(text: string, env: NodeJS.ProcessEnv): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = interpolateString(text, env, problems);
  return { value, problems };
}

describe('interpolateString', () => {
  const env = { HOST: 'gpu-box', PORT: '8000', EMPTY: '', DOLLAR: '${NOT_EXPANDED}' };

  it('substitutes set variables anywhere in the string', () => {
    expect(expand('http://${HOST}:${PORT}/v1', env)).toEqual({ value: 'http://gpu-box:8000/v1', problems: [] });
  });

  it('keeps a variable that is set but empty', () => {
    expect(expand('[${EMPTY}]', env)).toEqual({ value: '[]', problems: [] });
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(expand('${UNSET:-fallback}', env).value).toBe('fallback');
    expect(expand('${EMPTY:-fallback}', env).value).toBe('fallback');
    expect(expand('${HOST:-fallback}', env).value).toBe('gpu-box');
    expect(expand('${UNSET:-}', env)).toEqual({ value: '', problems: [] });
    expect(expand('${UNSET:-http://localhost:11434}', env).value).toBe('http://localhost:11434');
  });

  it('expands references inside a default, only when the default is used', () => {
    expect(expand('${UNSET:-${HOST}:${PORT}}', env).value).toBe('gpu-box:8000');
    expect(expand('${HOST:-${ALSO_UNSET}}', env)).toEqual({ value: 'gpu-box', problems: [] });
    expect(expand('${UNSET:-${ALSO_UNSET}}', env).problems).toEqual([
      'environment variable ALSO_UNSET is not set; set it, or give a default with ${ALSO_UNSET:-default}',
    ]);
  });

  it('reads $${ as a literal ${ and leaves other dollars alone', () => {
    expect(expand('$${HOST}', env)).toEqual({ value: '${HOST}', problems: [] });
    expect(expand('price: $5, $$ and $HOST', env)).toEqual({ value: 'price: $5, $$ and $HOST', problems: [] });
    expect(expand('${UNSET:-$${x}}', env).value).toBe('${x}');
    expect(expand('trailing $', env).value).toBe('trailing $');
  });

  it('does not expand references inside environment values', () => {
    expect(expand('${DOLLAR}', env).value).toBe('${NOT_EXPANDED}');
  });

  it('reports an unset variable by name', () => {
    expect(expand('Bearer ${API_TOKEN}', env).problems).toEqual([
      'environment variable API_TOKEN is not set; set it, or give a default with ${API_TOKEN:-default}',
    ]);
  });

  it('reports every bad reference in a string', () => {
    expect(expand('${A}${B}', env).problems).toHaveLength(2);
  });

  it('reports malformed references', () => {
    expect(expand('${HOST', env).problems).toEqual(["unterminated '${HOST': missing the closing '}'"]);
    expect(expand('${UNSET:-abc', env).problems).toEqual(["unterminated '${UNSET:-…': missing the closing '}'"]);
    expect(expand('${1X}', env).problems[0]).toMatch(/^invalid '\$\{…\}': expected a variable name/);
    expect(expand('${}', env).problems[0]).toMatch(/^invalid '\$\{…\}'/);
    expect(expand('${HOST-x}', env).problems).toEqual(['invalid reference to HOST: expected ${HOST} or ${HOST:-default}']);
  });
});

describe('interpolation in configuration files', () => {
  const text = `
providers:
  - name: vllm
    kind: openai-compatible
    base_url: "http://\${VLLM_HOST:-127.0.0.1}:8000/v1"
    api_key: \${VLLM_KEY}
    request_defaults:
      "\${NOT_A_KEY}": 1
      stop: ["$\${END}", "\${STOP:-done}"]
models:
  - name: m
    route: [vllm/m]
`;

  it('interpolates string values, nested ones included, but never keys', () => {
    const config = parseConfigText(text, 'i.yaml', { VLLM_KEY: 'k-1' });
    const provider = config.providers[0];
    expect(provider?.baseUrl).toBe('http://127.0.0.1:8000/v1');
    expect(provider?.apiKey).toBe('k-1');
    expect(provider?.requestDefaults).toEqual({ '${NOT_A_KEY}': 1, stop: ['${END}', 'done'] });
  });

  it('names the variable, the YAML path and the line of an unset variable', () => {
    try {
      parseConfigText(text, 'i.yaml', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message.split('\n').slice(1)).toEqual([
        '  providers[0].api_key (line 6:14): environment variable VLLM_KEY is not set; set it, or give a default with ${VLLM_KEY:-default}',
      ]);
    }
  });
});
