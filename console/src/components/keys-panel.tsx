/** One tenant's keys: list, create, rotate, revoke (after a confirmation) and edit limits. */
import { useState } from 'preact/hooks';
import type { ApiKey, List } from '../api/types.js';
import { newKeyBody, type NewKeyFields } from '../lib/forms.js';
import { formatCount, formatLocalDate } from '../lib/format.js';
import { useAction } from '../lib/use-action.js';
import { useLoad } from '../lib/use-load.js';
import { useApi } from './api-context.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ErrorNote } from './error-note.js';
import { Field } from './field.js';
import { KeyDialog } from './key-dialog.js';
import { LimitsForm } from './limits-form.js';

const emptyKey: NewKeyFields = { name: '', models: '', rpm: '', tpm: '', expires: '' };

function limitsText(key: ApiKey): string {
  const parts = [key.rpm === null ? null : `${formatCount(key.rpm)} rpm`, key.tpm === null ? null : `${formatCount(key.tpm)} tpm`, ...key.budgets.map((b) => `$${b.limit_usd}/${b.period}`)].filter((p) => p !== null);
  return parts.length === 0 ? 'tenant’s' : parts.join(', ');
}

function NewKeyForm({ tenant, created }: { tenant: string; created: (key: ApiKey) => void }) {
  const api = useApi();
  const [fields, setFields] = useState<NewKeyFields>(emptyKey);
  const action = useAction();
  const set = (name: keyof NewKeyFields) => (value: string) => setFields({ ...fields, [name]: value });
  const submit = (event: Event): void => {
    event.preventDefault();
    action.run(() => {
      const body = newKeyBody(tenant, fields);
      return api.post<ApiKey>('/keys', body).then((key) => {
        setFields(emptyKey);
        created(key);
      });
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-key-title">
      <h3 id="new-key-title">New key for {tenant}</h3>
      <div class="fields">
        <Field id="key-name" label="Key name" value={fields.name} onInput={set('name')} hint="Optional, such as alice-laptop." />
        <Field id="key-models" label="Key models" value={fields.models} onInput={set('models')} hint="Comma-separated patterns narrowing the tenant's; empty: all of the tenant's." />
        <Field id="key-rpm" label="Key RPM" value={fields.rpm} onInput={set('rpm')} inputMode="numeric" hint="Requests per minute; empty: no limit of its own." />
        <Field id="key-tpm" label="Key TPM" value={fields.tpm} onInput={set('tpm')} inputMode="numeric" hint="Tokens per minute; empty: no limit of its own." />
        <Field id="key-expires" label="Expires" type="date" value={fields.expires} onInput={set('expires')} hint="Optional: the key stops working at the start of this day (your time zone)." />
      </div>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </div>
      <ErrorNote message={action.error} />
    </form>
  );
}

type Shown =
  | { readonly kind: 'none' }
  | { readonly kind: 'secret'; readonly key: ApiKey; readonly rotated: boolean }
  | { readonly kind: 'revoke'; readonly key: ApiKey }
  | { readonly kind: 'rotate'; readonly key: ApiKey }
  | { readonly kind: 'edit'; readonly key: ApiKey };

/** How long the old secret keeps working after a rotation: at once for a leaked key, longer to roll a fleet over. */
const GRACE_CHOICES: ReadonlyArray<readonly [seconds: number, label: string]> = [
  [0, 'Stops at once'],
  [3_600, 'Works 1 more hour'],
  [86_400, 'Works 24 more hours'],
  [7 * 86_400, 'Works 7 more days'],
];

export function KeysPanel({ tenant }: { tenant: string }) {
  const api = useApi();
  const keys = useLoad(() => api.get<List<ApiKey>>('/keys', { tenant }), [api, tenant]);
  const [shown, setShown] = useState<Shown>({ kind: 'none' });
  const [graceSeconds, setGraceSeconds] = useState(0);
  const action = useAction();

  const rotate = (key: ApiKey): void =>
    action.run(() =>
      api.post<ApiKey>(`/keys/${encodeURIComponent(key.id)}/rotate`, { grace_seconds: graceSeconds }).then((rotated) => {
        setShown({ kind: 'secret', key: rotated, rotated: true });
        keys.reload();
      }),
    );
  const revoke = (key: ApiKey): void =>
    action.run(() =>
      api.post<ApiKey>(`/keys/${encodeURIComponent(key.id)}/revoke`).then(() => {
        setShown({ kind: 'none' });
        keys.reload();
      }),
    );

  const list = keys.data?.data ?? [];
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">Keys of {tenant}</h2>
      <ErrorNote message={keys.error} />
      <ErrorNote message={shown.kind === 'revoke' || shown.kind === 'rotate' ? null : action.error} />
      {keys.data === null && keys.loading && <p class="muted">Loading…</p>}
      {keys.data !== null && list.length === 0 && <p class="muted">No keys yet. Create one below.</p>}
      {list.length > 0 && (
        <div class="scroll card" tabIndex={0} role="region" aria-label={`Keys of ${tenant}`}>
          <table data-testid="keys">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
                <th scope="col">Last four</th>
                <th scope="col">Status</th>
                <th scope="col">Limits</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((key) => (
                <tr key={key.id} data-key-id={key.id}>
                  <th scope="row">
                    <code>{key.id}</code>
                  </th>
                  <td>{key.name ?? '—'}</td>
                  <td>
                    <code>…{key.last_four}</code>
                  </td>
                  <td>
                    <span class={`badge ${key.status === 'active' ? 'badge-ok' : 'badge-bad'}`}>{key.status}</span>
                    {key.expires_at !== null && key.status === 'active' && <span class="muted small"> until {formatLocalDate(key.expires_at)}</span>}
                  </td>
                  <td>{limitsText(key)}</td>
                  <td>{formatLocalDate(key.created_at)}</td>
                  <td>
                    {key.status !== 'revoked' && (
                      <div class="row-actions">
                        <button type="button" class="quiet small" onClick={() => setShown({ kind: 'edit', key })} aria-describedby={`key-${key.id}`}>
                          Edit limits
                        </button>
                        <button
                          type="button"
                          class="quiet small"
                          onClick={() => {
                            setGraceSeconds(0);
                            setShown({ kind: 'rotate', key });
                          }}
                          disabled={action.busy}
                        >
                          Rotate
                        </button>
                        <button type="button" class="danger small" onClick={() => setShown({ kind: 'revoke', key })}>
                          Revoke
                        </button>
                      </div>
                    )}
                    <span id={`key-${key.id}`} class="visually-hidden">
                      key {key.id}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown.kind === 'edit' && (
        <LimitsForm
          key={shown.key.id}
          idPrefix={`key-limits`}
          title={`Limits of key ${shown.key.id}`}
          owner={shown.key}
          save={(body) => api.patch<ApiKey>(`/keys/${encodeURIComponent(shown.key.id)}`, body).then(() => keys.reload())}
          onCancel={() => setShown({ kind: 'none' })}
        />
      )}
      <NewKeyForm
        tenant={tenant}
        created={(key) => {
          setShown({ kind: 'secret', key, rotated: false });
          keys.reload();
        }}
      />
      {shown.kind === 'secret' && shown.key.key !== undefined && <KeyDialog keyId={shown.key.id} secret={shown.key.key} rotated={shown.rotated} onClose={() => setShown({ kind: 'none' })} />}
      {shown.kind === 'rotate' && (
        <ConfirmDialog title={`Rotate key ${shown.key.id}?`} confirmLabel="Rotate key" busy={action.busy} onConfirm={() => rotate(shown.key)} onCancel={() => setShown({ kind: 'none' })}>
          <p>The key gets a new secret, shown once. Its id, limits and budgets stay.</p>
          <label for="rotate-grace">The old secret</label>
          <select id="rotate-grace" value={String(graceSeconds)} onChange={(e) => setGraceSeconds(Number(e.currentTarget.value))}>
            {GRACE_CHOICES.map(([seconds, label]) => (
              <option key={seconds} value={String(seconds)}>
                {label}
              </option>
            ))}
          </select>
          <ErrorNote message={action.error} />
        </ConfirmDialog>
      )}
      {shown.kind === 'revoke' && (
        <ConfirmDialog title={`Revoke key ${shown.key.id}?`} confirmLabel="Revoke key" busy={action.busy} onConfirm={() => revoke(shown.key)} onCancel={() => setShown({ kind: 'none' })}>
          <p>
            Calls with this key are refused from the next request on. A revoked key cannot be restored: its owner needs a new key.
          </p>
          <ErrorNote message={action.error} />
        </ConfirmDialog>
      )}
    </section>
  );
}
