/**
 * Signed console sessions and the login throttle on a controlled clock:
 * sessions expire after their TTL, any gateway with the same admin token
 * accepts them, a forged or altered one is refused, a signed-out one is
 * remembered (boundedly); a throttled address may try again once its window
 * is over.
 */
import { describe, expect, it } from 'vitest';
import { ConsoleSessions, LoginThrottle, sessionCookieOf } from '../../src/server/admin/console-session.js';

const SECRET = 'the-admin-token-0123456789';

describe('ConsoleSessions', () => {
  it('finds a session until its TTL is over', () => {
    let now = 1_000;
    const sessions = new ConsoleSessions(SECRET, () => now, 10_000);
    const issued = sessions.create();
    expect(issued.expiresAt).toBe(11_000);
    expect(issued.id).toMatch(/^[0-9a-z]+\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(issued.csrfToken).toMatch(/^[0-9a-f]{64}$/);
    now = 10_999;
    expect(sessions.find(issued.id)).toEqual({ csrfToken: issued.csrfToken, expiresAt: 11_000 });
    now = 11_000;
    expect(sessions.find(issued.id)).toBeUndefined();
  });

  it('is accepted by another gateway with the same admin token (a replica, or after a restart), and by none with another', () => {
    const issued = new ConsoleSessions(SECRET).create();
    expect(new ConsoleSessions(SECRET).find(issued.id)?.csrfToken).toBe(issued.csrfToken);
    expect(new ConsoleSessions('another-admin-token-012345').find(issued.id)).toBeUndefined();
  });

  it('refuses a cookie value that was altered in any part, or is not one', () => {
    const sessions = new ConsoleSessions(SECRET);
    const issued = sessions.create();
    const [expiry, nonce, mac] = issued.id.split('.') as [string, string, string];
    const later = (Number.parseInt(expiry, 36) + 86_400_000).toString(36);
    const flip = (text: string): string => (text[0] === 'a' ? 'b' : 'a') + text.slice(1);
    for (const forged of [`${later}.${nonce}.${mac}`, `${expiry}.${flip(nonce)}.${mac}`, `${expiry}.${nonce}.${flip(mac)}`, `${expiry}.${nonce}`, `${issued.id}.x`, '', 'a'.repeat(64), `${expiry}.${nonce}.${mac.slice(1)}`]) {
      expect(sessions.find(forged), forged).toBeUndefined();
    }
    expect(sessions.find(issued.id)).toBeDefined();
  });

  it('signs a session out, on this gateway, without touching the others; a bounded number are remembered', () => {
    let now = 0;
    const sessions = new ConsoleSessions(SECRET, () => now, 10_000, 2);
    const [a, b, c] = [sessions.create(), sessions.create(), sessions.create()];
    sessions.remove(a.id);
    expect(sessions.find(a.id)).toBeUndefined();
    expect(sessions.find(b.id)).toBeDefined();
    sessions.remove('not-a-session');
    sessions.remove(b.id);
    // A third sign-out beyond the bound forgets the oldest.
    sessions.remove(c.id);
    expect(sessions.find(a.id)).toBeDefined();
    expect([sessions.find(b.id), sessions.find(c.id)]).toEqual([undefined, undefined]);
    // Expired sign-outs make room first.
    now = 20_000;
    const d = sessions.create();
    sessions.remove(d.id);
    expect(sessions.find(d.id)).toBeUndefined();
  });
});

describe('LoginThrottle', () => {
  it('blocks an address after its failures in a window and frees it when the window ends', () => {
    let now = 0;
    const throttle = new LoginThrottle(() => now, 3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(throttle.blockedFor('10.0.0.1')).toBeUndefined();
      throttle.failed('10.0.0.1');
    }
    now = 15_000;
    expect(throttle.blockedFor('10.0.0.1')).toBe(45);
    expect(throttle.blockedFor('10.0.0.2')).toBeUndefined();
    now = 60_000;
    expect(throttle.blockedFor('10.0.0.1')).toBeUndefined();
    throttle.failed('10.0.0.1');
    expect(throttle.blockedFor('10.0.0.1')).toBeUndefined();
  });
});

describe('sessionCookieOf', () => {
  it('reads the session cookie among others, and nothing from an empty one', () => {
    expect(sessionCookieOf({ cookie: 'a=1; tollgate_session=abc ; b=2' })).toBe('abc');
    expect(sessionCookieOf({ cookie: 'tollgate_session=' })).toBeUndefined();
    expect(sessionCookieOf({ cookie: 'xtollgate_session=abc' })).toBeUndefined();
    expect(sessionCookieOf({})).toBeUndefined();
  });
});
