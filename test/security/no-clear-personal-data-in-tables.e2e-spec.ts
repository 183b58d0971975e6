import { gunzipSync } from 'node:zlib';
import * as iconv from 'iconv-lite';
import request from 'supertest';
import { OPERATOR_TOKEN, TestGateway, startTestGateway } from '../support/test-gateway';
import { onlineApplication, postCallback } from '../support/callbacks';
import { scjgEvent } from '../support/scjg-events';
import { example, postBatch, postEvent } from '../departments/department-support';
import { waitFor } from '../support/wait-for';

/**
 * Personal data at rest: after a flow that touches every table the gateway writes (all five
 * department formats, refusals, quarantine and replay, a batch file, every kind of platform
 * callback, sign-ins and operator actions), no cell of any table holds an ID number or a mobile
 * number in clear — not in a column, not in a stored error, not inside a compressed answer.
 */

/** Every raw value the flow sends (the examples' people plus the suite's own). */
const RAW = [
  '430626200107081238', // SCJG agent (scjg-event.json)
  '430626200107081239', // the same with a wrong check digit
  '430626198503120040', // BDC and YBJ applicant
  '430626199001010022', // MZJ and YBJ applicant
  '430626850312004', // RSJ's old 15-digit number
  '430626197001011234', // an applicant of an online application
  '13900000000',
  '13800000000',
  '13712345678',
];

/** A valid 18-digit ID number (GB 11643 check digit), wherever it stands. */
function validIdNumbers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![0-9A-Za-z])([1-9]\d{16}[\dXx])(?![0-9A-Za-z])/g)) {
    const id = m[1].toUpperCase();
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = weights.reduce((s, w, i) => s + w * Number(id[i]), 0);
    if ('10X98765432'[sum % 11] === id[17]) found.push(id);
  }
  return found;
}

/** Texts a cell may hold: strings as they are, bytes as text, gzip inflated. */
function textsOf(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Buffer.isBuffer(value)) {
    const out = [value.toString('utf8'), iconv.decode(value, 'gbk')];
    if (value[0] === 0x1f && value[1] === 0x8b) {
      try {
        out.push(gunzipSync(value).toString('utf8'));
      } catch {
        /* not gzip after all */
      }
    }
    return out;
  }
  if (value instanceof Date) return [];
  return [String(value)];
}

async function dumpTables(gw: TestGateway): Promise<Map<string, Record<string, unknown>[]>> {
  const ds = gw.db.dataSource;
  const names: string[] =
    gw.db.dialect === 'sqlite'
      ? (await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)).map((r: any) => r.name)
      : (await ds.query('SHOW TABLES')).map((r: any) => Object.values(r)[0] as string);
  const tables = new Map<string, Record<string, unknown>[]>();
  for (const name of names) {
    const quoted = gw.db.dialect === 'sqlite' ? `"${name}"` : `\`${name}\``;
    tables.set(name, await ds.query(`SELECT * FROM ${quoted}`));
  }
  return tables;
}

describe('no ID number or mobile number in clear in any table', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'pii-admin', GATEWAY_ADMIN_PASSWORD: 'Secure-pass-2026!x' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('after every department, refusals, a batch, callbacks and operator actions', async () => {
    const op = (r: request.Test) => r.set('Authorization', `Bearer ${OPERATOR_TOKEN}`);

    // Every department's own format, accepted.
    const scjg = await postEvent(gw, 'scjg', JSON.stringify(scjgEvent({ bizNo: 'SCJG-PII-T-0001' })), 'application/json');
    expect(scjg.status).toBe(202);
    expect((await postEvent(gw, 'bdc', example('bdc-event.xml'), 'text/xml; charset=GBK')).status).toBe(202);
    expect((await postEvent(gw, 'rsj', example('rsj-event.txt'), 'application/x-www-form-urlencoded')).status).toBe(202);
    expect((await postEvent(gw, 'mzj', example('mzj-event.json'), 'application/json')).status).toBe(202);
    const batch = await postBatch(gw, 'ybj', example('ybj-batch.csv'), { 'X-Batch-Id': 'YBJ-PII-1' });
    expect(batch.status).toBeLessThan(300);

    // Refusals: a wrong check digit, numbers in the wrong fields, an unreadable body, a bad token.
    const bad = scjgEvent({ bizNo: 'SCJG-PII-T-0002', agent: { name: '钱七', idNo: '430626200107081239', mobile: '13712345678' } });
    expect((await postEvent(gw, 'scjg', JSON.stringify(bad), 'application/json')).status).toBe(422);
    const misplaced = scjgEvent({ bizNo: 'SCJG-PII-T-0003', agent: { name: '13712345678', idNo: '13712345678', mobile: '430626200107081238' } });
    expect((await postEvent(gw, 'scjg', JSON.stringify(misplaced), 'application/json')).status).toBe(422);
    expect((await postEvent(gw, 'scjg', `{"agent":{"idNo":"430626200107081238","mobile":"13712345678"`, 'application/json')).status).toBe(400);
    expect((await postEvent(gw, 'scjg', JSON.stringify(scjgEvent()), 'application/json', 'not-a-token')).status).toBe(401);
    const badRows = Buffer.concat([
      example('ybj-batch.csv'),
      Buffer.from('YB20261023000199,YB-2026-0499,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,13712345678,430626198503120041,430626198503120040,,,,430626\r\n'),
    ]);
    expect((await postBatch(gw, 'ybj', badRows, { 'X-Batch-Id': 'YBJ-PII-2' })).status).toBeLessThan(300);

    // The quarantine replayed by an operator (the data is still wrong: it stays there).
    const q = await op(request(gw.url).get('/api/v1/quarantine')).expect(200);
    expect(q.body.items.length).toBeGreaterThan(0);
    await op(request(gw.url).post(`/api/v1/quarantine/${q.body.items[0].id}/replay`));

    // Every kind of platform callback, with personal data in the application.
    const app = {
      callback_id: 'pii-t-online-1',
      type: 'ONLINE_APPLICATION',
      occurred_at: '2026-11-03 09:00:00',
      data: {
        project_no: 'PII-T-ONLINE-0001',
        ...onlineApplication('11430626MB123456250000120001000', {
          applyer_type: 1,
          applyer_name: '孙一',
          applyer_page_type: '111',
          applyer_page_code: '430626197001011234',
        }),
        contact_mobile: '13712345678',
      },
    };
    expect((await postCallback(gw.url, app).response).status).toBe(200);
    const followUps = [
      { type: 'SUPPLEMENT_SUBMITTED', data: { project_no: 'PII-T-ONLINE-0001', materials: [], memo: '已补正，联系电话13712345678' } },
      { type: 'URGE', data: { project_no: 'PII-T-ONLINE-0001', message: '请尽快办理，申请人430626197001011234', deadline: '2026-11-10' } },
      { type: 'EVALUATION', data: { project_no: 'PII-T-ONLINE-0001', level: 2, comment: '太慢了，我的电话13712345678' } },
      { type: 'WITHDRAWN', data: { project_no: 'PII-T-ONLINE-0001', reason: '申请人13712345678撤回' } },
    ];
    for (const [i, f] of followUps.entries()) {
      const r = await postCallback(gw.url, { callback_id: `pii-t-cb-${i}`, occurred_at: '2026-11-04 10:00:00', ...f }).response;
      expect(r.status).toBe(200);
    }

    // Sign-ins (one with an ID number typed as the user name) and an operator's case search.
    await request(gw.url).post('/api/v1/auth/login').send({ username: '430626200107081238', password: '13712345678' });
    const login = await request(gw.url).post('/api/v1/auth/login').send({ username: 'pii-admin', password: 'Secure-pass-2026!x' }).expect(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    await request(gw.url).get('/api/v1/ops/cases').query({ q: '430626200107081238' }).set('Cookie', cookie);

    // Delivered to the platform, so outbox, attempts and the platform's answers are written too.
    await waitFor('the SCJG case delivered', async () => {
      const c = await op(request(gw.url).get(`/api/v1/cases/${scjg.json.caseId}`));
      return c.body.delivery?.state === 'DELIVERED';
    });

    const tables = await dumpTables(gw);
    // The flow reached the tables that hold personal data.
    for (const t of ['case_event', 'inbound_message', 'platform_callback', 'audit_log']) {
      expect(tables.get(t)?.length ?? 0).toBeGreaterThan(0);
    }
    const problems: string[] = [];
    for (const [table, rows] of tables) {
      rows.forEach((row, i) => {
        for (const [column, value] of Object.entries(row)) {
          for (const text of textsOf(value)) {
            for (const raw of RAW) if (text.includes(raw)) problems.push(`${table}[${i}].${column}: ${raw}`);
            if (/^[0-9a-f]+$/i.test(text)) continue; // a hash or hex digest, not a number
            for (const id of validIdNumbers(text)) problems.push(`${table}[${i}].${column}: an ID number ${id.slice(0, 6)}…`);
            for (const m of text.matchAll(/(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/g)) problems.push(`${table}[${i}].${column}: a mobile ${m[0].slice(0, 3)}…`);
          }
        }
      });
    }
    expect([...new Set(problems)]).toEqual([]);
  });
});
