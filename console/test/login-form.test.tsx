// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/client.js';
import { LoginForm } from '../src/components/login-form.js';

async function settle(): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

function typeToken(input: HTMLInputElement, value: string): void {
  void act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('LoginForm', () => {
  let host: HTMLElement;
  beforeEach(() => {
    host = document.createElement('div');
    document.body.append(host);
  });
  afterEach(() => {
    render(null, host);
    host.remove();
  });

  it('has a labelled password input and signs in with what was typed', async () => {
    const tokens: string[] = [];
    void act(() => render(<LoginForm signIn={(token) => (tokens.push(token), Promise.resolve())} />, host));
    const label = host.querySelector('label');
    const input = host.querySelector<HTMLInputElement>('input')!;
    expect(label?.textContent).toBe('Admin token');
    expect(label?.getAttribute('for')).toBe(input.id);
    expect(input.type).toBe('password');

    typeToken(input, 'secret-admin-token-0123');
    const button = host.querySelector<HTMLButtonElement>('button[type=submit]')!;
    expect(button.textContent).toBe('Sign in');
    void act(() => button.click());
    await settle();
    expect(tokens).toEqual(['secret-admin-token-0123']);
    expect(host.querySelector('[role=alert]')).toBeNull();
  });

  it("shows the server's message in an alert when the token is refused", async () => {
    void act(() => render(<LoginForm signIn={() => Promise.reject(new ApiError(401, 'Invalid admin token.', 'invalid_admin_token'))} />, host));
    typeToken(host.querySelector<HTMLInputElement>('input')!, 'wrong-token');
    void act(() => {
      host.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    });
    await settle();
    const alert = host.querySelector('[role=alert]');
    expect(alert?.textContent).toBe('Invalid admin token.');
    expect(host.querySelector('input')?.getAttribute('aria-describedby')).toBe(alert?.id);
    expect(host.querySelector<HTMLButtonElement>('button[type=submit]')?.disabled).toBe(false);
  });

  it('says why a session ended when it sends the viewer back', () => {
    void act(() => render(<LoginForm signIn={() => Promise.resolve()} notice="Your session has ended. Sign in again." />, host));
    expect(host.textContent).toContain('Your session has ended. Sign in again.');
  });
});
