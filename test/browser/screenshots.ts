/**
 * Where the browser tests put their screenshots: `CONSOLE_SCREENSHOTS` (the
 * docs' images are made with `CONSOLE_SCREENSHOTS=docs/images/console`),
 * else a temporary directory. Every screenshot is checked to be a PNG.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';

const directory = process.env['CONSOLE_SCREENSHOTS'] === undefined ? mkdtempSync(join(tmpdir(), 'tollgate-screens-')) : resolve(process.env['CONSOLE_SCREENSHOTS']);
mkdirSync(directory, { recursive: true });

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function fileFor(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return join(directory, `${slug}.png`);
}

/** A screenshot of what the window shows (or of one element), named after `name` (`Tenants & keys` → `tenants-keys.png`); returns its path. */
export async function saveScreenshot(target: Page | Locator, name: string): Promise<string> {
  const file = fileFor(name);
  await target.screenshot({ path: file });
  const png = readFileSync(file);
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE) || png.length < 2_000) throw new Error(`the screenshot ${file} is not a picture of a page`);
  return file;
}
