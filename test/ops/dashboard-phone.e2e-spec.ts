import { createAndSignIn, signIn } from '../support/operators';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { platformAdmin } from '../support/platform-admin';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';
import { ARTIFACTS } from './logged-gateway';
import { describeBrowser, launchChromium, signedInContext } from '../support/browser';

jest.setTimeout(90_000);

const SHOTS = join(ARTIFACTS, 'dashboard');
/** The admin only creates the operator who works the dashboard (separate duties). */
const ADMIN = { username: 'dash-admin', password: 'Dashboard-Admin-2026' };
const OPERATOR = { username: 'zhaoliu', password: 'Dashboard-pass-2026' };
const WIDTH = 390;
const PHONE = { viewport: { width: WIDTH, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };


/** The dashboard on a phone: 390 px wide, nothing wider than the screen, every menu entry reachable. */
describeBrowser('the dashboard at phone width (390 px, Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  /** The elements reaching past the screen's right edge (outside scrolling boxes), to say what overflows. */
  const widerThanScreen = () =>
    page.evaluate((w) => {
      // In the page (the tests are compiled without the DOM's types).
      const doc = (globalThis as any).document;
      const out: string[] = [];
      for (const el of Array.from(doc.querySelectorAll('body *')) as any[]) {
        const r = el.getBoundingClientRect();
        if (r.right <= w + 0.5 || r.width === 0) continue;
        if (el.closest('.table') && !el.classList.contains('table')) continue;
        out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} ${Math.round(r.right)}`);
      }
      return out.slice(0, 8);
    }, WIDTH);
  const pageWidth = () => page.evaluate(() => {
      const doc = (globalThis as any).document;
      return Math.max(doc.documentElement.scrollWidth, doc.body.scrollWidth) as number;
    });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    await createAndSignIn(gw.url, await signIn(gw.url, ADMIN.username, ADMIN.password), OPERATOR.username, 'operator', OPERATOR.password);
    // A parked message, so the 滞留消息 table has a row with a long reason.
    await platformAdmin(gw.platform).setFaults({ businessCodes: [{ code: '2001', sourceCaseId: 'SCJG-PHONE-PARK1', endpoint: 'accept' }] });
    await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-PHONE-PARK1' })).expect(202);
    await waitFor('parked', async () => {
      const r = await fetch(`${gw.url}/api/v1/parked`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } });
      return ((await r.json()) as any).total === 1;
    });
    browser = await launchChromium();
    page = await (await browser.newContext(PHONE)).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('signs in and shows the overview without a horizontal scroll of the page', async () => {
    await page.goto(`${gw.url}/dashboard/`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
    await page.fill('#login-username', OPERATOR.username);
    await page.fill('#login-password', OPERATOR.password);
    await page.click('#login-submit');
    await page.waitForSelector('#services li[data-key="parked"][data-level="amber"]');
    await page.waitForSelector('#chart-throughput canvas');
    await page.screenshot({ path: join(SHOTS, 'phone-01-overview.png'), fullPage: true });
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH);
  });

  it('keeps every menu entry on the screen, and each one opens its view', async () => {
    const entries = await page.$$('#nav a:not([hidden])');
    expect(entries.length).toBeGreaterThanOrEqual(5);
    for (const a of entries) {
      const box = await a.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(WIDTH);
    }
    for (const view of ['parked', 'quarantine', 'cases', 'figures', 'overview']) {
      await page.click(`#nav a[data-view="${view}"]`);
      await page.waitForSelector(`#view-${view}:not([hidden])`);
      if (view === 'parked') {
        await page.waitForSelector('#view-parked table.table tbody tr');
        await page.screenshot({ path: join(SHOTS, 'phone-02-parked.png'), fullPage: true });
      }
      const width = await pageWidth();
      const wide = width > WIDTH ? await widerThanScreen() : [];
      expect({ view, width: Math.min(width, WIDTH), wide }).toEqual({ view, width: Math.min(width, WIDTH), wide: [] });
      expect(width).toBeLessThanOrEqual(WIDTH);
    }
  });

  it("fits the admin's pages too: accounts, department tokens and the catalogue with its forms", async () => {
    const cookie = await signIn(gw.url, ADMIN.username, ADMIN.password); // the admin's second factor is enrolled by the helper
    const context = await signedInContext(browser, gw.url, cookie, PHONE);
    const admin = await context.newPage();
    const adminWidth = () => admin.evaluate(() => {
      const doc = (globalThis as any).document;
      return Math.max(doc.documentElement.scrollWidth, doc.body.scrollWidth) as number;
    });
    for (const view of ['accounts', 'tokens', 'catalogue']) {
      await admin.goto(`${gw.url}/dashboard/#/${view}`);
      await admin.waitForSelector(`#view-${view}:not([hidden])`);
      await admin.waitForLoadState('networkidle');
      await admin.screenshot({ path: join(SHOTS, `phone-admin-${view}.png`), fullPage: true });
      expect({ view, width: await adminWidth() }).toEqual({ view, width: Math.min(await adminWidth(), WIDTH) });
    }
    await context.close();
  });

  it('scrolls a wide table inside its own box', async () => {
    await page.click('#nav a[data-view="parked"]');
    const table = await page.waitForSelector('#view-parked table.table');
    const fits = await table.evaluate((t: any) => ({ client: t.clientWidth as number, overflow: (globalThis as any).getComputedStyle(t).overflowX as string }));
    expect(fits.client).toBeLessThanOrEqual(WIDTH);
    expect(fits.overflow).toBe('auto');
  });
});
