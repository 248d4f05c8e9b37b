/**
 * A change to a key or a tenant, as other replicas need to hear of it: what
 * to drop from their caches. Small and free of secrets (a key's id, a
 * tenant's name), so it can travel over a message bus as it is.
 */
export type KeyChangeOp = 'created' | 'updated' | 'revoked' | 'rotated';
export type TenantChangeOp = 'created' | 'updated';

export type TenancyChange = { readonly kind: 'key'; readonly op: KeyChangeOp; readonly id: string } | { readonly kind: 'tenant'; readonly op: TenantChangeOp; readonly name: string };

const KEY_OPS: ReadonlySet<string> = new Set<KeyChangeOp>(['created', 'updated', 'revoked', 'rotated']);
const TENANT_OPS: ReadonlySet<string> = new Set<TenantChangeOp>(['created', 'updated']);

/** A change read back from its JSON form; undefined for anything else (another version's message, garbage). */
export function parseTenancyChange(value: unknown): TenancyChange | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, op, id, name } = value as Record<string, unknown>;
  if (kind === 'key' && typeof op === 'string' && KEY_OPS.has(op) && typeof id === 'string' && id !== '') return { kind, op: op as KeyChangeOp, id };
  if (kind === 'tenant' && typeof op === 'string' && TENANT_OPS.has(op) && typeof name === 'string' && name !== '') return { kind, op: op as TenantChangeOp, name };
  return undefined;
}
