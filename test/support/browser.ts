import { existsSync } from 'node:fs';
import { Browser, BrowserContext, BrowserContextOptions, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it): a test tool's own download fails here. */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** `describe` for a browser suite: CI must run it; a developer machine without Chromium skips it with a note. */
export function describeBrowser(name: string, body: () => void): void {
  if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (!haveChromium) {
    console.warn(`${name}: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}

/** Headless Chromium without its background traffic (updates, sync, QUIC), so a page's own requests are all there is. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A desktop window in Chinese, Beijing time. */
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

/** A browser context already signed in with a dashboard session cookie (`gw_session=…`, as `signIn` answers it). */
export async function signedInContext(browser: Browser, gatewayUrl: string, cookie: string, options: BrowserContextOptions = DESKTOP): Promise<BrowserContext> {
  const [name, value] = cookie.split('=');
  const context = await browser.newContext(options);
  await context.addCookies([{ name, value, url: gatewayUrl }]);
  return context;
}
