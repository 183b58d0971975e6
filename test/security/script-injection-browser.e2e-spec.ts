import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Browser } from 'playwright-core';
import { nextTotpCode, signIn, totpSecretOf } from '../support/operators';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';
import { example, postBatch, postEvent } from '../departments/department-support';
import { ARTIFACTS } from '../ops/logged-gateway';
import { describeBrowser, launchChromium } from '../support/browser';

jest.setTimeout(90_000);


/** Each payload, if it ever ran, would count itself in window.__xss. */
const PAYLOADS = [
  `<img src=x onerror="window.__xss=(window.__xss||0)+1">`,
  `"><script>window.__xss=(window.__xss||0)+1</script>`,
  `'><svg onload="window.__xss=(window.__xss||0)+1">`,
];

/**
 * Script injection: text that departments, the platform or a stranger at the sign-in form control
 * (case numbers, operator names, opinions, batch names, user names) is shown on every dashboard
 * page as text, never run — and the pages carry a Content-Security-Policy that would stop it anyway.
 */
describeBrowser('script injection through the data the dashboard shows', () => {
  let gw: TestGateway;
  let browser: Browser;
  const admin = { username: 'xss-admin', password: 'Sturdy-Passphrase-2026!' };
  const operator = { username: 'xss-operator', password: 'Sturdy-Operator-2026!' };
  const auditor = { username: 'xss-auditor', password: 'Sturdy-Auditor-2026!' };
  let adminCookie: string;

  beforeAll(async () => {
    mkdirSync(join(ARTIFACTS, 'security'), { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: admin.username, GATEWAY_ADMIN_PASSWORD: admin.password } });
    for (const [i, p] of PAYLOADS.entries()) {
      // Accepted: the payload in free text the gateway keeps and shows (MZJ's opinion, SCJG's operator unit).
      const mzj = { ...JSON.parse(example('mzj-event.json').toString('utf8')), lsh: `MZJXSS${i}`, ywh: `PJMZ-XSS-000${i}`, blyj: p };
      expect((await postEvent(gw, 'mzj', JSON.stringify(mzj), 'application/json')).status).toBe(202);
      await postScjgEvent(gw.url, scjgEvent({ bizNo: `SCJG-XSS-00000${i}`, operator: { name: '王五', unit: p } }));
      // Refused: the payload in the fields the quarantine lists.
      await postScjgEvent(gw.url, scjgEvent({ bizNo: p, itemCode: p, statusTime: p }));
      await postBatch(gw, 'ybj', `流水号,业务编号\r\n${p},${p}\r\n`, { 'X-Batch-Id': p.slice(0, 60) });
      await request(gw.url).post('/api/v1/auth/login').send({ username: p, password: p });
    }
    // Separate duties: the operator's pages, the auditor's log and the admin's accounts, each shown by its role.
    adminCookie = await signIn(gw.url, admin.username, admin.password);
    for (const [who, role] of [
      [operator, 'operator'],
      [auditor, 'auditor'],
    ] as const)
      await request(gw.url).post('/api/v1/ops/operators').set('Cookie', adminCookie).send({ ...who, role }).expect(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('shows the payloads as text on every page and runs none of them', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const response = await page.goto(`${gw.url}/dashboard`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src[^;]*'self'/);
    expect(response?.headers()['content-security-policy']).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const shown: string[] = [];
    const signInAs = async (who: { username: string; password: string }, code?: string) => {
      if (await page.isVisible('#logout')) {
        await page.click('#logout');
        await page.waitForSelector('#login-form', { state: 'visible' });
      }
      await page.fill('#login-username', who.username);
      await page.fill('#login-password', who.password);
      await page.click('#login-submit');
      if (code) {
        await page.waitForSelector('#login-totp:not([hidden])');
        await page.fill('#login-code', code);
        await page.click('#login-submit');
      }
      await page.waitForSelector('#who-name:has-text("' + who.username + '")');
    };
    for (const [view, who] of [
      ['overview', operator],
      ['parked', operator],
      ['quarantine', operator],
      ['cases', operator],
      ['audit', auditor],
      ['accounts', admin],
    ] as const) {
      if (!(await page.isVisible(`#nav a[data-view="${view}"]`)))
        await signInAs(who, who === admin ? await nextTotpCode(totpSecretOf(gw.url, admin.username)!) : undefined);
      await page.click(`#nav a[data-view="${view}"]`);
      if (view === 'cases') {
        await page.fill('#case-q', 'PJMZ-XSS-0000');
        await page.press('#case-q', 'Enter');
        await page.waitForSelector('#case-results .case');
        await page.screenshot({ path: join(ARTIFACTS, 'security', 'script-injection-case.png') });
      } else await page.waitForTimeout(500);
      shown.push((await page.textContent('main')) ?? '');
    }
    // The payloads reached the pages — as text (the case's operator, shown in its timeline).
    expect(shown.join('\n')).toContain('<img src=x');
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
