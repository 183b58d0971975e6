import { join } from 'node:path';
import { Catalogue } from '#gw/catalogue';
import type { DepartmentDelivery } from '../../department-adapter';
import { RsjAdapter, createAdapter } from './rsj.adapter';
import { parseRsjDeliveryReply, rsjDeliveryFields } from './rsj-delivery';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config', 'catalogue.yaml'));
const rsj = createAdapter(catalogue.department('RSJ')!, catalogue) as RsjAdapter;

const MATTER = '11430626MB345678350000140001000';
const PROJECT_NO = `${MATTER}202611270002`;
const RARE = '刘䶮𠮷';

function application(overrides: Record<string, unknown> = {}): DepartmentDelivery {
  return {
    type: 'ONLINE_APPLICATION',
    callbackId: 'cb-rsj-1',
    projectNo: PROJECT_NO,
    occurredAt: '2026-11-27 09:30:00',
    data: {
      project_no: PROJECT_NO,
      task_code: MATTER,
      task_name: '就业失业登记',
      applyer_type: 1,
      applyer_name: RARE,
      applyer_page_type: '111',
      applyer_page_code: '430626198503120040',
      contact_name: '钱七',
      contact_mobile: '13900000000',
      address: '平江县汉昌街道天岳大道88号',
      apply_date: '2026-11-27 09:29:10',
      materials: [
        { material_name: '身份证', file_url: 'https://zwfw.example/f/1.pdf?a=1&b=2' },
        { material_name: '就业登记表', file_url: 'https://zwfw.example/f/2.pdf' },
      ],
      ...overrides,
    },
  };
}

const followUp = (
  type: DepartmentDelivery['type'],
  data: Record<string, unknown>,
  departmentCaseNo: string | null = null,
): DepartmentDelivery => ({
  type,
  callbackId: `cb-${type}`,
  projectNo: PROJECT_NO,
  occurredAt: '2026-11-28 10:00:00',
  data: { project_no: PROJECT_NO, ...data },
  departmentCaseNo,
  matterCode: MATTER,
});

/** The form as RSJ's servlet reads it (`getParameter`: the first value; `getParameterValues`: all). */
function received(d: DepartmentDelivery) {
  const out = rsj.formatDelivery(d);
  const form = new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(out.body));
  return {
    form,
    contentType: out.contentType,
    first: Object.fromEntries([...form.keys()].map((k) => [k, form.get(k)])),
  };
}

describe("RSJ delivery: a UTF-8 form in RSJ's own field names", () => {
  it('pushes is its mode', () => {
    expect(rsj.deliveryMode).toBe('push');
  });

  it('sends an online application with sbh, sxbm, sxmc, zt SB and the applicant as sqrxm / sqrsfzh / sqrsjh', () => {
    const { first, contentType, form } = received(application());
    expect(contentType).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(first).toEqual({
      xxbh: 'cb-rsj-1',
      sbh: PROJECT_NO,
      sxbm: MATTER,
      sxmc: '就业失业登记',
      zt: 'SB',
      ztsj: '2026-11-27 09:29:10',
      sqrlx: '1',
      sqrxm: RARE,
      sqrsfzh: '430626198503120040',
      sqrsjh: '13900000000',
      lxr: '钱七',
      dz: '平江县汉昌街道天岳大道88号',
      clmc: '身份证',
      cldz: 'https://zwfw.example/f/1.pdf?a=1&b=2',
    });
    expect(form.getAll('clmc')).toEqual(['身份证', '就业登记表']);
    expect(form.getAll('cldz')).toEqual(['https://zwfw.example/f/1.pdf?a=1&b=2', 'https://zwfw.example/f/2.pdf']);
    // Nothing RSJ would have to guess: no ywbh before RSJ has a case, no empty blyj.
    expect(form.has('ywbh')).toBe(false);
    expect(form.has('blyj')).toBe(false);
  });

  it('percent-encodes a rare-character name as UTF-8 and RSJ reads it back', () => {
    const { body } = rsj.formatDelivery(application());
    const raw = body.toString('ascii');
    expect(raw).toContain(`sqrxm=${encodeURIComponent(RARE)}`);
    expect(raw).toContain('%F0%A0%AE%B7'); // 𠮷 as four UTF-8 bytes
    expect(received(application()).first.sqrxm).toBe(RARE);
  });

  it("sends follow-ups with their own zt, RSJ's ywbh once known and the matter name from the catalogue", () => {
    const supplement = received(
      followUp(
        'SUPPLEMENT_SUBMITTED',
        { materials: [{ material_name: '补正材料', file_url: 'https://zwfw.example/f/3.pdf' }] },
        'RS2026112700001',
      ),
    );
    expect(supplement.first).toEqual({
      xxbh: 'cb-SUPPLEMENT_SUBMITTED',
      ywbh: 'RS2026112700001',
      sbh: PROJECT_NO,
      sxbm: MATTER,
      sxmc: '就业失业登记',
      zt: 'BZTJ',
      ztsj: '2026-11-28 10:00:00',
      clmc: '补正材料',
      cldz: 'https://zwfw.example/f/3.pdf',
    });
    const withdrawn = received(followUp('WITHDRAWN', { reason: '不再需要' })).first;
    expect(withdrawn).toMatchObject({ zt: 'CH', blyj: '不再需要', sbh: PROJECT_NO });
    expect(withdrawn.ywbh).toBeUndefined();
    expect(received(followUp('URGE', { message: '请加快办理', deadline: '2026-12-01 17:00:00' })).first).toMatchObject({
      zt: 'DB',
      blyj: '请加快办理',
      dbqx: '2026-12-01 17:00:00',
    });
    // The platform does not repeat the applicant on follow-ups.
    expect(received(followUp('URGE', { message: 'x' })).form.has('sqrxm')).toBe(false);
  });

  it('escapes & and = in values', () => {
    expect(received(followUp('WITHDRAWN', { reason: 'a&b=c' })).first.blyj).toBe('a&b=c');
  });
});

describe('RSJ delivery replies', () => {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');

  it('OK: taken, without a case number (RSJ tells its ywbh with its first stage event)', () => {
    expect(parseRsjDeliveryReply(200, 'text/plain; charset=UTF-8', utf8('OK'))).toEqual({ ok: true, message: 'OK' });
    expect(parseRsjDeliveryReply(200, 'text/plain', utf8('OK\r\n'))).toMatchObject({ ok: true });
    expect(parseRsjDeliveryReply(200, 'text/plain', utf8('OK')).departmentCaseNo).toBeUndefined();
  });

  it("ERR:<reason> is a permanent refusal carrying RSJ's reason", () => {
    expect(parseRsjDeliveryReply(200, 'text/plain; charset=UTF-8', utf8('ERR:缺少sqrxm,sqrsfzh'))).toEqual({
      ok: false,
      permanent: true,
      message: 'ERR:缺少sqrxm,sqrsfzh',
    });
    expect(parseRsjDeliveryReply(200, 'text/plain', utf8('ERR：事项不属于本局'))).toMatchObject({
      ok: false,
      permanent: true,
      message: 'ERR:事项不属于本局',
    });
  });

  it.each([
    [404, 'Not Found', false],
    [403, 'Forbidden', false],
    [302, '', false],
    [400, 'Bad Request', true],
    [413, 'Request Entity Too Large', true],
    [415, 'Unsupported Media Type', true],
  ])('HTTP %s from the container: permanent %s', (status, body, permanent) => {
    expect(parseRsjDeliveryReply(status, 'text/html', utf8(body))).toMatchObject({
      ok: false,
      permanent,
      message: expect.stringContaining(`HTTP ${status}`),
    });
  });

  it('a 2xx that is neither OK nor ERR (a proxy page) is tried again later', () => {
    expect(parseRsjDeliveryReply(200, 'text/html', utf8('<html>maintenance</html>'))).toMatchObject({
      ok: false,
      permanent: false,
    });
    expect(parseRsjDeliveryReply(200, undefined, Buffer.alloc(0))).toMatchObject({ ok: false, permanent: false });
  });

  it('never throws on bytes that are not UTF-8', () => {
    expect(() => parseRsjDeliveryReply(200, 'text/plain', Buffer.from([0xff, 0xfe, 0x41]))).not.toThrow();
  });
});

it("rsjDeliveryFields keeps the field order of RSJ's events", () => {
  expect(
    rsjDeliveryFields(application())
      .map(([k]) => k)
      .slice(0, 7),
  ).toEqual(['xxbh', 'sbh', 'sxbm', 'sxmc', 'zt', 'ztsj', 'sqrlx']);
});
