/**
 * Browser sessions of the admin API, for the web console: a login with the
 * admin token sets an HttpOnly cookie naming a random session, and every
 * state-changing request made with that cookie must also carry the session's
 * CSRF token in `x-csrf-token` (a cross-site page can send the cookie, never
 * read the token). Sessions live in this process's memory, bounded in number
 * and time; a restart logs every browser out.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'tollgate_session';
/** How long a console login lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions held at once; the oldest go first beyond this (a login flood cannot grow memory). */
export const MAX_SESSIONS = 1024;

export interface ConsoleSession {
  readonly csrfToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface IssuedSession extends ConsoleSession {
  /** The cookie's value; only its hash is kept. */
  readonly id: string;
}

/** Keyed by a hash of the cookie value, so the map's contents cannot be replayed as cookies. */
function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export class ConsoleSessions {
  private readonly byKey = new Map<string, ConsoleSession>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = SESSION_TTL_MS,
    private readonly max: number = MAX_SESSIONS,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** A new session's lifetime, the cookie's Max-Age. */
  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  create(): IssuedSession {
    const now = this.now();
    this.prune(now);
    // Insertion order is age order: the first key is the oldest session.
    while (this.byKey.size >= this.max) {
      const oldest = this.byKey.keys().next();
      if (oldest.done === true) break;
      this.byKey.delete(oldest.value);
    }
    const id = randomBytes(32).toString('hex');
    const session: ConsoleSession = { csrfToken: randomBytes(32).toString('hex'), expiresAt: now + this.ttlMs };
    this.byKey.set(keyOf(id), session);
    return { id, ...session };
  }

  /** The live session a cookie value names; an expired one is removed. */
  find(id: string): ConsoleSession | undefined {
    const key = keyOf(id);
    const session = this.byKey.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.byKey.delete(key);
      return undefined;
    }
    return session;
  }

  remove(id: string): void {
    this.byKey.delete(keyOf(id));
  }

  private prune(now: number): void {
    for (const [key, session] of this.byKey) if (session.expiresAt <= now) this.byKey.delete(key);
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
