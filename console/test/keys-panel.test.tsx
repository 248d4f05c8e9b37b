// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client.js';
import type { ApiKey } from '../src/api/types.js';
import { ApiContext } from '../src/components/api-context.js';
import { KeysPanel } from '../src/components/keys-panel.js';
import { apiError, startAdminServer, type AdminServer } from './admin-server.js';
import { until } from './until.js';

const SECRET = 'tg_ewxyo7sphvza_YNa75fKKifjBzSRSdIsx8DCAnhLkxRxw';
const ROTATED = 'tg_ewxyo7sphvza_NQz2SroIfRHYLYUnX7h3kHquWt0buyrX';

function keyView(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    object: 'api_key',
    id: 'ewxyo7sphvza',
    tenant: 'team-a',
    name: 'alice-laptop',
    redacted_key: 'tg_ewxyo7sphvza_…xRxw',
    last_four: 'xRxw',
    models: null,
    rpm: 60,
    tpm: null,
    expires_at: null,
    budgets: [],
    created_at: 1_796_477_381,
    revoked_at: null,
    previous_key_valid_until: null,
    status: 'active',
    ...overrides,
  };
}

function fill(id: string, value: string): void {
  const input = document.getElementById(id) as HTMLInputElement;
  void act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function button(name: string, within: ParentNode = document): HTMLButtonElement {
  const found = [...within.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
  if (found === undefined) throw new Error(`No button ${name}`);
  return found;
}

describe('KeysPanel against an admin API on loopback', () => {
  let server: AdminServer;
  let keys: ApiKey[];
  let host: HTMLElement;

  beforeEach(async () => {
    server = await startAdminServer();
    keys = [];
    server.on('GET', '/keys', () => ({ status: 200, body: { object: 'list', data: keys } }));
    host = document.createElement('div');
    document.body.append(host);
  });

  /** Renders the panel and waits for its first list of keys. */
  async function mount(): Promise<void> {
    const api = new ApiClient({ baseUrl: server.origin });
    void act(() =>
      render(
        <ApiContext.Provider value={api}>
          <KeysPanel tenant="team-a" />
        </ApiContext.Provider>,
        host,
      ),
    );
    await until(() => host.textContent?.includes('No keys yet') === true || host.querySelector('tr[data-key-id]') !== null, 'the key list');
  }
  afterEach(async () => {
    void act(() => render(null, host));
    host.remove();
    await server.close();
  });

  it('creates a key and shows it once, in a modal dialog that forgets it when closed', async () => {
    server.on('POST', '/keys', (request) => {
      keys = [keyView()];
      return { status: 201, body: { ...keyView(), key: SECRET, echo: request.body } };
    });
    await mount();
    fill('key-name', 'alice-laptop');
    fill('key-rpm', '60');
    fill('key-models', 'gpt-5*, gpt-oss:*');
    void act(() => button('Create key').click());
    await until(() => document.querySelector('[data-testid=new-key]') !== null, 'the key dialog');

    const create = server.received.find((r) => r.method === 'POST');
    expect(create?.body).toEqual({ tenant: 'team-a', name: 'alice-laptop', models: ['gpt-5*', 'gpt-oss:*'], rpm: 60 });

    const dialog = document.querySelector('[role=dialog]')!;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.querySelector('[data-testid=new-key]')?.textContent).toBe(SECRET);
    expect(dialog.textContent).toContain('will not be shown again');
    expect(document.activeElement).toBe(button('Copy', dialog));

    void act(() => button('Done', dialog).click());
    expect(document.querySelector('[role=dialog]')).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    await until(() => host.querySelector('tr[data-key-id=ewxyo7sphvza]') !== null, 'the new key in the list');
    expect(host.querySelector('tr[data-key-id=ewxyo7sphvza]')?.textContent).toContain('…xRxw');
  });

  it("shows the server's validation message next to the form", async () => {
    await mount();
    server.on('POST', '/keys', () => apiError(400, 'Invalid admin request: name: Too big: expected string to have <=200 characters.', 'invalid_admin_request'));
    fill('key-name', 'x'.repeat(201));
    void act(() => button('Create key').click());
    await until(() => document.querySelector('[role=alert]') !== null, 'the error');
    expect(document.querySelector('[role=alert]')?.textContent).toBe('Invalid admin request: name: Too big: expected string to have <=200 characters.');
    expect(document.querySelector('[role=dialog]')).toBeNull();
  });

  it('refuses a limit that is not a number before sending anything', async () => {
    await mount();
    fill('key-rpm', 'lots');
    void act(() => button('Create key').click());
    await until(() => document.querySelector('[role=alert]') !== null, 'the error');
    expect(document.querySelector('[role=alert]')?.textContent).toMatch(/^RPM: expected a whole number/);
    expect(server.received.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('rotates a key after asking how long the old secret may work, into the same one-time dialog, and revokes only after confirmation', async () => {
    keys = [keyView()];
    server.on('POST', '/keys/ewxyo7sphvza/rotate', () => ({ status: 201, body: { ...keyView({ last_four: 'uyrX' }), key: ROTATED } }));
    server.on('POST', '/keys/ewxyo7sphvza/revoke', () => {
      keys = [keyView({ status: 'revoked', revoked_at: 1_796_480_000 })];
      return { status: 200, body: keys[0] };
    });
    await mount();
    const row = (): HTMLElement => host.querySelector<HTMLElement>('tr[data-key-id=ewxyo7sphvza]')!;
    void act(() => button('Rotate', row()).click());
    const asked = document.querySelector<HTMLElement>('[data-testid=confirm-dialog]')!;
    expect(server.received.some((r) => r.path.endsWith('/rotate'))).toBe(false);
    const grace = asked.querySelector<HTMLSelectElement>('select')!;
    grace.value = '86400';
    void act(() => {
      grace.dispatchEvent(new Event('change', { bubbles: true }));
    });
    void act(() => button('Rotate key', asked).click());
    await until(() => document.querySelector('[data-testid=new-key]') !== null, 'the rotated key');
    expect(server.received.find((r) => r.path.endsWith('/rotate'))?.body).toEqual({ grace_seconds: 86_400 });
    expect(document.querySelector('[data-testid=new-key]')?.textContent).toBe(ROTATED);
    void act(() => button('Done').click());

    void act(() => button('Revoke', row()).click());
    const confirm = document.querySelector('[data-testid=confirm-dialog]')!;
    expect(confirm.getAttribute('role')).toBe('dialog');
    expect(confirm.getAttribute('aria-modal')).toBe('true');
    expect(server.received.some((r) => r.path.endsWith('/revoke'))).toBe(false);
    void act(() => button('Revoke key', confirm).click());
    await until(() => row().textContent?.includes('revoked') === true, 'the revoked status');
    expect(document.querySelector('[data-testid=confirm-dialog]')).toBeNull();
    expect(server.received.filter((r) => r.path.endsWith('/revoke'))).toHaveLength(1);
    expect(row().querySelector('button')).toBeNull();
  });
});
