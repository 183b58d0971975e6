import { createAndSignIn, signIn } from '../support/operators';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { ARTIFACTS } from '../ops/logged-gateway';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(90_000);

const SHOTS = join(ARTIFACTS, 'reports');
/** The admin only creates the operator who works the dashboard (separate duties). */
const ADMIN = { username: 'dash-admin', password: 'Dashboard-Admin-2026' };
const OPERATOR = { username: 'zhaoliu', password: 'Dashboard-pass-2026' };

describeBrowser('考核指标 page in Chromium: a case passes its due date and shows as overdue', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    await createAndSignIn(gw.url, await signIn(gw.url, ADMIN.username, ADMIN.password), OPERATOR.username, 'operator', OPERATOR.password);
    // 企业设立登记 (3 working days) accepted on 2026-11-02 (Monday): due at the end of 2026-11-05.
    await postScjgEvent(gw.url, scjgEvent({ bizNo: 'SCJG-LATE-000001', status: 20, statusTime: '2026-11-02T09:00:00+08:00', applicant: { type: 'PERSON', name: '李四', idNo: '430626198503120040', phone: '13800000000' }, agent: null })).expect(202);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${gw.url}/dashboard`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-username', OPERATOR.username);
    await page.fill('#login-password', OPERATOR.password);
    await page.click('#login-submit');
    await page.waitForSelector('#view-overview:not([hidden])');
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('near-due the day before, overdue after the due date, with the applicant masked; screenshot', async () => {
    await page.click('a[data-view="figures"]');
    await page.waitForSelector('#view-figures:not([hidden])');
    await page.fill('#figures-month', '2026-11');
    await page.fill('#figures-asof', '2026-11-05 10:00:00');
    await page.click('#figures-form button[type="submit"]');
    await page.waitForSelector('#overdue-list td:has-text("SCJG-LATE-000001")');
    const before = await page.textContent('#overdue-list');
    expect(before).toContain('临期');
    expect(before).not.toContain('已逾期');

    await page.fill('#figures-asof', '2026-11-09 10:00:00');
    await page.click('#figures-form button[type="submit"]');
    await page.waitForSelector('#overdue-list td:has-text("已逾期")');
    const row = await page.textContent('#overdue-list tbody tr:has-text("SCJG-LATE-000001")');
    expect(row).toContain('已逾期');
    expect(row).toContain('2026-11-05 23:59:59');
    expect(row).toContain('李*');
    expect(await page.content()).not.toContain('430626198503120040');
    await page.waitForSelector('#online-trend canvas');
    expect(await page.textContent('#online-total')).toContain('目标 60.0%');
    await page.screenshot({ path: join(SHOTS, 'figures-overdue.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('runs the reconciliation now from the page, and finds a case by the applicant\'s ID number', async () => {
    await page.fill('#figures-date', '2026-11-02');
    await page.click('#reconcile-run');
    await page.waitForSelector('#reconciliation td:has-text("平江县市场监督管理局")');
    expect(await page.textContent('#reconcile-status')).toContain('2026-11-02：核对');

    await page.click('a[data-view="find"]');
    await page.fill('#find-form input[name="applicant"]', '430626198503120040');
    await page.click('#find-form button[type="submit"]');
    await page.waitForSelector('#find-results td:has-text("SCJG-LATE-000001")');
    expect(await page.textContent('#find-results')).toContain('4306**********0040');
    await page.screenshot({ path: join(SHOTS, 'find-cases.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
