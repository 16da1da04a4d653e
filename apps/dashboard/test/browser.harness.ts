import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..', '..');
/** Screenshots of each main view, kept as test artifacts (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');
/** The stand-in agent: numbered, coloured lines (see apps/backend/demo/demo-agent.mjs). */
export const DEMO_AGENT = join(ROOT, 'apps', 'backend', 'demo', 'demo-agent.mjs');

/** Builds the dashboard unless its build is current (`pnpm test` has built it already). */
export function ensureDashboardBuilt(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'apps', 'dashboard', 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building the dashboard failed');
}

/** Headless Chromium with the flags this machine needs (no sandbox as root, no background traffic). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page (own context: own session storage) that reports page errors to the test. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

/** Signs in by pasting `token`, and waits for the connection indicator to say connected. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.fill('[data-testid=token-input]', token);
  await page.click('[data-testid=sign-in]');
  await page.locator('[data-testid=connection-state][data-state=connected]').waitFor();
}

/** The screenshots in the docs; `DOCS_SCREENSHOTS=1` makes the browser tests write them again. */
export const DOC_IMAGES = join(ROOT, 'docs', 'images');

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A screenshot kept as an artifact and, with `DOCS_SCREENSHOTS=1`, as `docs/images/<docName>.png`. */
export async function docScreenshot(page: Page, name: string, docName: string): Promise<void> {
  await screenshot(page, name);
  if (process.env.DOCS_SCREENSHOTS === '1') await page.screenshot({ path: join(DOC_IMAGES, `${docName}.png`), fullPage: true });
}

/** The terminal's whole text (scrollback included), through the page's test hook. */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { taskdashTerminalText?: () => string }).taskdashTerminalText?.() ?? '');
}

/** The step numbers of the demo agent's lines, in the order the terminal shows them. */
export function stepNumbers(text: string): number[] {
  return text.split('\n').flatMap((line) => {
    const match = /^(\d{4}) /.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

/** Clicks "Load earlier output" until the terminal shows everything from byte 0. */
export async function loadAllEarlier(page: Page): Promise<void> {
  const status = page.locator('[data-testid=execution-status]');
  await page.locator('[data-testid=execution-status][data-start]').waitFor();
  for (let i = 0; i < 200; i++) {
    const start = await status.getAttribute('data-start');
    if (start === '0') return;
    await page.locator('[data-testid=load-earlier]:enabled').click();
    await page.waitForFunction((before) => document.querySelector('[data-testid=execution-status]')?.getAttribute('data-start') !== before, start);
  }
  throw new Error('the terminal never reached the start of the output');
}
