/**
 * Browser sessions of the admin API, for the web console: a login with the
 * admin token sets an HttpOnly cookie holding a signed session, and every
 * state-changing request made with that cookie must also carry the session's
 * CSRF token in `x-csrf-token` (a cross-site page can send the cookie, never
 * read the token).
 *
 * A session is not kept anywhere: the cookie is `<expiry>.<nonce>.<mac>`,
 * signed with a key derived from the admin token, and the CSRF token is
 * derived from the nonce with the same key. So every replica of a gateway
 * (they share the admin token) accepts a session another replica issued —
 * the console works behind a round-robin balancer without sticky sessions —
 * a restart logs nobody out, and changing the admin token ends every
 * session at once. Signing out forgets the nonce on the replica that
 * answered (and the browser drops the cookie); the same cookie value, if it
 * was copied, stays valid on the other replicas until it expires.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'tollgate_session';
/** How long a console login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Signed-out sessions remembered at once (each until it would have expired); beyond, the oldest are forgotten. */
export const MAX_SIGNED_OUT = 10_000;

export interface ConsoleSession {
  readonly csrfToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface IssuedSession extends ConsoleSession {
  /** The cookie's value. */
  readonly id: string;
}

const EXPIRY = /^[0-9a-z]{1,11}$/;
const NONCE = /^[0-9a-f]{32}$/;

export class ConsoleSessions {
  private readonly key: Buffer;
  /** Nonces of sessions signed out here, with when they would have expired. */
  private readonly signedOut = new Map<string, number>();

  /** `secret` is the admin token: sessions are signed with a key derived from it. */
  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = SESSION_TTL_MS,
    private readonly maxSignedOut: number = MAX_SIGNED_OUT,
  ) {
    this.key = createHmac('sha256', secret).update('tollgate console session v1').digest();
  }

  /** A new session's lifetime, the cookie's Max-Age. */
  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  create(): IssuedSession {
    const expiresAt = this.now() + this.ttlMs;
    const nonce = randomBytes(16).toString('hex');
    const signed = `${expiresAt.toString(36)}.${nonce}`;
    return { id: `${signed}.${this.mac(signed)}`, csrfToken: this.csrfOf(nonce), expiresAt };
  }

  /** The live session a cookie value names: signed with this gateway's key, not expired, not signed out. */
  find(id: string): ConsoleSession | undefined {
    const verified = this.verify(id);
    if (verified === undefined || this.signedOut.has(verified.nonce)) return undefined;
    return { csrfToken: this.csrfOf(verified.nonce), expiresAt: verified.expiresAt };
  }

  /** Signs a session out here; an invalid or expired cookie value has nothing to end. */
  remove(id: string): void {
    const verified = this.verify(id);
    if (verified === undefined) return;
    const now = this.now();
    for (const [nonce, expiresAt] of this.signedOut) if (expiresAt <= now) this.signedOut.delete(nonce);
    while (this.signedOut.size >= this.maxSignedOut) {
      const oldest = this.signedOut.keys().next();
      if (oldest.done === true) break;
      this.signedOut.delete(oldest.value);
    }
    this.signedOut.set(verified.nonce, verified.expiresAt);
  }

  private verify(id: string): { readonly nonce: string; readonly expiresAt: number } | undefined {
    const [expiry, nonce, mac, extra] = id.split('.');
    if (expiry === undefined || nonce === undefined || mac === undefined || extra !== undefined || !EXPIRY.test(expiry) || !NONCE.test(nonce)) return undefined;
    const expected = Buffer.from(this.mac(`${expiry}.${nonce}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const expiresAt = Number.parseInt(expiry, 36);
    return expiresAt > this.now() ? { nonce, expiresAt } : undefined;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }

  private csrfOf(nonce: string): string {
    return createHmac('sha256', this.key).update(`csrf.${nonce}`).digest('hex');
  }
}

/** Failed logins allowed per remote address within one window. */
export const MAX_FAILED_LOGINS = 10;
export const LOGIN_WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond, the oldest windows are forgotten. */
const MAX_TRACKED_ADDRESSES = 10_000;

interface FailureWindow {
  readonly startedAt: number;
  failures: number;
}

/**
 * Counts failed logins per remote address in fixed windows: once an address
 * has failed MAX_FAILED_LOGINS times in its window, every login from it is
 * refused until the window ends, so the admin token cannot be guessed
 * through the login faster than that.
 */
export class LoginThrottle {
  private readonly windows = new Map<string, FailureWindow>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxFailures: number = MAX_FAILED_LOGINS,
    private readonly windowMs: number = LOGIN_WINDOW_MS,
  ) {}

  /** Seconds until `address` may try again; undefined when it may now. */
  blockedFor(address: string): number | undefined {
    const window = this.current(address, this.now());
    if (window === undefined || window.failures < this.maxFailures) return undefined;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const now = this.now();
    const window = this.current(address, now);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) {
      for (const [key, w] of this.windows) if (w.startedAt + this.windowMs <= now) this.windows.delete(key);
      const oldest = this.windows.keys().next();
      if (this.windows.size >= MAX_TRACKED_ADDRESSES && oldest.done !== true) this.windows.delete(oldest.value);
    }
    this.windows.set(address, { startedAt: now, failures: 1 });
  }

  private current(address: string, now: number): FailureWindow | undefined {
    const window = this.windows.get(address);
    if (window === undefined) return undefined;
    if (window.startedAt + this.windowMs <= now) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}

/** The session cookie's value in a Cookie header, if any. */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | undefined {
  const cookie = headers.cookie;
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** Whether the browser reached the gateway over TLS (directly, or through a proxy that says so). */
export function overTls(req: IncomingMessage): boolean {
  if ('encrypted' in req.socket && req.socket.encrypted === true) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',', 1)[0]?.trim().toLowerCase();
  return first === 'https';
}

/** The Set-Cookie value of a new session (`maxAgeSeconds` 0 clears it). */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
