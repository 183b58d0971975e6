import { join } from 'node:path';
import { Catalogue, type DepartmentEntry } from '#gw/catalogue';
import type { DepartmentDelivery } from '../../department-adapter';
import { MappedAdapter, createAdapter } from './mapped.adapter';
import { parseMappedDeliveryReply, toDateFormat } from './mapped-delivery';
import { compileMapping } from './mapping-schema';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const catalogue = Catalogue.fromFile(join(ROOT, 'config', 'catalogue.yaml'));
const MZJ = catalogue.department('MZJ')!;
const mzj = createAdapter(MZJ, catalogue) as MappedAdapter;

const MATTER = '11430626MB6789012A0000160001000';
const PROJECT_NO = `${MATTER}202611270003`;

const application = (overrides: Record<string, unknown> = {}): DepartmentDelivery => ({
  type: 'ONLINE_APPLICATION',
  callbackId: 'cb-mzj-1',
  projectNo: PROJECT_NO,
  occurredAt: '2026-11-27 09:30:00',
  data: {
    project_no: PROJECT_NO,
    task_code: MATTER,
    task_name: '结婚登记',
    applyer_type: 1,
    applyer_name: '刘䶮𠮷',
    applyer_page_type: '111',
    applyer_page_code: '430626198503120040',
    contact_mobile: '13900000000',
    apply_date: '2026-11-27 09:29:10',
    materials: [{ material_name: '户口簿', get_num: 1, file_url: 'https://zwfw.example/f/1.pdf' }],
    ...overrides,
  },
});

const body = (adapter: MappedAdapter, d: DepartmentDelivery) =>
  JSON.parse(adapter.formatDelivery!(d).body.toString('utf8'));

/** The MZJ mapping of the catalogue with another delivery section. */
function withDelivery(delivery: unknown, extra: Record<string, unknown> = {}): MappedAdapter {
  const options = { ...(MZJ.options as Record<string, unknown>), delivery, ...extra };
  const entry: DepartmentEntry = { ...MZJ, options };
  return new MappedAdapter(entry, compileMapping(options), catalogue);
}

describe('mapped adapter: delivery by a JSON template (options.delivery)', () => {
  it('MZJ (catalogue) pushes an online application in its own names', () => {
    expect(mzj.deliveryMode).toBe('push');
    const out = mzj.formatDelivery!(application());
    expect(out.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(out.body.toString('utf8'))).toEqual({
      lsh: 'cb-mzj-1',
      lx: '01',
      sbh: PROJECT_NO,
      ywh: null,
      sxbm: MATTER,
      sxmc: '结婚登记',
      sj: '2026-11-27 09:30:00',
      sqr: { xm: '刘䶮𠮷', sfzh: '430626198503120040', sjh: '13900000000' },
      dz: null,
      cl: [{ material_name: '户口簿', get_num: 1, file_url: 'https://zwfw.example/f/1.pdf' }],
      yy: null,
      dbnr: null,
      dbqx: null,
    });
  });

  it("MZJ follow-ups carry their code, MZJ's case number and the catalogue's matter name", () => {
    const urge: DepartmentDelivery = {
      type: 'URGE',
      callbackId: 'cb-urge',
      projectNo: PROJECT_NO,
      occurredAt: '2026-11-28 10:00:00',
      data: { project_no: PROJECT_NO, message: '请加快办理', deadline: '2026-12-01 17:00:00' },
      departmentCaseNo: 'MZ-2026-0001',
      matterCode: MATTER,
    };
    expect(body(mzj, urge)).toMatchObject({
      lx: '04',
      ywh: 'MZ-2026-0001',
      sxbm: MATTER,
      sxmc: '结婚登记',
      dbnr: '请加快办理',
      dbqx: '2026-12-01 17:00:00',
      sqr: { xm: null },
    });
    expect(body(mzj, { ...urge, type: 'WITHDRAWN', data: { project_no: PROJECT_NO, reason: '不办了' } })).toMatchObject(
      { lx: '03', yy: '不办了' },
    );
  });

  it("fills text templates, nested paths and list indexes; a whole placeholder keeps the value's type", () => {
    const a = withDelivery({
      body: {
        title: '${type}:${projectNo}/${data.materials[0].material_name}',
        count: '${data.materials[0].get_num}',
        missing: '${data.nope.deeper}',
        text: 'x${data.nope}y',
        list: ['${callbackId}', 1, true, null],
        all: '${data}',
      },
    });
    const out = body(a, application());
    expect(out).toMatchObject({
      title: `ONLINE_APPLICATION:${PROJECT_NO}/户口簿`,
      count: 1,
      missing: null,
      text: 'xy',
      list: ['cb-mzj-1', 1, true, null],
    });
    expect(out.all.applyer_name).toBe('刘䶮𠮷');
  });

  it("gives times in the mapping's date format", () => {
    const tpl = { body: { at: '${occurredAt}', applied: '${applyDate}' } };
    const at = (dateFormat: string) => body(withDelivery(tpl, { dateFormat }), application());
    expect(at('iso')).toEqual({ at: '2026-11-27T09:30:00+08:00', applied: '2026-11-27T09:29:10+08:00' });
    expect(at('yyyyMMddHHmmss')).toEqual({ at: '20261127093000', applied: '20261127092910' });
    expect(at('yyyy/M/d H:mm')).toEqual({ at: '2026/11/27 9:30', applied: '2026/11/27 9:29' });
    expect(at('epoch-ms')).toEqual({
      at: Date.parse('2026-11-27T09:30:00+08:00'),
      applied: Date.parse('2026-11-27T09:29:10+08:00'),
    });
    expect(toDateFormat('iso', 'not a time')).toBe('not a time');
  });

  it('without a delivery section the department receives no pushes', () => {
    const options = { ...(MZJ.options as Record<string, unknown>) };
    delete options.delivery;
    const plain = new MappedAdapter({ ...MZJ, options }, compileMapping(options), catalogue);
    expect(plain.deliveryMode).toBeUndefined();
    expect(plain.formatDelivery).toBeUndefined();
    expect(plain.parseDeliveryReply).toBeUndefined();
  });

  it.each([
    [{ body: { a: '${nope}' } }, /options\.delivery\.body\.a: unknown placeholder \$\{nope\}/],
    [{ body: { a: '${data.list[*].x}' } }, /options\.delivery\.body\.a: .*no \[\*\]/],
    [{}, /options\.delivery\.body: is required/],
    [{ body: {}, extra: 1 }, /options\.delivery\.extra: unknown setting/],
    [{ body: {}, types: { EVALUATION: '9' } }, /options\.delivery\.types\.EVALUATION: is not a callback type/],
    [{ body: {}, types: { URGE: {} } }, /options\.delivery\.types\.URGE: must be a text or a number/],
    [{ body: {}, contentType: 'json' }, /options\.delivery\.contentType/],
    [{ body: {}, reply: { okValues: ['0'] } }, /options\.delivery\.reply\.okValues: needs okPath/],
    [{ body: {}, reply: { okPath: 'code' } }, /options\.delivery\.reply\.okValues: is required with okPath/],
    [{ body: {}, reply: { okPath: 'a[*]', okValues: [1] } }, /options\.delivery\.reply\.okPath/],
    ['yes', /options\.delivery: must be/],
  ])('refuses a bad delivery section with the field named: %j', (delivery, message) => {
    expect(() => compileMapping({ ...(MZJ.options as Record<string, unknown>), delivery })).toThrow(message);
  });
});

describe('mapped adapter: delivery replies', () => {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

  it('MZJ: code 0000 is taken, with its case number', () => {
    expect(
      mzj.parseDeliveryReply!(
        200,
        'application/json',
        json({ code: '0000', msg: '成功', data: { ywh: 'MZ-2026-0001' } }),
      ),
    ).toEqual({
      ok: true,
      departmentCaseNo: 'MZ-2026-0001',
      message: 'accepted as MZ-2026-0001',
    });
  });

  it('MZJ: another code is a permanent refusal with its message; a 2xx that is not JSON too', () => {
    expect(mzj.parseDeliveryReply!(200, 'application/json', json({ code: '1001', msg: '申请人信息不全' }))).toEqual({
      ok: false,
      permanent: true,
      message: 'HTTP 200 without success: 申请人信息不全',
    });
    expect(mzj.parseDeliveryReply!(200, 'text/html', Buffer.from('<html/>'))).toMatchObject({
      ok: false,
      permanent: true,
    });
  });

  it('4xx is permanent, anything else non-2xx is tried again', () => {
    expect(mzj.parseDeliveryReply!(422, 'application/json', json({ msg: 'bad' }))).toEqual({
      ok: false,
      permanent: true,
      message: 'HTTP 422: bad',
    });
    expect(mzj.parseDeliveryReply!(302, undefined, Buffer.alloc(0))).toMatchObject({ ok: false, permanent: false });
  });

  it('without okPath any 2xx is taken', () => {
    const compiled = compileMapping({ ...(MZJ.options as Record<string, unknown>), delivery: { body: {} } }).delivery!;
    expect(parseMappedDeliveryReply(compiled, 204, Buffer.alloc(0))).toEqual({
      ok: true,
      departmentCaseNo: undefined,
      message: 'HTTP 204',
    });
  });

  it('okValues compare as text (numbers and booleans too)', () => {
    const compiled = compileMapping({
      ...(MZJ.options as Record<string, unknown>),
      delivery: { body: {}, reply: { okPath: 'r.ok', okValues: [true, 0] } },
    }).delivery!;
    expect(parseMappedDeliveryReply(compiled, 200, json({ r: { ok: true } })).ok).toBe(true);
    expect(parseMappedDeliveryReply(compiled, 200, json({ r: { ok: 0 } })).ok).toBe(true);
    expect(parseMappedDeliveryReply(compiled, 200, json({ r: { ok: 'false' } })).ok).toBe(false);
    expect(parseMappedDeliveryReply(compiled, 200, json({ r: { ok: { x: 1 } } })).ok).toBe(false);
  });
});
