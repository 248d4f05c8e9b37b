/** The console's pages, addressed by the URL's hash so the server serves one index.html. */

export const PAGES = [
  { id: 'overview', label: 'Overview' },
  { id: 'spend', label: 'Spend' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'tenants', label: 'Tenants & keys' },
  { id: 'routes', label: 'Routes' },
] as const;

export type PageId = (typeof PAGES)[number]['id'];

/** The page a hash names (`#/spend`), the overview for anything else. */
export function pageOf(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return PAGES.find((page) => page.id === id)?.id ?? 'overview';
}

export const hrefOf = (page: PageId): string => `#/${page}`;
