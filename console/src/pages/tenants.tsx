/** Tenants and their keys: list, create, choose one to see and manage its keys and limits. */
import { useState } from 'preact/hooks';
import type { List, Tenant } from '../api/types.js';
import { useApi } from '../components/api-context.js';
import { ErrorNote } from '../components/error-note.js';
import { Field } from '../components/field.js';
import { KeysPanel } from '../components/keys-panel.js';
import { LimitsForm } from '../components/limits-form.js';
import { newTenantBody, type NewTenantFields } from '../lib/forms.js';
import { formatCount } from '../lib/format.js';
import { useAction } from '../lib/use-action.js';
import { useLoad } from '../lib/use-load.js';

const emptyTenant: NewTenantFields = { name: '', models: '', rpm: '', tpm: '' };

function NewTenantForm({ created }: { created: (tenant: Tenant) => void }) {
  const api = useApi();
  const [fields, setFields] = useState<NewTenantFields>(emptyTenant);
  const action = useAction();
  const set = (name: keyof NewTenantFields) => (value: string) => setFields({ ...fields, [name]: value });
  const submit = (event: Event): void => {
    event.preventDefault();
    action.run(() => {
      const body = newTenantBody(fields);
      return api.post<Tenant>('/tenants', body).then((tenant) => {
        setFields(emptyTenant);
        created(tenant);
      });
    });
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-tenant-title">
      <h2 id="new-tenant-title">New tenant</h2>
      <div class="fields">
        <Field id="tenant-name" label="Tenant name" value={fields.name} onInput={set('name')} required hint="Letters, digits, ., _ or -." />
        <Field id="tenant-models" label="Tenant models" value={fields.models} onInput={set('models')} hint="Comma-separated patterns such as gpt-5*; empty: every model." />
        <Field id="tenant-rpm" label="Tenant RPM" value={fields.rpm} onInput={set('rpm')} inputMode="numeric" hint="Requests per minute; empty: no limit." />
        <Field id="tenant-tpm" label="Tenant TPM" value={fields.tpm} onInput={set('tpm')} inputMode="numeric" hint="Tokens per minute; empty: no limit." />
      </div>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Create tenant
        </button>
      </div>
      <ErrorNote message={action.error} />
    </form>
  );
}

const limit = (value: number | null, unit: string): string => (value === null ? '' : `${formatCount(value)} ${unit}`);

export function TenantsPage() {
  const api = useApi();
  const tenants = useLoad(() => api.get<List<Tenant>>('/tenants'), [api]);
  const [selected, setSelected] = useState<string | null>(null);
  const list = tenants.data?.data ?? [];
  const current = list.find((t) => t.name === selected) ?? null;

  return (
    <section class="page" aria-labelledby="tenants-title">
      <div class="page-head">
        <h1 id="tenants-title">Tenants &amp; keys</h1>
      </div>
      <ErrorNote message={tenants.error} />
      {tenants.data === null && tenants.loading && <p class="muted">Loading…</p>}
      {tenants.data !== null && list.length === 0 && <p class="muted">No tenants yet. Create the first one below.</p>}
      {list.length > 0 && (
        <div class="scroll card" tabIndex={0} role="region" aria-label="Tenants">
          <table data-testid="tenants">
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Models</th>
                <th scope="col">Limits</th>
                <th scope="col">Budgets</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {list.map((tenant) => (
                <tr key={tenant.name} data-tenant={tenant.name} class={tenant.name === selected ? 'selected' : undefined}>
                  <th scope="row">
                    <button type="button" class="link" aria-pressed={tenant.name === selected} onClick={() => setSelected(tenant.name)}>
                      {tenant.name}
                    </button>
                  </th>
                  <td>{tenant.models === null ? 'all' : tenant.models.join(', ')}</td>
                  <td>{[limit(tenant.rpm, 'rpm'), limit(tenant.tpm, 'tpm')].filter((t) => t !== '').join(', ') || 'none'}</td>
                  <td>{tenant.budgets.length === 0 ? 'none' : tenant.budgets.map((b) => `$${b.limit_usd}/${b.period}`).join(', ')}</td>
                  <td>{tenant.source === 'config' ? 'config file' : 'API'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {current === null ? (
        list.length > 0 && <p class="muted">Choose a tenant to see its keys.</p>
      ) : (
        <div class="tenant-detail">
          <KeysPanel key={current.name} tenant={current.name} />
          {current.source === 'config' ? (
            <p class="muted small">The limits and budgets of {current.name} are set in the configuration file.</p>
          ) : (
            <LimitsForm key={current.name} idPrefix="tenant-limits" title={`Limits of tenant ${current.name}`} owner={current} save={(body) => api.patch<Tenant>(`/tenants/${encodeURIComponent(current.name)}`, body).then(() => tenants.reload())} />
          )}
        </div>
      )}
      <NewTenantForm
        created={(tenant) => {
          tenants.reload();
          setSelected(tenant.name);
        }}
      />
    </section>
  );
}
