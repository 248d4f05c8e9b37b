import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, providerSecrets, REDACTED, Redactor } from '../../src/upstream/redact.js';

const KEY = 'sk-proj-abc/def"ghi\\jkl';

describe('providerSecrets', () => {
  it('collects the API key, header values (and the credential after a scheme), URL user info and query values', () => {
    const secrets = providerSecrets({
      apiKey: 'sk-live-0123456789',
      headerValues: ['Bearer sk-live-0123456789', 'Basic dXNlcjpzZWNyZXQ=', 'short'],
      baseUrl: 'https://token-user-42:p%40ss-word-99@llm.example.com/v1?api-key=query-secret-77',
    });
    for (const expected of ['sk-live-0123456789', 'dXNlcjpzZWNyZXQ=', 'token-user-42', 'p%40ss-word-99', 'p@ss-word-99', 'query-secret-77']) {
      expect(secrets).toContain(expected);
    }
    expect(secrets).not.toContain('short');
    // The scheme stays readable: only the credential after it is a secret.
    expect(secrets).not.toContain('Bearer sk-live-0123456789');
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters, so that ordinary words are never mangled`, () => {
    expect(providerSecrets({ apiKey: 'abc1234', headerValues: ['v1', 'true'], baseUrl: 'http://u:pw@host:1' })).toEqual([]);
    expect(new Redactor([]).empty).toBe(true);
    expect(new Redactor([]).scrubber()).toBeUndefined();
  });

  it('adds the JSON-escaped and percent-encoded spellings, longest first', () => {
    const secrets = providerSecrets({ apiKey: KEY, headerValues: [], baseUrl: '' });
    expect(secrets).toContain(JSON.stringify(KEY).slice(1, -1));
    expect(secrets).toContain(JSON.stringify(KEY).slice(1, -1).replaceAll('/', '\\/'));
    expect(secrets).toContain(encodeURIComponent(KEY));
    expect([...secrets].sort((a, b) => b.length - a.length)).toEqual(secrets);
  });
});

describe('Redactor', () => {
  const redactor = Redactor.for({ apiKey: KEY, headerValues: ['hdr-secret-123456'], baseUrl: '' });

  it('redacts text, including a secret written inside a JSON string', () => {
    const body = JSON.stringify({ error: { message: `bad key ${KEY} and header hdr-secret-123456` } });
    expect(body).not.toContain(KEY);
    const clean = redactor.redact(body);
    expect(clean).toBe(JSON.stringify({ error: { message: `bad key ${REDACTED} and header ${REDACTED}` } }));
  });

  it('a scrubber redacts a secret cut between reads at every possible offset, and gives back every other byte', () => {
    const text = `data: {"message":"key ${KEY} end"}\n\ndata: {"x":"hdr-secret-123456"}\n\n`;
    const bytes = Buffer.from(JSON.stringify(text));
    const expected = redactor.redact(JSON.stringify(text));
    expect(expected).not.toContain('hdr-secret');
    expect(expected).not.toContain('ghi');
    expect(expected.split(REDACTED)).toHaveLength(3);
    for (let a = 1; a < bytes.length; a++) {
      for (const b of [a + 1, a + 3, a + 17]) {
        const scrubber = redactor.scrubber()!;
        const out = [scrubber.push(bytes.subarray(0, a))];
        if (b < bytes.length) out.push(scrubber.push(bytes.subarray(a, b)), scrubber.push(bytes.subarray(b)));
        else out.push(scrubber.push(bytes.subarray(a)));
        out.push(scrubber.end() ?? Buffer.alloc(0));
        expect(Buffer.concat(out).toString()).toBe(expected);
      }
    }
  });

  it('returns a read without a secret as it is (no copy), and holds back only a tail that begins a secret', () => {
    const scrubber = redactor.scrubber()!;
    const plain = Buffer.from('data: {"choices":[{"delta":{"content":"hello"}}]}\n\n');
    expect(scrubber.push(plain)).toBe(plain);
    const out = scrubber.push(Buffer.from('the key is sk-proj'));
    expect(out.toString()).toBe('the key is ');
    // Not the secret after all: the held bytes come back with the next read.
    expect(scrubber.push(Buffer.from('ect plan')).toString()).toBe('sk-project plan');
    expect(scrubber.push(Buffer.from('ends hdr-sec')).toString()).toBe('ends ');
    expect(scrubber.end()?.toString()).toBe('hdr-sec');
  });
});
