import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Browser } from 'playwright-core';
import { ARTIFACTS } from './logged-gateway';
import { signIn } from '../support/operators';
import { scjgEvent } from '../support/scjg-events';
import { TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { CaseEntity } from '#gw/persistence';
import { In } from 'typeorm';
import { describeBrowser, launchChromium, signedInContext } from '../support/browser';

jest.setTimeout(120_000);

const SHOTS = join(ARTIFACTS, 'ops');
const ADMIN = { username: 'ui-token-admin', password: 'Sturdy-Passphrase-2026!' };


/**
 * An admin rotates SCJG's token from the dashboard's 部门令牌 page: the new token is shown once
 * (with a copy button), both tokens post during the overlap, the old one is revoked with its
 * button and refused from then on, and the token is nowhere on the page once closed.
 */
describeBrowser('rotating a department token from the dashboard (Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;
  let n = 0;
  const post = (token: string) =>
    request(gw.url)
      .post('/api/v1/departments/scjg/events')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(scjgEvent({ bizNo: `SCJG-UIT-${String(++n).padStart(6, '0')}` })));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('issues a token shown once, copies it, and revokes the old one', async () => {
    const cookie = await signIn(gw.url, ADMIN.username, ADMIN.password); // enrols the admin's second factor
    const context = await signedInContext(browser, gw.url, cookie);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(gw.url).origin });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => void d.accept());

    // The department posts all along, as a county system does: with its old token, then — once its
    // vendor has the new one — with the new one. Nothing it was answered 202 for may be lost, and
    // nothing may be refused while it switches.
    let current = TOKENS.SCJG;
    let stop = false;
    const acked: string[] = [];
    const refusedWhileSwitching: number[] = [];
    const poster = (async () => {
      for (let i = 1; !stop; i++) {
        const bizNo = `SCJG-LIVE-${String(i).padStart(6, '0')}`;
        const r = await request(gw.url)
          .post('/api/v1/departments/scjg/events')
          .set('Authorization', `Bearer ${current}`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(scjgEvent({ bizNo })));
        if (r.status === 202) acked.push(bizNo);
        else refusedWhileSwitching.push(r.status);
        await new Promise((done) => setTimeout(done, 25));
      }
    })();

    await page.goto(`${gw.url}/dashboard/#/tokens`);
    await page.waitForSelector('#view-tokens:not([hidden]) [data-dept="SCJG"] tr[data-state="active"]');
    expect(await page.textContent('#view-tokens h1')).toContain('部门令牌');
    expect(await page.content()).not.toContain(TOKENS.SCJG);

    await page.fill('#token-overlap', '3');
    await page.click('[data-dept="SCJG"] .token-issue');
    await page.waitForSelector('#token-issued:not([hidden])');
    const token = await page.inputValue('#token-issued-value');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    // The old (environment) token is now in its overlap; the new one is listed without its value.
    await page.waitForSelector('[data-dept="SCJG"] tr[data-state="expiring"]');
    await page.click('#token-copy');
    await page.waitForSelector('#tokens-status.ok:has-text("已复制")'); // no page-side eval: the dashboard's CSP forbids it
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    await page.screenshot({ path: join(SHOTS, 'token-issued.png'), fullPage: true });

    // Both work during the overlap.
    expect((await post(TOKENS.SCJG)).status).toBe(202);
    expect((await post(token)).status).toBe(202);
    current = token; // the vendor switches to the new token
    const switchedAt = acked.length;

    // Closed: the token is gone from the page, and a reload never shows it again.
    await page.click('#token-issued-close');
    expect(await page.isVisible('#token-issued')).toBe(false);
    await page.reload();
    await page.waitForSelector('[data-dept="SCJG"] tr[data-state="expiring"]');
    expect(await page.content()).not.toContain(token);

    // Revoke the old one with its button: refused from then on; the new one goes on.
    await page.click('[data-dept="SCJG"] tr[data-state="expiring"] .token-revoke');
    await page.waitForSelector('[data-dept="SCJG"] tr[data-state="revoked"]');
    await page.screenshot({ path: join(SHOTS, 'token-revoked.png'), fullPage: true });
    const refused = await post(TOKENS.SCJG);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('TOKEN_EXPIRED');
    expect((await post(token)).status).toBe(202);
    await new Promise((done) => setTimeout(done, 300)); // the department goes on posting after the revocation
    stop = true;
    await poster;
    expect(refusedWhileSwitching).toEqual([]);
    expect(acked.length).toBeGreaterThan(switchedAt); // it posted before and after the switch
    const stored = await gw.db.manager.count(CaseEntity, { where: { department: 'SCJG', sourceCaseNo: In(acked) } });
    expect(stored).toBe(acked.length);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
