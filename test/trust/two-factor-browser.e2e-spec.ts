import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS } from '../ops/logged-gateway';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(120_000);

const SHOTS = join(ARTIFACTS, 'trust');
const ADMIN = { username: 'mfa-admin', password: 'Browser-Admin-Pass-2026' };
const AUDITOR = { username: 'shenji', password: 'Auditor-Reads-Log-2026' };


/** A code for a step not used yet (the gateway takes each step once), as an authenticator app would show it. */
let usedStep = -1;
async function codeFor(secret: string): Promise<string> {
  for (;;) {
    const current = Math.floor(Date.now() / 30_000);
    const step = Math.max(current, usedStep + 1);
    if (step <= current + 1) {
      usedStep = step;
      return generate({ secret, epoch: step * 30 });
    }
    await new Promise((r) => setTimeout(r, (step - 1) * 30_000 - Date.now() + 50));
  }
}

describeBrowser('two factors and separate duties in the dashboard (Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;
  let secret: string;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    const origin = new URL(gw.url).origin;
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { context, page };
  };
  const signInWithPassword = async (page: Page, who: { username: string; password: string }) => {
    await page.goto(`${gw.url}/dashboard/`);
    await page.waitForSelector('#login-form', { state: 'visible' });
    await page.fill('#login-username', who.username);
    await page.fill('#login-password', who.password);
    await page.click('#login-submit');
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('makes an admin enrol a second factor from a QR code before anything else', async () => {
    const { context, page } = await newPage();
    await signInWithPassword(page, ADMIN);
    // Limited to enrolment: the security view with its banner, no menu.
    await page.waitForSelector('#view-security:not([hidden])');
    expect(await page.textContent('#setup-banner')).toContain('须使用动态验证码');
    expect(await page.isVisible('#nav')).toBe(false);
    expect((await context.request.get(`${gw.url}/api/v1/ops/operators`)).status()).toBe(403);
    await page.screenshot({ path: join(SHOTS, '00-admin-must-enrol.png') });

    await page.click('#totp-start');
    await page.waitForSelector('#totp-enrol:not([hidden])');
    const src = await page.getAttribute('#totp-qr', 'src');
    expect(src).toMatch(/^data:image\/png;base64,/);
    // The QR code is drawn (a real image, decoded by the browser).
    expect(await page.$eval('#totp-qr', (img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    secret = (await page.textContent('#totp-secret'))!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({ path: join(SHOTS, '01-totp-qr-code.png') });

    await page.fill('#totp-code', '000000');
    await page.click('#totp-confirm button[type=submit]');
    await page.waitForSelector('#totp-status.error');
    await page.fill('#totp-code', await codeFor(secret));
    await page.click('#totp-confirm button[type=submit]');
    // Enrolled: the admin's own pages open (overview, accounts), not the cases or the audit log.
    await page.waitForSelector('#view-overview:not([hidden])');
    expect(await page.isVisible('#nav a[data-view="accounts"]')).toBe(true);
    expect(await page.isVisible('#nav a[data-view="overview"]')).toBe(true);
    for (const v of ['parked', 'quarantine', 'cases', 'audit']) expect(await page.isVisible(`#nav a[data-view="${v}"]`)).toBe(false);
    expect((await context.request.get(`${gw.url}/api/v1/ops/operators`)).status()).toBe(200);
    expect((await context.request.get(`${gw.url}/api/v1/ops/audit`)).status()).toBe(403);
    await page.screenshot({ path: join(SHOTS, '02-admin-enrolled.png') });

    // The admin creates the auditor (its own duty).
    const created = await context.request.post(`${gw.url}/api/v1/ops/operators`, { data: { ...AUDITOR, role: 'auditor' } });
    expect(created.status()).toBe(201);
    await context.close();
  });

  it('refuses the admin without the second factor: the password alone opens no session', async () => {
    const { context, page } = await newPage();
    await signInWithPassword(page, ADMIN);
    await page.waitForSelector('#login-totp:not([hidden])');
    expect(await page.textContent('#login-error')).toContain('动态验证码');
    // Nothing is signed in yet.
    expect((await context.cookies()).map((c) => c.name)).not.toContain('gw_session');
    expect((await context.request.get(`${gw.url}/api/v1/auth/me`)).status()).toBe(401);
    await page.screenshot({ path: join(SHOTS, '03-admin-asked-for-code.png') });

    await page.fill('#login-code', '123456');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:has-text("动态验证码错误")');
    expect((await context.request.get(`${gw.url}/api/v1/ops/operators`)).status()).toBe(401);
    await page.screenshot({ path: join(SHOTS, '04-admin-wrong-code.png') });

    await page.fill('#login-code', await codeFor(secret));
    await page.click('#login-submit');
    await page.waitForSelector('#view-overview:not([hidden])');
    expect(await page.textContent('#who-name')).toContain(`${ADMIN.username} · 管理员`);
    await context.close();
  });

  it('shows the auditor the audit log and nothing else', async () => {
    const { context, page } = await newPage();
    await signInWithPassword(page, AUDITOR);
    await page.waitForSelector('#view-audit:not([hidden])');
    await page.waitForSelector('#audit-rows tr[data-action="TOTP_ENABLED"]');
    expect(await page.textContent('#who-name')).toContain(`${AUDITOR.username} · 审计员`);
    const visible: string[] = [];
    for (const a of await page.$$('#nav a')) if (await a.isVisible()) visible.push((await a.getAttribute('data-view'))!);
    expect(visible).toEqual(['audit', 'security']);
    expect(await page.isVisible('#drain-toggle')).toBe(false);
    // Another page by its address falls back to the audit log.
    await page.goto(`${gw.url}/dashboard/#/cases`);
    await page.waitForSelector('#view-audit:not([hidden])');
    expect(await page.isVisible('#view-cases')).toBe(false);
    await page.screenshot({ path: join(SHOTS, '05-auditor-audit-log.png') });

    const refused: string[] = [];
    for (const path of [
      '/api/v1/ops/overview',
      '/api/v1/ops/cases?q=SCJG-2026-000123',
      '/api/v1/cases?dept=scjg&deptCaseNo=SCJG-2026-000123',
      '/api/v1/quarantine',
      '/api/v1/parked',
      '/api/v1/callbacks',
      '/api/v1/delivery/status',
      '/api/v1/ops/operators',
      '/api/docs-json',
      '/metrics',
    ]) {
      const s = (await context.request.get(`${gw.url}${path}`)).status();
      if (s !== 403) refused.push(`${path}: ${s}`);
    }
    expect(refused).toEqual([]);
    expect((await context.request.post(`${gw.url}/api/v1/ops/drain`)).status()).toBe(403);
    expect((await context.request.get(`${gw.url}/api/v1/ops/audit`)).status()).toBe(200);
    await context.close();
  });

  it('loaded nothing from elsewhere and raised no script errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
