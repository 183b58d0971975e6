import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Browser, Page } from 'playwright-core';
import { freePort } from '../support/free-port';
import { signIn } from '../support/operators';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';
import { ARTIFACTS } from './logged-gateway';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(90_000);

const SHOTS = join(ARTIFACTS, 'dashboard');
const ADMIN = { username: 'diag-admin', password: 'Diagnosis-Admin-2026' };
const OPERATOR = { username: 'wangwu', password: 'Diagnosis-pass-2026' };


/**
 * The office's own mistake — a platform URL on which nothing listens — is told apart from a
 * platform outage (the dashboard suite's outage test shows the other side): the hint says "我方",
 * tells what to check and not to phone the city, and the connection test names the refused connection.
 */
describeBrowser('the overview tells a wrong platform URL from a platform outage (Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const nothingListens = await freePort();
    gw = await startTestGateway({
      platformUrl: `http://127.0.0.1:${nothingListens}/zwfw/api/v1`,
      env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password, BREAKER_RESET_MS: '60000', PLATFORM_TIMEOUT_MS: '1000' },
    });
    const admin = await signIn(gw.url, ADMIN.username, ADMIN.password);
    await request(gw.url).post('/api/v1/ops/operators').set('Cookie', admin).send({ ...OPERATOR, role: 'operator' }).expect(201);
    for (let i = 0; i < 6; i++) await postScjgEvent(gw.url, scjgEvent({ bizNo: `SCJG-DIAG-${i}` })).expect(202);
    const status = async () => (await request(gw.url).get('/api/v1/delivery/status').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200)).body;
    await waitFor('breaker open', async () => (await status()).platform.some((e: any) => e.state === 'OPEN'), 20000);

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('says the problem is ours, what to check, and the connection test names the refused connection', async () => {
    await page.goto(`${gw.url}/dashboard`);
    await page.fill('#login-username', OPERATOR.username);
    await page.fill('#login-password', OPERATOR.password);
    await page.click('#login-submit');
    const red = await page.waitForSelector('#platform li[data-key="platform:accept"][data-level="red"]', { timeout: 15000 });
    const text = (await red.textContent()) ?? '';
    expect(text).toContain('我方问题');
    expect(text).toContain('连接被拒绝');
    expect(text).toContain('CITY_PLATFORM_URL');
    expect(text).toContain('无需联系市平台');
    expect(text).not.toContain('请联系市平台运维');

    await (await red.$('button.conn-test-btn'))!.click();
    const tested = await page.waitForSelector('#platform li[data-key="platform:accept"] .conn-test[data-side]', { timeout: 15000 });
    expect(await tested.getAttribute('data-side')).toBe('ours');
    expect(await tested.textContent()).toContain('我方配置或网络问题');
    expect(await tested.textContent()).toContain('✗ TCP');
    await page.screenshot({ path: join(SHOTS, '10-wrong-platform-url.png') });

    // The test is audited (a call out of the county's network).
    const audit = await gw.db.manager.query(`SELECT outcome FROM audit_log WHERE action = 'CONNECTION_TESTED'`);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'failure' })]);
  });
});
