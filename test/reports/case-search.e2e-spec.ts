import ExcelJS from 'exceljs';
import request from 'supertest';
import { postScjgEvent, scjgEvent } from '../support/scjg-events';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';

const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
const SETUP = '11430626MB123456250000120001000';
const CHANGE = '11430626MB123456250000120002000';
const PERSON_ID = '430626198503120040';
const PERSON = { type: 'PERSON', name: '李四', idNo: PERSON_ID, phone: '13800000000' };
const COMPANY = { type: 'ENTERPRISE', name: '平江县某某农业发展有限公司', uscc: '91350100M000100Y43', legalRep: '赵六', phone: '0730-6223456' };

describe('finding cases by applicant, matter, township, status and date; exports masked', () => {
  let gw: TestGateway;
  const list = async (query: Record<string, string>, auth: Record<string, string> = op) => (await request(gw.url).get('/api/v1/cases').set(auth).query(query).expect(200)).body;

  beforeAll(async () => {
    gw = await startTestGateway();
    const post = (o: Record<string, unknown>) => postScjgEvent(gw.url, scjgEvent(o)).expect(202);
    // A person's case, accepted (open) in 虹桥镇 on the 10th; a company's two, one completed, in 安定镇 on the 12th and 14th.
    await post({ bizNo: 'SCJG-FIND-000001', applicant: PERSON, agent: null, status: 20, statusTime: '2026-11-10T09:00:00+08:00', location: '430626106' });
    await post({ bizNo: 'SCJG-FIND-000002', applicant: COMPANY, status: 20, statusTime: '2026-11-12T09:00:00+08:00', location: '430626101' });
    await post({ bizNo: 'SCJG-FIND-000002', applicant: COMPANY, status: 50, statusTime: '2026-11-12T15:00:00+08:00', location: '430626101', result: { decision: 'APPROVED', licenseNo: '91430626MA4Q000777' } });
    await post({ bizNo: 'SCJG-FIND-000003', applicant: COMPANY, itemCode: CHANGE, itemName: '变更登记', status: 20, statusTime: '2026-11-14T09:00:00+08:00', location: '430626101' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('finds a person by ID number through the keyed hash, showing the name and number masked', async () => {
    const found = await list({ applicant: PERSON_ID });
    expect(found).toMatchObject({ total: 1, page: 1 });
    expect(found.items[0]).toMatchObject({ sourceCaseNo: 'SCJG-FIND-000001', department: 'SCJG', applicantName: '李*', applicantCertNo: '4306**********0040', locationName: '虹桥镇', currentStage: 'ACCEPTED', closed: false });
    expect(JSON.stringify(found)).not.toContain(PERSON_ID);
    expect(JSON.stringify(found)).not.toContain('李四');
    // A company by its credit code (lower case too).
    expect((await list({ applicant: '91350100m000100y43' })).items.map((c: any) => c.sourceCaseNo).sort()).toEqual(['SCJG-FIND-000002', 'SCJG-FIND-000003']);
  });

  it('refuses a name: names are stored encrypted and cannot be searched', async () => {
    const r = await request(gw.url).get('/api/v1/cases').set(op).query({ applicant: '李四' }).expect(400);
    expect(r.body.message).toContain('不支持按姓名查找');
  });

  it('filters by matter, township, status and dates, and pages', async () => {
    const nos = (b: any) => b.items.map((c: any) => c.sourceCaseNo).sort();
    expect(nos(await list({ matter: CHANGE }))).toEqual(['SCJG-FIND-000003']);
    expect(nos(await list({ township: '430626101' }))).toEqual(['SCJG-FIND-000002', 'SCJG-FIND-000003']);
    expect(nos(await list({ status: 'closed', dept: 'scjg' }))).toEqual(['SCJG-FIND-000002']);
    expect(nos(await list({ status: 'ACCEPTED', dept: 'scjg' }))).toEqual(['SCJG-FIND-000001', 'SCJG-FIND-000003']);
    expect(nos(await list({ from: '2026-11-11', to: '2026-11-12' }))).toEqual(['SCJG-FIND-000002']);
    const page1 = await list({ dept: 'scjg', pageSize: '2' });
    const page2 = await list({ dept: 'scjg', pageSize: '2', page: '2' });
    expect(page1.total).toBe(3);
    expect([...page1.items, ...page2.items].map((c: any) => c.sourceCaseNo)).toEqual(['SCJG-FIND-000003', 'SCJG-FIND-000002', 'SCJG-FIND-000001']);
    await request(gw.url).get('/api/v1/cases').set(op).query({ status: 'NOPE' }).expect(400);
    // The lookups by number still work.
    expect((await list({ dept: 'scjg', deptCaseNo: 'SCJG-FIND-000001' })).sourceCaseNo).toBe('SCJG-FIND-000001');
  });

  it('a department token lists only its own cases', async () => {
    expect((await list({ applicant: PERSON_ID }, { Authorization: `Bearer ${TOKENS.SCJG}` })).total).toBe(1);
    expect((await list({ applicant: PERSON_ID }, { Authorization: `Bearer ${TOKENS.RSJ}` })).total).toBe(0);
    await request(gw.url).get('/api/v1/cases').set({ Authorization: `Bearer ${TOKENS.RSJ}` }).query({ dept: 'scjg', matter: SETUP }).expect(403);
  });

  it('exports the list as CSV and XLSX with personal data masked', async () => {
    const csv = await request(gw.url).get('/api/v1/reports/cases.csv').set(op).query({ dept: 'scjg' }).expect(200).expect('Content-Type', /text\/csv/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split(/\r\n/);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('部门受理编号');
    expect(csv.text).toContain('4306**********0040');
    expect(csv.text).not.toContain(PERSON_ID);
    expect(csv.text).not.toContain('李四');
    const xlsx = await request(gw.url).get('/api/v1/reports/cases.xlsx').set(op).query({ applicant: PERSON_ID }).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body);
    const ws = wb.worksheets[0];
    expect(ws.rowCount).toBe(2);
    const values = (ws.getRow(2).values as unknown[]).map(String);
    expect(values).toEqual(expect.arrayContaining(['SCJG-FIND-000001', '李*', '4306**********0040']));
  });
});
