/**
 * Debian's Chromium, driven by playwright-core, for the console's browser
 * tests. The flags keep it from reaching for Google's hosts (this machine's
 * network is closed; without them it retries those connections at every
 * start) and let it run as root in a container.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  if (!chromiumAvailable()) throw new Error(`Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium (scripts/ci/install-tools.sh does) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}
