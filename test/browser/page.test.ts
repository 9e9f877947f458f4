import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWranglerDev, type DevServer } from './wrangler-dev.js';

// The page in a real browser: Debian's Chromium driven by playwright-core, against `wrangler dev` serving
// the committed model. CI installs Chromium (.ci/run); without it this file fails, it never skips.
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'test/.artifacts/page.png';
// A representative list: a popular name, a classic random DGA name, one the model flags, a word-list
// style name, a name under a dynamic-DNS suffix, a subdomain, and an invalid item.
const NAMES = [
  'google.com',
  'xjwqkzpvbn.net',
  'xjwqkzpvbnqwrtyp.net',
  'windowrainbowcarpetsolution.net',
  'svneascvmk.mooo.com',
  'www.wikipedia.org',
  'bad_name.com',
];

let server: DevServer | undefined;
let browser: Browser | undefined;
let page: Page;
// Callbacks given to page.evaluate run in the browser, where `globalThis` is the window; the project's
// types have no DOM library, hence the casts.
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y --no-install-recommends chromium); .ci/run does this`);
  }
  server = await startWranglerDev();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'],
  });
  console.log(`browser test: Chromium ${browser.version()} (${CHROMIUM}) against wrangler dev at ${server.url}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  context.setDefaultTimeout(20_000);
  page = await context.newPage();
  const origin = new URL(server.url).origin;
  // Nothing may leave the Worker's origin: record and block any such request.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
}, 30_000);

describe('the page in Chromium, served by wrangler dev', () => {
  it('serves / with a strict CSP and security headers', async () => {
    const response = await page.goto(`${server!.url}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-(inline|eval)/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(await page.title()).toContain('dga-edge');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
  });

  it('can be used with the keyboard alone: tab to the box, type a list, tab to the button, press Enter', async () => {
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (globalThis as any).document.activeElement?.id === 'domains');
    }
    expect(reached, 'Tab reaches the textarea').toBe(true);
    await page.keyboard.type(NAMES.join('\n'));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('classify');
    const focusRing = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.activeElement).outlineStyle);
    expect(focusRing).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.locator('#results tbody tr').nth(NAMES.length - 1).waitFor();
    expect(await page.locator('#results tbody tr').count()).toBe(NAMES.length);
  });

  it('shows per name the scored part, the score as a meter with its number, the verdict and the top families', async () => {
    const rows = page.locator('#results tbody tr');
    const api = (await (
      await fetch(`${server!.url}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domains: NAMES, families: 3 }),
      })
    ).json()) as { results: any[] };
    for (const [i, expected] of api.results.entries()) {
      const row = rows.nth(i);
      if (expected.error) {
        expect(await row.getAttribute('data-state')).toBe('error');
        expect(await row.textContent()).toContain(`invalid_domain: ${expected.error.message}`);
        expect(await row.textContent()).toContain(NAMES[i]);
        continue;
      }
      expect(await row.locator('mark').textContent()).toBe(expected.scored);
      expect((await row.locator('.name').first().textContent())).toBe(expected.name);
      const meter = row.locator('meter');
      expect(await meter.evaluate((m: any) => m.value)).toBeCloseTo(expected.score, 6);
      expect(await meter.getAttribute('aria-label')).toBe(`DGA score of ${expected.name}`);
      const shown = Number(await row.locator('.score .num').textContent());
      expect(Math.abs(shown - expected.score)).toBeLessThan(1e-4);
      expect(await row.locator('.verdict').textContent()).toBe(expected.dga ? 'DGA' : 'benign');
      expect(await row.locator('ul.families li').count()).toBe(3);
      expect(await row.locator('ul.families li').first().textContent()).toContain(expected.families[0].name);
      // a DGA name no known family fits well enough says "other" above the ranking
      expect(await row.locator('.family-other').count()).toBe(expected.family?.nearest ? 1 : 0);
      if (expected.family?.nearest) expect(await row.locator('.family-other').textContent()).toMatch(/^other \(unknown family\?\) \d/);
    }
    expect(api.results.some((r) => r.family?.name === 'other')).toBe(true);
    expect(api.results.some((r) => r.dga)).toBe(true);
    expect(await page.locator('#status').textContent()).toMatch(/^7 names classified by dga-lstm .* 1 not scored\.$/);
  });

  it('loads the ROC plot from the Worker', async () => {
    const img = page.locator('figure img');
    await img.scrollIntoViewIfNeeded();
    expect(await img.getAttribute('src')).toBe('/roc.svg');
    expect(await img.evaluate((el: any) => el.complete && el.naturalWidth)).toBeGreaterThan(100);
  });

  it('saves a screenshot of the page with results', async () => {
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await mkdir('test/.artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    console.log(`browser test: screenshot of the page with ${NAMES.length} results saved to ${SCREENSHOT}`);
    // `UPDATE_SCREENSHOT=1 npm test` refreshes the committed one that the README shows.
    if (process.env.UPDATE_SCREENSHOT) await copyFile(SCREENSHOT, 'docs/page.png');
  });

  it('builds usage lines from its own origin and reveals copy buttons', async () => {
    expect(await page.locator('#curl-get').textContent()).toBe(`curl '${server!.url}/v1/classify?domain=xjwqkzpvbn.net&families=3'`);
    expect(await page.locator('#dig').textContent()).toContain(`@127.0.0.1 -p ${new URL(server!.url).port}`);
    expect(await page.locator('button.copy:visible').count()).toBeGreaterThanOrEqual(4);
    const copy = page.locator('button[data-copy="curl-post"]');
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe('Copied');
    const copied = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
    expect(copied).toBe(await page.locator('#curl-post').textContent());
    expect(copied).toContain(`curl -X POST '${server!.url}/v1/classify'`);
  });

  it('renders hostile input as text, never as markup', async () => {
    const hostile = '<img/src/onerror=window.__pwned=1>.com';
    await page.locator('#domains').fill(hostile);
    await page.locator('#classify').click();
    await expect.poll(() => page.locator('#results tbody tr').count()).toBe(1);
    expect(await page.locator('#results tbody tr').getAttribute('data-state')).toBe('error');
    expect(await page.locator('#results tbody img').count()).toBe(0);
    expect(await page.locator('#results tbody').textContent()).toContain(hostile);
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();
  });

  it('renders /docs from the OpenAPI document', async () => {
    const response = await page.goto(`${server!.url}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const headings = await page.locator('section.op h3').allTextContents();
    expect(headings).toEqual(expect.arrayContaining(['GET/v1/classify', 'POST/v1/classify', 'GET/v1/model', 'GET/healthz', 'Error']));
    expect(await page.locator('#schema-Error').textContent()).toContain('too_many_domains');
  });

  it('made no request to another origin and logged no error', () => {
    expect(problems).toEqual([]);
  });
});
