/**
 * Virtual API keys: `tg_<public id>_<secret>`.
 *
 * The public id names the key everywhere (listings, logs, the ledger's
 * `key_id`); the secret is 32 characters drawn from 62 (~190 bits), so a
 * single fast hash (SHA-256) is enough to store it: there is nothing to
 * brute-force that a slow password hash would protect. Only the hash and the
 * last four characters of the key are kept; the key itself is shown once.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'tg_';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PUBLIC_ID_LENGTH = 12;
export const SECRET_LENGTH = 32;
const KEY_LENGTH = KEY_PREFIX.length + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH;

export interface ParsedKey {
  readonly publicId: string;
  readonly secret: string;
}

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function newPublicId(): string {
  return randomString(ID_ALPHABET, PUBLIC_ID_LENGTH);
}

export function newSecret(): string {
  return randomString(SECRET_ALPHABET, SECRET_LENGTH);
}

export function formatKey(publicId: string, secret: string): string {
  return `${KEY_PREFIX}${publicId}_${secret}`;
}

/** The whole shape at once (one native match, on every authenticated request): prefix, id, `_`, secret. */
const KEY_SHAPE = new RegExp(`^${KEY_PREFIX}([a-z0-9]{${PUBLIC_ID_LENGTH}})_([A-Za-z0-9]{${SECRET_LENGTH}})$`);

/** The key's parts, or undefined when `text` is not shaped like a Tollgate key. */
export function parseKey(text: string): ParsedKey | undefined {
  if (text.length !== KEY_LENGTH) return undefined;
  const match = KEY_SHAPE.exec(text);
  return match === null ? undefined : { publicId: match[1]!, secret: match[2]! };
}

/** What is stored for a secret: its SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The last four characters of a key: enough for a person to tell keys apart. */
export function lastFour(key: string): string {
  return key.slice(-4);
}

/**
 * Whether a presented secret (a proxy secret, the admin token) equals the
 * configured one, in time that depends only on the configured one's length.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  const same = timingSafeEqual(a.length === b.length ? a : b, b);
  return a.length === b.length && same;
}
