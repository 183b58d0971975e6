import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Browser, Page } from 'playwright-core';
import { signIn } from '../support/operators';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';
import { ARTIFACTS } from './logged-gateway';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(90_000);

const SHOTS = join(ARTIFACTS, 'dashboard');
/** Separate duties: the operator works in the dashboard; the auditor reads the log; the admin only made their accounts. */
const ADMIN = { username: 'dash-admin', password: 'Dashboard-Admin-2026' };
const OPERATOR = { username: 'zhaoliu', password: 'Dashboard-pass-2026' };
const AUDITOR = { username: 'shenji', password: 'Dashboard-Audit-2026' };


describeBrowser("the operators' dashboard in Chromium (playwright-core)", () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const post = (body: unknown) => postScjgEvent(gw.url, body);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, name), fullPage: false });
  const status = async () =>
    (await request(gw.url).get('/api/v1/delivery/status').set('Authorization', `Bearer ${OPERATOR_TOKEN}`).expect(200))
      .body;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({
      env: {
        GATEWAY_ADMIN_USER: ADMIN.username,
        GATEWAY_ADMIN_PASSWORD: ADMIN.password,
        BREAKER_RESET_MS: '1500',
        PLATFORM_TIMEOUT_MS: '1000',
      },
    });
    // Some history for the charts, and one message the platform refuses (2001) to be parked.
    for (let i = 1; i <= 3; i++) await post(scjgEvent({ bizNo: `SCJG-UI-00000${i}` })).expect(202);
    await post(
      scjgEvent({
        bizNo: 'SCJG-UI-BAD001',
        agent: { name: '钱七', idNo: '430626200107081239', mobile: '13900000000' },
      }),
    ).expect(422);
    await platformAdmin(gw.platform).setFaults({
      businessCodes: [{ code: '2001', sourceCaseId: 'SCJG-UI-PARK01', endpoint: 'accept' }],
    });
    await post(scjgEvent({ bizNo: 'SCJG-UI-PARK01' })).expect(202);
    await waitFor('parked', async () => (await status()).outbox.parked === 1);
    await platformAdmin(gw.platform).clearFaults();

    const admin = await signIn(gw.url, ADMIN.username, ADMIN.password);
    for (const [who, role] of [
      [OPERATOR, 'operator'],
      [AUDITOR, 'auditor'],
    ] as const)
      await request(gw.url).post('/api/v1/ops/operators').set('Cookie', admin).send({ ...who, role }).expect(201);

    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    page = await context.newPage();
    const origin = new URL(gw.url).origin;
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401|Unauthorized/.test(m.text())) pageErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('signs in and shows the overview in Chinese with green, amber and red lights', async () => {
    await page.goto(`${gw.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    await page.waitForSelector('#login-form', { state: 'visible' });
    await shot('00-login.png');
    await page.fill('#login-username', OPERATOR.username);
    await page.fill('#login-password', 'wrong-password-000');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:has-text("用户名或密码错误")');
    await page.fill('#login-password', OPERATOR.password);
    await page.click('#login-submit');

    await page.waitForSelector('#services li[data-key="database"][data-level="green"]');
    await page.waitForSelector('#departments li[data-key="dept:SCJG"]');
    await page.waitForSelector('#chart-throughput canvas');
    expect(await page.textContent('#view-overview h1')).toContain('总览');
    expect(await page.textContent('#who-name')).toContain(`${OPERATOR.username} · 操作员`);
    // The operator's menu: no accounts, no audit log (separate duties).
    expect(await page.isVisible('#nav a[data-view="accounts"]')).toBe(false);
    expect(await page.isVisible('#nav a[data-view="audit"]')).toBe(false);
    // The parked message and the 422 are called out with what to do.
    expect(await page.textContent('#actions')).toContain('滞留消息');
    expect(await page.getAttribute('#services li[data-key="parked"]', 'data-level')).toBe('amber');
    expect(await page.getAttribute('#departments li[data-key="dept:BDC"]', 'data-level')).toBe('amber');
    await shot('01-overview.png');
    // Session cookie is not readable by scripts.
    expect(await page.evaluate('document.cookie')).not.toContain('gw_session');
  });

  it('turns the platform red with a hint during an outage, and green again after it', async () => {
    const sim = platformAdmin(gw.platform);
    await sim.setFaults({ outage: '503' });
    try {
      for (let i = 0; i < 6; i++) await post(scjgEvent({ bizNo: `SCJG-UI-OUT00${i}` })).expect(202);
      await waitFor('breaker open', async () => (await status()).platform.some((e: any) => e.state === 'OPEN'));
      await page.click('#overview-refresh');
      const red = await page.waitForSelector('#platform li[data-key="platform:accept"][data-level="red"]', {
        timeout: 15000,
      });
      expect(await red.textContent()).toContain('熔断');
      expect(await red.textContent()).toContain('数据保存在网关中不会丢失');
      // The platform's side, not ours: the hint says so, and so does the connection test.
      expect(await red.textContent()).toContain('市平台侧');
      await (await red.$('button.conn-test-btn'))!.click();
      const tested = await page.waitForSelector('#platform li[data-key="platform:accept"] .conn-test[data-side]', { timeout: 15000 });
      expect(await tested.getAttribute('data-side')).toBe('theirs');
      expect(await tested.textContent()).toContain('对方的问题');
      expect(await page.getAttribute('#actions', 'data-level')).toBe('red');
      expect(await page.textContent('#actions')).toContain('市平台');
      await shot('02-platform-outage.png');
    } finally {
      await sim.clearFaults();
    }
    await waitFor(
      'breakers closed',
      async () => (await status()).platform.every((e: any) => e.state === 'CLOSED'),
      20000,
    );
    await page.click('#overview-refresh');
    await page.waitForSelector('#platform li[data-key="platform:accept"][data-level="green"]', { timeout: 15000 });
    await shot('03-platform-recovered.png');
  });

  it('reruns a parked message from the parked page', async () => {
    await page.click('#nav a[data-view="parked"]');
    const row = await page.waitForSelector('#parked-rows tr[data-case-no="SCJG-UI-PARK01"]');
    expect(await row.textContent()).toContain('2001');
    expect(await row.textContent()).toContain('字段校验失败');
    await shot('04-parked.png');
    page.once('dialog', (d) => void d.accept());
    await (await row.$('button.rerun'))!.click();
    await page.waitForSelector('#parked-status:has-text("已重发 1 条")');
    await page.waitForSelector('#parked-rows tr[data-case-no="SCJG-UI-PARK01"]', { state: 'detached' });
    await waitFor('rerun delivered', async () => {
      const r = await request(gw.url)
        .get('/api/v1/cases')
        .set('Authorization', `Bearer ${OPERATOR_TOKEN}`)
        .query({ dept: 'scjg', deptCaseNo: 'SCJG-UI-PARK01' })
        .expect(200);
      return r.body.delivery.state === 'DELIVERED';
    });
    await shot('05-parked-rerun.png');
  });

  it('finds a case by its number, with its stage timeline and every delivery attempt, masked', async () => {
    await page.click('#nav a[data-view="cases"]');
    await page.fill('#case-q', 'SCJG-UI-PARK01');
    await page.press('#case-q', 'Enter');
    const card = await page.waitForSelector('#case-results .case');
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('SCJG-UI-PARK01');
    expect(text).toContain('平江县市场监督管理局');
    expect(text).toContain('4306**********1238');
    expect(text).toContain('139****0000');
    // Both attempts of the accept: refused with 2001, then delivered after the rerun.
    const attempts = await card.$$eval('.timeline table tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(attempts.some((a) => a.includes('accept') && a.includes('2001'))).toBe(true);
    expect(attempts.some((a) => a.includes('accept') && a.includes('DONE'))).toBe(true);
    await shot('06-case.png');

    const html = await page.content();
    for (const raw of ['430626200107081238', '430626200107081239', '13900000000', '钱七'])
      expect(html).not.toContain(raw);
  });

  it('shows the quarantine with the failing field, replays from it, and lists it all in the audit log', async () => {
    await page.click('#nav a[data-view="quarantine"]');
    const row = await page.waitForSelector('#quarantine-rows tr[data-id]');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('agent.idNo');
    expect(text).toContain('ID_CHECK_DIGIT');
    // The code catalogue's Chinese beside each code (the operator reads, then quotes the code).
    expect(text).toContain('身份证号校验位错误');
    expect(text).toContain('数据校验未通过');
    page.once('dialog', (d) => void d.accept());
    await (await row.$('button.replay'))!.click();
    // Still wrong data: replayed, not accepted, and kept in the quarantine.
    await page.waitForSelector('#quarantine-status:has-text("已重放 1 条，其中 0 条已接收")');
    // …and says why.
    await page.waitForSelector('#quarantine-status:has-text("未接收原因")');
    expect(await page.textContent('#quarantine-status')).toContain('身份证号校验位错误');
    await shot('07-quarantine.png');

    // The message itself, masked, the failing line marked; corrected in place and accepted.
    await (await page.waitForSelector('#quarantine-rows tr[data-id] button.view-raw'))!.click();
    await page.waitForSelector('#quarantine-detail:not([hidden])');
    const shown = (await page.textContent('#quarantine-raw')) ?? '';
    for (const clear of ['430626200107081239', '钱七', '13900000000']) expect(shown).not.toContain(clear);
    expect(await page.textContent('#quarantine-raw .line.bad')).toContain('4306**********1239');
    await page.click('#quarantine-correct');
    const edited = (await page.inputValue('#quarantine-text')).replace('4306**********1239', '430626200107081238');
    await page.fill('#quarantine-text', edited);
    await shot('07b-quarantine-correct.png');
    await page.click('#quarantine-correct-send');
    await page.waitForSelector('#quarantine-detail-status:has-text("已修正并接收")');
    await page.waitForSelector('#quarantine-rows tr[data-id]', { state: 'detached' });

    // The audit log is the auditor's: sign out, and in as the auditor.
    await page.click('#logout');
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-username', AUDITOR.username);
    await page.fill('#login-password', AUDITOR.password);
    await page.click('#login-submit');
    await page.waitForSelector('#view-audit:not([hidden])');
    await page.waitForSelector('#audit-rows tr[data-action="PARKED_RERUN"]');
    await page.waitForSelector('#audit-rows tr[data-action="QUARANTINE_REPLAY"]');
    await page.waitForSelector('#audit-rows tr[data-action="QUARANTINE_CORRECTED"]');
    const audit = (await page.textContent('#audit-rows')) ?? '';
    expect(audit).toContain(`operator:${OPERATOR.username}`);
    expect(audit).toContain('登录失败');
    // Details in words, not raw JSON or internal values: "原因：密码错误", "报送消息 17".
    expect(audit).toContain('原因：密码错误');
    expect(audit).not.toContain('{"');
    expect(audit).not.toContain('WRONG_PASSWORD');
    expect(audit).not.toMatch(/\boutbox \d/);
    expect(audit).not.toContain(OPERATOR.password);
    await shot('08-audit.png');

    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
