import { describe, expect, it } from 'vitest';
import { formatKey, hashSecret, lastFour, newPublicId, newSecret, parseKey, secretMatches } from '../../src/tenancy/virtual-key.js';

describe('virtual keys', () => {
  it('round-trips: a new key parses back into its id and secret', () => {
    const id = newPublicId();
    const secret = newSecret();
    const key = formatKey(id, secret);
    expect(key).toMatch(/^tg_[a-z0-9]{12}_[A-Za-z0-9]{32}$/);
    expect(parseKey(key)).toEqual({ publicId: id, secret });
    expect(lastFour(key)).toBe(secret.slice(-4));
  });

  it('refuses anything not shaped like a key', () => {
    const good = formatKey('abcdefghij12', 'A'.repeat(32));
    expect(parseKey(good)).toBeDefined();
    for (const bad of ['', 'sk-abc', good.slice(1), `${good}x`, good.replace('tg_', 'tx_'), good.replace('_A', '-A'), formatKey('ABCDEFGHIJ12', 'A'.repeat(32)), formatKey('abcdefghij12', `${'A'.repeat(31)}!`)]) {
      expect(parseKey(bad)).toBeUndefined();
    }
  });

  it('stores a SHA-256 of the secret and compares it in constant time', () => {
    const secret = newSecret();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(newSecret(), hash)).toBe(false);
  });

  it('draws secrets with enough entropy that none repeats', () => {
    const secrets = new Set(Array.from({ length: 2_000 }, () => newSecret()));
    expect(secrets.size).toBe(2_000);
    const ids = new Set(Array.from({ length: 2_000 }, () => newPublicId()));
    expect(ids.size).toBe(2_000);
  });
});
