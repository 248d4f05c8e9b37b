/**
 * The session store and the login throttle on a controlled clock: sessions
 * expire after their TTL and are bounded in number (oldest out first); a
 * throttled address may try again once its window is over.
 */
import { describe, expect, it } from 'vitest';
import { ConsoleSessions, LoginThrottle, sessionCookieOf } from '../../src/server/admin/console-session.js';

describe('ConsoleSessions', () => {
  it('finds a session until its TTL is over, then forgets it', () => {
    let now = 1_000;
    const sessions = new ConsoleSessions(() => now, 10_000);
    const issued = sessions.create();
    expect(issued.expiresAt).toBe(11_000);
    now = 10_999;
    expect(sessions.find(issued.id)?.csrfToken).toBe(issued.csrfToken);
    now = 11_000;
    expect(sessions.find(issued.id)).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('prunes expired sessions at each login and, when full, evicts the oldest', () => {
    let now = 0;
    const sessions = new ConsoleSessions(() => now, 10_000, 3);
    const stale = sessions.create();
    now = 20_000;
    const a = sessions.create();
    expect(sessions.size).toBe(1);
    expect(sessions.find(stale.id)).toBeUndefined();
    const b = sessions.create();
    const c = sessions.create();
    const d = sessions.create();
    expect(sessions.size).toBe(3);
    expect(sessions.find(a.id)).toBeUndefined();
    for (const live of [b, c, d]) expect(sessions.find(live.id)).toBeDefined();
  });

  it('logs a session out', () => {
    const sessions = new ConsoleSessions();
    const issued = sessions.create();
    sessions.remove(issued.id);
    expect(sessions.find(issued.id)).toBeUndefined();
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
