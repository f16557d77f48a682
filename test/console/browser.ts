/**
 * Browser tests drive Debian's Chromium through playwright-core (never a downloaded browser). Without
 * /usr/bin/chromium (or QIAO_CHROMIUM) they are skipped with a loud message: install it with
 * `apt-get install -y chromium` (.ci/run does).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../helpers.ts';

export const CHROMIUM = process.env.QIAO_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
export const SHOTS = path.join(ROOT, 'test-output/console');

if (!HAS_CHROMIUM)
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!!! CONSOLE BROWSER TESTS SKIPPED: no Chromium at ${CHROMIUM}.\n!!! Install it with: apt-get install -y chromium   (or point QIAO_CHROMIUM at a Chromium binary)\n${'!'.repeat(100)}\n\n`,
  );

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The console must be built (npm ci does it through `prepare`); build it here when it is not. */
export function ensureConsoleBuilt(): string {
  const dist = path.join(ROOT, 'web/dist');
  if (!fs.existsSync(path.join(dist, 'index.html'))) execFileSync(process.execPath, [path.join(ROOT, 'web/build.mjs')], { stdio: 'inherit' });
  return dist;
}

/** A screenshot under test-output/console/; drawers and modals are taken at viewport size (they are fixed). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300); // let antd's transitions settle
  // Toasts left over from earlier steps are hidden: each picture shows the page itself.
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage, style: '.ant-message { display: none !important; }' });
}

/** Pick an option of the antd Select carrying `data-testid`. */
export async function pick(page: Page, testId: string, option: string | RegExp): Promise<void> {
  await page.getByTestId(testId).click();
  const dropdown = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').last();
  await dropdown.locator('.ant-select-item-option', { hasText: option }).first().click();
}

/** Collects what must never happen on a page: CSP violations, uncaught errors, console errors. */
export function watch(page: Page): { csp: string[]; errors: string[] } {
  const out = { csp: [] as string[], errors: [] as string[] };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // The console asks /api/auth/me before signing in; that 401 is expected.
    if (/status of 401/.test(text)) return;
    if (/Content Security Policy|Refused to/.test(text)) out.csp.push(text);
    else out.errors.push(text);
  });
  page.on('pageerror', (e) => out.errors.push(`pageerror: ${e.message}`));
  return out;
}
