import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from 'playwright-core';
import { CatalogueVersionEntity } from '#gw/persistence';
import { postEvent, waitDelivered } from '../departments/department-support';
import { ARTIFACTS } from '../ops/logged-gateway';
import { BAD_ORG_CODE, NEW_DEPT, NEW_MATTER, newDeptEvent } from '../support/catalogue';
import { signIn } from '../support/operators';
import { TestGateway, startTestGateway } from '../support/test-gateway';
import { describeBrowser, launchChromium, signedInContext } from '../support/browser';

jest.setTimeout(120_000);

const SHOTS = join(ARTIFACTS, 'dashboard');
const ADMIN = { username: 'ui-catalogue-admin', password: 'Sturdy-Catalogue-UI-2026!' };


/**
 * Issue 21: an admin connects a new flat-JSON department from the dashboard's 目录 page — the
 * credit code checked as typed, the mapping (pre-filled from MZJ's) tried on a pasted sample —
 * saves it, copies its token (shown once), adds its matter; the department then posts with that
 * token and is accepted (202) and delivered, the gateway never restarted.
 */
describeBrowser('connecting a JSON department from the dashboard (Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: ADMIN.username, GATEWAY_ADMIN_PASSWORD: ADMIN.password } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('adds the department from the form, tries a sample, saves, copies the token; the department posts and gets 202 without a restart', async () => {
    const cookie = await signIn(gw.url, ADMIN.username, ADMIN.password); // enrols the admin's second factor
    const context = await signedInContext(browser, gw.url, cookie);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(gw.url).origin });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/401|Unauthorized|422|Unprocessable/.test(m.text())) pageErrors.push(m.text());
    });
    const shot = (file: string) => page.screenshot({ path: join(SHOTS, file), fullPage: true });

    await page.goto(`${gw.url}/dashboard/#/catalogue`);
    await page.waitForSelector('#view-catalogue:not([hidden]) #catalogue-departments tr[data-code="MZJ"]');
    expect(await page.textContent('#view-catalogue h1')).toContain('目录');
    expect(await page.textContent('#catalogue-version')).toContain('配置文件');
    // The mapping starts from MZJ's.
    expect(await page.inputValue('#dept-fields input[data-field="applicants[0].certNo"]')).toBe('sqr.sfzh');
    expect(await page.inputValue('#dept-fields input[data-field="stage"]')).toBe('zt');

    await page.fill('#dept-code', 'tyj');
    expect(await page.inputValue('#dept-code')).toBe('TYJ');
    await page.fill('#dept-name', NEW_DEPT.name);
    // The credit code is checked as it is typed: short, then a wrong check digit, then right.
    await page.type('#dept-org', BAD_ORG_CODE.slice(0, 10));
    await page.waitForSelector('#dept-org-check[data-state="bad"]:has-text("应为18位")');
    await page.type('#dept-org', BAD_ORG_CODE.slice(10));
    await page.waitForSelector('#dept-org-check[data-state="bad"]:has-text("校验位不对")');
    expect(await page.textContent('#dept-org-check')).toContain(`应为 ${NEW_DEPT.orgCode.slice(-1)}`);
    await shot('catalogue-01-credit-code.png');
    await page.fill('#dept-org', NEW_DEPT.orgCode.toLowerCase());
    await page.waitForSelector('#dept-org-check[data-state="ok"]');

    // Try the mapping on a pasted sample: its matter is not in the catalogue yet, said by the vendor's field name.
    await page.fill('#dept-sample', JSON.stringify(newDeptEvent(), null, 2));
    await page.click('#dept-try');
    await page.waitForSelector('#dept-try-result[data-ok="false"] li[data-code="MATTER_UNKNOWN"]');
    expect(await page.textContent('#dept-try-result')).toContain('sxbm');
    expect(await page.textContent('#dept-try-result')).toContain('PJTY-2026-0001'); // the canonical case is shown too
    await shot('catalogue-02-try-unknown-matter.png');
    expect(await gw.db.manager.count(CatalogueVersionEntity)).toBe(0); // trying stores nothing

    // Save: applied at once; the token is shown once, with a copy button.
    await page.click('#dept-save');
    await page.waitForSelector('#dept-token:not([hidden])');
    const token = await page.inputValue('#dept-token-value');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    await page.click('#dept-token-copy');
    await page.waitForSelector('#dept-token-status.ok:has-text("已复制")');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    await page.waitForSelector('#catalogue-departments tr[data-code="TYJ"]');
    await page.waitForSelector('#catalogue-departments tr[data-code="TYJ"] .dept-tokens:has-text("1 个有效")');
    await shot('catalogue-03-saved-token.png');
    await page.click('#dept-token-close');
    expect(await page.isVisible('#dept-token')).toBe(false);

    // Its matter, from the matter form; a malformed code is flagged as typed.
    await page.type('#matter-code', 'abc-1');
    await page.waitForSelector('#matter-code-check[data-state="bad"]');
    await page.fill('#matter-code', NEW_MATTER.taskCode);
    await page.waitForSelector('#matter-code-check[data-state="ok"]');
    await page.fill('#matter-name', NEW_MATTER.name);
    await page.selectOption('#matter-dept', 'TYJ');
    await page.selectOption('#matter-type', '01');
    await page.fill('#matter-limit', '5');
    await page.click('#matter-save');
    await page.waitForSelector(`#catalogue-matters tr[data-code="${NEW_MATTER.taskCode}"]`);

    // The same sample now maps cleanly.
    await page.click('#dept-try');
    await page.waitForSelector('#dept-try-result[data-ok="true"] pre.canonical');
    expect(await page.textContent('#dept-try-result pre.canonical')).toContain('"stage": "ACCEPTED"');
    await shot('catalogue-04-try-ok.png');

    // The department posts with the copied token: accepted and delivered, no restart.
    const reply = await postEvent(gw, 'tyj', JSON.stringify(newDeptEvent()), 'application/json', token);
    expect(reply.status).toBe(202);
    const c = await waitDelivered(gw, reply.json.data.bjid);
    expect(c).toMatchObject({ department: 'TYJ', matterCode: NEW_MATTER.taskCode, delivery: { state: 'DELIVERED' } });

    // The versions: the seed, the department, the matter; the current one cannot be restored onto itself.
    await page.reload();
    await page.waitForSelector('#catalogue-versions tr[data-version="3"] .badge');
    expect(await page.$$eval('#catalogue-versions tr', (rows) => rows.length)).toBe(3);
    expect(await page.isVisible('#catalogue-versions tr[data-version="1"] button.version-restore')).toBe(true);
    await shot('catalogue-05-versions.png');
    expect(await page.getAttribute('#catalogue-export', 'href')).toBe('../api/v1/catalogue/export.yaml');
    expect(await page.content()).not.toContain(token);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
