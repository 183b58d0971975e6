import request from 'supertest';
import { parseLicenceIdentifier } from '#gw/case';
import { example, id15To18, postEvent, waitDelivered } from '../departments/department-support';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

/**
 * Electronic licences (电子证照) end to end against the platform simulator: a completion with a
 * certificate registers a licence with the type code of config/licence-types.yaml and a GB/T 36904
 * identifier; RSJ's 职业资格证书补发, whose system sends no certificate number, is delivered and its
 * licence registered under a number the gateway gives; both are listed on their case and found by
 * holder, masked; another department's token sees neither.
 */
const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
const dept = (code: string) => ({ Authorization: `Bearer ${TOKENS[code]}` });
const FORM = 'application/x-www-form-urlencoded';

const SCJG_ORG = '11430626MB12345625';
const RSJ_ORG = '11430626MB34567835';
const BUSINESS_LICENCE = '11430626MB12345625001'; // 营业执照 in config/licence-types.yaml
const QUALIFICATION = '11430626MB34567835001'; // 职业资格证书
const REISSUE = '11430626MB345678350000140010000'; // RSJ 职业资格证书补发
const COMPANY = { type: 'ENTERPRISE', name: '平江县某某农业发展有限公司', uscc: '91350100M000100Y43', legalRep: '赵六', phone: '0730-6223456' };
const ID15 = '430626850312004'; // RSJ's servlet sends the old 15-digit form
const ID18 = id15To18(ID15);

function rsjForm(overrides: Record<string, string>): string {
  const form = new URLSearchParams(example('rsj-event.txt').toString('utf8'));
  for (const [k, v] of Object.entries(overrides)) form.set(k, v);
  return form.toString();
}

describe('electronic licences: registered with the catalogue type and a GB/T 36904 identifier, listed, found by holder', () => {
  let gw: TestGateway;
  let scjgCase: any;
  let rsjCase: any;
  let registered: any[];

  beforeAll(async () => {
    gw = await startTestGateway();
    // SCJG: 企业设立登记 of a company, accepted and completed with its 营业执照 number; a second one.
    const ids: string[] = [];
    for (const [bizNo, licenseNo] of [
      ['SCJG-LIC-000001', '91430626MA4Q000101'],
      ['SCJG-LIC-000002', '91430626MA4Q000102'],
    ]) {
      await postScjgEvent(gw.url, scjgEvent({ bizNo, applicant: COMPANY, status: 20, statusTime: '2026-11-12T09:00:00+08:00' })).expect(202);
      const done = await postScjgEvent(gw.url, scjgEvent({ bizNo, applicant: COMPANY, status: 50, statusTime: '2026-11-12T15:00:00+08:00', result: { decision: 'APPROVED', licenseNo } })).expect(202);
      ids.push(done.body.caseId);
    }
    // RSJ: 职业资格证书补发, accepted, then completed 准予 (bjjg 1) — the form has no certificate number field.
    const base = { ywbh: 'RS-LIC-0001', sbh: '', sxbm: REISSUE, sxmc: '职业资格证书补发', sqrsfzh: ID15, xzqh: '430626001' };
    const accepted = await postEvent(gw, 'rsj', rsjForm({ ...base, xxbh: 'RSJ-LIC-1', zt: 'SL', ztsj: '2026-11-13 09:00:00', bjjg: '' }), FORM);
    expect([accepted.status, accepted.text]).toEqual([202, 'OK']);
    const completed = await postEvent(gw, 'rsj', rsjForm({ ...base, xxbh: 'RSJ-LIC-2', zt: 'BJ', ztsj: '2026-11-20 16:00:00', bjjg: '1', blyj: '准予补发' }), FORM);
    expect([completed.status, completed.text]).toEqual([202, 'OK']);

    scjgCase = await waitDelivered(gw, ids[0]);
    await waitDelivered(gw, ids[1]);
    const rsjId = (await request(gw.url).get('/api/v1/cases').set(op).query({ dept: 'rsj', deptCaseNo: 'RS-LIC-0001' }).expect(200)).body.caseId;
    rsjCase = await waitDelivered(gw, rsjId);
    registered = (await request(gw.platform.origin).get('/admin/licenses').expect(200)).body;
  }, 90_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('registers a completion with a certificate under the catalogue type code; the case lists it with a valid identifier', () => {
    expect(scjgCase.licences).toHaveLength(1);
    const l = scjgCase.licences[0];
    expect(l).toMatchObject({
      typeCode: BUSINESS_LICENCE,
      typeName: '营业执照',
      certificateNo: '91430626MA4Q000101',
      numberFrom: 'DEPARTMENT',
      issueDate: '2026-11-12',
      issuer: '平江县市场监督管理局',
      holder: { kind: 'ENTERPRISE', name: COMPANY.name, certNo: COMPANY.uscc },
      registration: 'REGISTERED',
    });
    const parts = parseLicenceIdentifier(l.identifier);
    expect(parts).toMatchObject({ typeCode: BUSINESS_LICENCE, issuerCode: SCJG_ORG, version: '001' });
    expect(parts!.serial).toMatch(/^2026000000[12]$/);
    // The platform holds exactly that licence, once: type code from the table, the department's number.
    const onPlatform = registered.filter((r) => r.content.certificate_number === '91430626MA4Q000101');
    expect(onPlatform).toHaveLength(1);
    expect(onPlatform[0]).toMatchObject({
      registrations: 1,
      content: { certificate_type_code: BUSINESS_LICENCE, certificate_name: '营业执照', issue_dept_code: SCJG_ORG, issue_date: '2026-11-12', certificate_holder_code: COMPANY.uscc, project_no: scjgCase.platformProjectNo },
    });
  });

  it('gives each licence of a type and issuer its own serial in the year', async () => {
    const all = (await request(gw.url).get('/api/v1/licences').set(op).query({ holder: COMPANY.uscc }).expect(200)).body;
    expect(all.total).toBe(2);
    const serials = all.items.map((l: any) => parseLicenceIdentifier(l.identifier)!.serial).sort();
    expect(serials).toEqual(['20260000001', '20260000002']);
  });

  it('delivers the RSJ 补发 without a certificate number and registers its licence under the gateway-given identifier', async () => {
    expect(rsjCase).toMatchObject({ matterCode: REISSUE, currentStage: 'COMPLETED', delivery: { state: 'DELIVERED', parked: 0 } });
    expect(rsjCase.licences).toHaveLength(1);
    const l = rsjCase.licences[0];
    expect(l).toMatchObject({ typeCode: QUALIFICATION, typeName: '职业资格证书', numberFrom: 'GATEWAY', issueDate: '2026-11-20', registration: 'REGISTERED' });
    expect(parseLicenceIdentifier(l.identifier)).toMatchObject({ typeCode: QUALIFICATION, issuerCode: RSJ_ORG, serial: '20260000001', version: '001' });
    // The identifier is the number: what the platform holds under certificate_number.
    expect(l.certificateNo).toBe(l.identifier);
    const onPlatform = registered.filter((r) => r.content.certificate_type_code === QUALIFICATION);
    expect(onPlatform).toHaveLength(1);
    expect(onPlatform[0].content).toMatchObject({ certificate_number: l.identifier, certificate_name: '职业资格证书', issue_dept_code: RSJ_ORG, certificate_holder_type: '1', project_no: rsjCase.platformProjectNo });
    // A person's licence: masked on the case, never the clear number or name.
    expect(l.holder).toEqual({ kind: 'PERSON', name: '李*', certType: '111', certNo: `4306**********${ID18.slice(-4)}` });
    expect(JSON.stringify(rsjCase.licences)).not.toMatch(new RegExp(`${ID18}|${ID15}|李四`));
  });

  it('finds a licence by its holder (18 or 15 digits), masked, for an operator and for the issuing department', async () => {
    for (const holder of [ID18, ID15]) {
      const found = (await request(gw.url).get('/api/v1/licences').set(op).query({ holder }).expect(200)).body;
      expect(found.total).toBe(1);
      expect(found.items[0]).toMatchObject({ typeCode: QUALIFICATION, caseId: rsjCase.caseId, department: 'RSJ', matterName: '职业资格证书补发', holder: { name: '李*' } });
      expect(JSON.stringify(found)).not.toContain(ID18);
    }
    expect((await request(gw.url).get('/api/v1/licences').set(dept('RSJ')).query({ holder: ID18 }).expect(200)).body.total).toBe(1);
    // Not by name: names are stored encrypted.
    expect((await request(gw.url).get('/api/v1/licences').set(op).query({ holder: '李四' }).expect(400)).body.message).toContain('不支持按姓名查找');
    await request(gw.url).get('/api/v1/licences').set(op).expect(400);
    await request(gw.url).get('/api/v1/licences').query({ holder: ID18 }).expect(401);
  });

  it("another department's token cannot see it: not in its search, its case 404, another dept 403", async () => {
    expect((await request(gw.url).get('/api/v1/licences').set(dept('SCJG')).query({ holder: ID18 }).expect(200)).body).toEqual({ total: 0, items: [] });
    const wrong = await request(gw.url).get('/api/v1/licences').set(dept('SCJG')).query({ holder: ID18, dept: 'rsj' }).expect(403);
    expect(wrong.body.code).toBe('TOKEN_WRONG_DEPARTMENT');
    await request(gw.url).get(`/api/v1/cases/${rsjCase.caseId}`).set(dept('SCJG')).expect(404);
    // …while SCJG still finds its own.
    expect((await request(gw.url).get('/api/v1/licences').set(dept('SCJG')).query({ holder: COMPANY.uscc }).expect(200)).body.total).toBe(2);
  });

  it('a case re-sent by reconciliation registers the same licence again: same identifier and number, one licence on the case', async () => {
    const before = scjgCase.licences[0];
    await request(gw.platform.origin).delete(`/admin/cases/${encodeURIComponent(scjgCase.platformProjectNo)}`).expect(200);
    await request(gw.url).post('/api/v1/reports/reconciliation/run').set(op).send({ date: '2026-11-12' }).expect(200);
    const again = await waitFor('the case re-sent with its licence', async () => {
      const c = (await request(gw.url).get(`/api/v1/cases/${scjgCase.caseId}`).set(op).expect(200)).body;
      return c.platformProjectNo !== scjgCase.platformProjectNo && c.delivery.state === 'DELIVERED' && c.licences[0]?.registration === 'REGISTERED' ? c : null;
    }, 30_000, 100);
    expect(again.licences).toHaveLength(1);
    expect(again.licences[0]).toMatchObject({ identifier: before.identifier, certificateNo: before.certificateNo });
    const onPlatform = (await request(gw.platform.origin).get('/admin/licenses').expect(200)).body.filter((r: any) => r.content.certificate_number === before.certificateNo);
    expect(onPlatform).toEqual([expect.objectContaining({ registrations: 2, content: expect.objectContaining({ project_no: again.platformProjectNo }) })]);
  });
});
