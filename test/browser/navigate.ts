/**
 * Moving between the console's pages as a user does: through the navigation,
 * then waiting until the page is current, titled, and done loading (no
 * "Loading…" left, the overview's charts drawn). Waiting for the network to
 * go quiet would never end on the Traffic page, whose live feed stays open.
 */
import type { Page } from 'playwright-core';

export const PAGES = ['Overview', 'Spend', 'Traffic', 'Tenants & keys', 'Routes'] as const;
export type PageName = (typeof PAGES)[number];

export async function showPage(page: Page, name: PageName): Promise<void> {
  const link = page.getByRole('navigation').getByRole('link', { name, exact: true });
  await link.click();
  await page.locator(`nav a[aria-current="page"]`, { hasText: name }).waitFor();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
  await page.getByText('Loading…').first().waitFor({ state: 'detached' });
  if (name === 'Overview') await page.locator('[data-ready="true"]').waitFor();
  if (name === 'Traffic') await page.getByTestId('connection-state').filter({ hasText: 'Live' }).waitFor();
}
