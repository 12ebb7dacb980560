/** Headless Debian chromium driven by playwright-core (no browser download), and the screenshots the console tests write. */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const REPO = resolve(import.meta.dirname, '../..');
/** Every run writes here (gitignored), so `npm test` leaves the tree clean. */
export const SCREENSHOT_DIR = join(REPO, 'test-output/screenshots');
/** The README links these; only `UPDATE_SCREENSHOTS=1` refreshes them. */
export const TRACKED_SCREENSHOT_DIR = join(REPO, 'docs/screenshots');

/** Why the browser tests cannot run here; CI (`.ci/run` installs chromium and sets REQUIRE_CHROMIUM=1) never skips them. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM) || process.env['CI'] || process.env['REQUIRE_CHROMIUM'] === '1') return undefined;
  const reason = `skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does)`;
  console.warn(`[console browser] ${reason}`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A fresh profile that trusts the simulated hub's own CA-signed certificate and records what the page complains about. */
export async function consolePage(browser: Browser): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file });
  if (process.env['UPDATE_SCREENSHOTS'] === '1') {
    await mkdir(TRACKED_SCREENSHOT_DIR, { recursive: true });
    await copyFile(file, join(TRACKED_SCREENSHOT_DIR, name));
  }
}
