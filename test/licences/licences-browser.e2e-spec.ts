import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Browser, Page } from 'playwright-core';
import { ARTIFACTS } from '../ops/logged-gateway';
import { example, id15To18, postEvent } from '../departments/department-support';
import { createAndSignIn, signIn } from '../support/operators';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(90_000);

const SHOTS = join(ARTIFACTS, 'licences');
const ADMIN = { username: 'lic-admin', password: 'Licence-Admin-2026' };
const VIEWER = { username: 'wangwu', password: 'Licence-viewer-2026' };
const ID15 = '430626850312004';
const ID18 = id15To18(ID15);

function rsjForm(overrides: Record<string, string>): string {
  const form = new URLSearchParams(example('rsj-event.txt').toString('utf8'));
  for (const [k, v] of Object.entries(overrides)) form.set(k, v);
  return form.toString();
}

describeBrowser('电子证照 on the dashboard (Chromium): a case shows its licence, the holder search finds it, masked', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    await createAndSignIn(gw.url, await signIn(gw.url, ADMIN.username, ADMIN.password), VIEWER.username, 'viewer', VIEWER.password);
    // RSJ 职业资格证书补发, accepted and granted: the form has no certificate number.
    const base = { ywbh: 'RS-LIC-UI-1', sbh: '', sxbm: '11430626MB345678350000140010000', sxmc: '职业资格证书补发', sqrsfzh: ID15 };
    for (const [xxbh, zt, ztsj, bjjg, blyj] of [
      ['RSJ-LIC-UI-1', 'SL', '2026-11-13 09:00:00', '', '材料齐全，予以受理'],
      ['RSJ-LIC-UI-2', 'BJ', '2026-11-20 16:00:00', '1', '准予补发'],
    ]) {
      expect((await postEvent(gw, 'rsj', rsjForm({ ...base, xxbh, zt, ztsj, bjjg, blyj }), 'application/x-www-form-urlencoded')).text).toBe('OK');
    }
    await waitFor('the licence registered', async () => {
      const c = (await request(gw.url).get('/api/v1/cases').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).query({ dept: 'rsj', deptCaseNo: 'RS-LIC-UI-1' })).body;
      return c.licences?.[0]?.registration === 'REGISTERED';
    }, 30_000, 100);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.url}/dashboard`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-username', VIEWER.username);
    await page.fill('#login-password', VIEWER.password);
    await page.click('#login-submit');
    await page.waitForSelector('#view-overview:not([hidden])');
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('shows the licence on its case, then finds it by the holder\'s ID number; screenshots', async () => {
    await page.click('#nav a[data-view="cases"]');
    await page.fill('#case-q', 'RS-LIC-UI-1');
    await page.press('#case-q', 'Enter');
    const card = await page.waitForSelector('#case-results .case table.licences');
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('职业资格证书');
    expect(text).toMatch(/1\.2\.156\.3005\.2\.11430626MB34567835001\.11430626MB34567835\.20260000001\.001\.[0-9A-Z]/);
    expect(text).toContain('已登记');
    expect(text).toContain(`4306**********${ID18.slice(-4)}`);
    await page.screenshot({ path: join(SHOTS, 'case-licence.png'), fullPage: true });

    await page.click('a[data-view="find"]');
    await page.fill('#licence-form input[name="holder"]', ID15);
    await page.click('#licence-form button[type="submit"]');
    await page.waitForSelector('#licence-results td:has-text("职业资格证书")');
    expect(await page.textContent('#licence-status')).toContain('共 1 张');
    expect(await page.textContent('#licence-results')).toContain('李*');
    await page.screenshot({ path: join(SHOTS, 'licence-search.png'), fullPage: true });
    // The search box holds what the operator typed; nothing the API answered carries the number in clear.
    expect(await page.textContent('#licence-results')).not.toContain(ID18);
    expect(await page.textContent('#case-results')).not.toContain(ID18);
    expect(pageErrors).toEqual([]);
  });
});
