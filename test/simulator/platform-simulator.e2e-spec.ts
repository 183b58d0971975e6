/**
 * The city platform simulator over real HTTP: every rule of city-platform-api.md that the gateway
 * relies on, plus the admin API (faults, inspection, callbacks).
 */
import axios, { type AxiosResponse, type Method } from 'axios';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NonceCache, signedHeaders, verifySignedRequest, type SignAlg } from '#gw/platform';
import { formatBeijingCompactDate } from '#gw/case';
import { startPlatformSimulator, type RunningSimulator } from '#gw/simulator';

const APP = '430626-gateway';
const SECRET = 'gateway-secret';
const CALLBACK_APP = 'yueyang-platform';
const CALLBACK_SECRET = 'callback-secret';
const TASK = '11430626MB1234567X4000111700001';
const ORG = '11430626MB1234567X';

const http = axios.create({ validateStatus: () => true, transformRequest: [(data: unknown) => data] });

interface CallOptions {
  appId?: string;
  secret?: string;
  alg?: SignAlg;
  now?: number;
  nonce?: string;
  /** Sign these bytes instead of the body actually sent. */
  signedBody?: string;
  rawBody?: string;
  base?: string;
}

let sim: RunningSimulator;

async function platform(method: Method, path: string, body?: unknown, o: CallOptions = {}): Promise<AxiosResponse> {
  const raw = o.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
  const headers = signedHeaders({
    appId: o.appId ?? APP,
    secret: o.secret ?? SECRET,
    alg: o.alg ?? 'hmac-sm3',
    body: o.signedBody ?? raw,
    now: o.now,
    nonce: o.nonce,
  });
  return http.request({
    method,
    url: `${o.base ?? sim.url}${path}`,
    data: raw === '' ? undefined : raw,
    headers: { ...headers, 'Content-Type': 'application/json' },
  });
}

async function admin(method: Method, path: string, body?: unknown, base = sim.origin): Promise<AxiosResponse> {
  return http.request({
    method,
    url: `${base}/admin${path}`,
    data: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
}

function acceptBody(sourceCaseId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_case_id: sourceCaseId,
    task_code: TASK,
    task_name: '食品经营许可',
    project_name: '某某餐饮店食品经营许可',
    project_type: 2,
    apply_type: 1,
    applyer_type: 1,
    applyer_name: '测试人',
    applyer_page_type: '111',
    applyer_page_code: '11010519491231002X',
    org_name: '平江县行政审批服务局',
    org_code: ORG,
    area_code: '430626',
    apply_date: '2026-11-20 09:00:00',
    accept_date: '2026-11-20 09:30:00',
    status: 'ACCEPTED',
    materials: [{ material_name: '营业执照', get_type: '1', get_num: 1 }],
    ...overrides,
  };
}

function processBody(seq: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seq,
    event_name: 'UNDERTAKEN',
    process_name: '承办',
    handle_user_name: '王五',
    handle_explain: '材料齐全',
    event_start_time: '2026-11-20 10:00:00',
    event_end_time: '2026-11-20 10:05:00',
    ...overrides,
  };
}

const specialBody = (seq: number) => ({
  seq,
  special_type: '1',
  special_name: '听证',
  special_reason: '依申请听证',
  special_time: '2026-11-21 09:00:00',
  end_time: '2026-11-22 09:00:00',
});

const resultBody = (seq: number) => ({
  seq,
  result_date: '2026-11-23 16:00:00',
  result_type: 0,
  result_cetr_no: 'JY14306260001',
  is_delivery_results: 1,
});

async function accept(sourceCaseId: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await platform('POST', '/cases/accept', acceptBody(sourceCaseId, overrides));
  expect(res.data).toMatchObject({ code: '0' });
  return res.data.data.project_no as string;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- a small callback receiver standing in for the gateway ----
interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];
let answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end('{"code":"0"}');

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.setHeader('Content-Type', 'application/json');
      answer(received.length, res);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callbacks`;
  sim = await startPlatformSimulator({
    port: 0,
    apps: { [APP]: SECRET, 'other-app': 'other-secret' },
    rateLimitPerSecond: 1000,
    callbackUrl: receiverUrl,
    callbackAppId: CALLBACK_APP,
    callbackSecret: CALLBACK_SECRET,
    callbackBackoffMs: 20,
    callbackTimeoutMs: 300,
  });
});

afterAll(async () => {
  await sim?.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(async () => {
  expect((await admin('POST', '/reset')).status).toBe(200);
  received = [];
  answer = (_n, res) => res.end('{"code":"0"}');
});

describe('basics', () => {
  it('serves /health and a URL ending in the base path', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/zwfw\/api\/v1$/);
    const res = await http.get(`${sim.origin}/health`);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ status: 'ok' });
  });
});

describe('POST /cases/accept', () => {
  it('issues task_code + yyyyMMdd + 4-digit sequence, idempotently per org_code + source_case_id', async () => {
    const today = formatBeijingCompactDate();
    const first = await platform('POST', '/cases/accept', acceptBody('PJ-2026-0001'));
    expect(first.status).toBe(200);
    expect(first.data).toEqual({ code: '0', msg: expect.any(String), data: { project_no: `${TASK}${today}0001` } });

    const again = await platform('POST', '/cases/accept', acceptBody('PJ-2026-0001', { status: 'ACCEPTED' }));
    expect(again.data.data.project_no).toBe(`${TASK}${today}0001`);

    const second = await platform('POST', '/cases/accept', acceptBody('PJ-2026-0002'));
    expect(second.data.data.project_no).toBe(`${TASK}${today}0002`);
    const otherOrg = await platform(
      'POST',
      '/cases/accept',
      acceptBody('PJ-2026-0001', { org_code: '11430626MB0000000A' }),
    );
    expect(otherOrg.data.data.project_no).toBe(`${TASK}${today}0003`);
    expect((await admin('GET', '/cases')).data).toHaveLength(3);
  });

  it('lets a repeated accept move a case from SUBMITTED to ACCEPTED', async () => {
    const projectNo = await accept('PJ-SUB', { status: 'SUBMITTED', accept_date: undefined });
    expect((await platform('GET', `/cases/${projectNo}`)).data.data.status).toBe('SUBMITTED');
    expect(await accept('PJ-SUB', { status: 'ACCEPTED' })).toBe(projectNo);
    expect((await platform('GET', `/cases/${projectNo}`)).data.data).toEqual({
      project_no: projectNo,
      source_case_id: 'PJ-SUB',
      org_code: ORG,
      last_seq: 0,
      status: 'ACCEPTED',
      closed: false,
    });
  });

  it('answers 2001 with every bad field named', async () => {
    const body = acceptBody('PJ-BAD', {
      task_code: undefined,
      area_code: '12345',
      apply_date: '2026/11/20 09:00',
      accept_date: '2026-02-30 09:00:00',
      project_type: 7,
      status: 'DONE',
      materials: [
        { material_name: '身份证', get_type: '1', get_num: -1 },
        { get_type: 2, get_num: 1 },
      ],
    });
    const res = await platform('POST', '/cases/accept', body);
    expect(res.status).toBe(200);
    expect(res.data.code).toBe('2001');
    const fields = (res.data.data as { field: string; message: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(
      [
        'accept_date',
        'apply_date',
        'area_code',
        'materials[0].get_num',
        'materials[1].material_name',
        'project_type',
        'status',
        'task_code',
      ].sort(),
    );
    for (const error of res.data.data) expect(error.message).toEqual(expect.any(String));
    expect((await admin('GET', '/cases')).data).toHaveLength(0);
  });

  it('accepts a 9-digit township area code and rejects malformed JSON and non-object bodies', async () => {
    await accept('PJ-TOWN', { area_code: '430626101' });
    const malformed = await platform('POST', '/cases/accept', undefined, { rawBody: '{"source_case_id": ' });
    expect(malformed.data.code).toBe('2001');
    expect(malformed.data.data).toEqual([{ field: 'body', message: expect.stringMatching(/^malformed JSON/) }]);
    const array = await platform('POST', '/cases/accept', [1, 2]);
    expect(array.data).toMatchObject({ code: '2001', data: [{ field: 'body', message: 'must be a JSON object' }] });
  });
});

describe('process / special / result: one seq counter per case', () => {
  it('follows the sequence rules: idempotent repeat, conflict, gap, close', async () => {
    const projectNo = await accept('PJ-SEQ');
    const p = (kind: string, body: unknown) => platform('POST', `/cases/${projectNo}/${kind}`, body);

    expect((await p('process', processBody(1))).data).toMatchObject({
      code: '0',
      data: { project_no: projectNo, seq: 1 },
    });
    expect((await p('process', processBody(2, { event_name: 'REVIEWED', process_name: '审核' }))).data.code).toBe('0');
    // Same seq, same content (keys in another order): idempotent success.
    const reordered = Object.fromEntries(
      Object.entries(processBody(2, { event_name: 'REVIEWED', process_name: '审核' })).reverse(),
    );
    expect((await p('process', reordered)).data.code).toBe('0');
    // Same seq, different content: conflict.
    expect((await p('process', processBody(2, { handle_explain: '不同' }))).data.code).toBe('2002');
    // Gap.
    const gap = await p('process', processBody(4));
    expect(gap.data).toMatchObject({ code: '3001', data: { last_seq: 2 } });
    // /special shares the counter.
    expect((await p('special', specialBody(3))).data.code).toBe('0');
    expect((await p('process', processBody(3))).data.code).toBe('2002');
    expect((await p('result', resultBody(4))).data.code).toBe('0');
    // Closed.
    expect((await p('process', processBody(5))).data.code).toBe('2003');
    expect((await p('special', specialBody(5))).data.code).toBe('2003');
    expect((await p('result', resultBody(5))).data.code).toBe('2003');
    // Replays of what was received stay successful after the close.
    expect((await p('result', resultBody(4))).data.code).toBe('0');
    expect((await p('process', processBody(1))).data.code).toBe('0');

    const view = await platform('GET', `/cases/${projectNo}`);
    expect(view.data).toEqual({
      code: '0',
      msg: expect.any(String),
      data: {
        project_no: projectNo,
        source_case_id: 'PJ-SEQ',
        org_code: ORG,
        last_seq: 4,
        status: 'COMPLETED',
        closed: true,
      },
    });
  });

  it('answers 2004 for an unknown project_no, and validates event bodies', async () => {
    expect((await platform('POST', '/cases/NOPE20261120000/process', processBody(1))).data.code).toBe('2004');
    expect((await platform('POST', '/cases/NOPE20261120000/result', resultBody(1))).data.code).toBe('2004');
    expect((await platform('GET', '/cases/NOPE20261120000')).data).toMatchObject({ code: '2004', data: null });

    const projectNo = await accept('PJ-VAL');
    const bad = await platform(
      'POST',
      `/cases/${projectNo}/process`,
      processBody(0, { event_name: 'FINISHED', event_end_time: '2026-11-20 09:00:00' }),
    );
    expect(bad.data.code).toBe('2001');
    expect(bad.data.data.map((e: { field: string }) => e.field).sort()).toEqual([
      'event_end_time',
      'event_name',
      'seq',
    ]);
    const badResult = await platform('POST', `/cases/${projectNo}/result`, {
      seq: 1,
      result_date: '2026-11-23 16:00:00',
      result_type: 9,
    });
    expect(badResult.data.data.map((e: { field: string }) => e.field).sort()).toEqual([
      'is_delivery_results',
      'result_type',
    ]);
  });
});

describe('signature checks', () => {
  it('answers 1001 for a wrong secret or a tampered body, 1002 for a stale timestamp, 1003 for a replay, 1004 for an unknown app', async () => {
    const body = acceptBody('PJ-SIG');
    expect((await platform('POST', '/cases/accept', body, { secret: 'wrong' })).data).toMatchObject({
      code: '1001',
      data: null,
    });
    expect(
      (await platform('POST', '/cases/accept', body, { signedBody: JSON.stringify(acceptBody('PJ-OTHER')) })).data.code,
    ).toBe('1001');
    const stale = await platform('POST', '/cases/accept', body, { now: Date.now() - 301_000 });
    expect(stale.status).toBe(200);
    expect(stale.data.code).toBe('1002');
    expect((await platform('POST', '/cases/accept', body, { appId: 'intruder' })).data.code).toBe('1004');

    const nonce = 'replayed-nonce-0123456789';
    expect((await platform('POST', '/cases/accept', body, { nonce })).data.code).toBe('0');
    expect((await platform('POST', '/cases/accept', body, { nonce })).data.code).toBe('1003');
    // A GET is signed over the empty body too.
    expect(
      (await platform('GET', '/reconcile?org_code=X&date=2026-11-20', undefined, { secret: 'wrong' })).data.code,
    ).toBe('1001');

    const stats = (await admin('GET', '/stats')).data;
    expect(stats.byEndpoint.accept.byCode).toMatchObject({ '0': 1, '1001': 2, '1002': 1, '1003': 1, '1004': 1 });
  });
});

describe('rate limit', () => {
  it('answers HTTP 429 with an integer Retry-After once an app id exceeds its rate', async () => {
    await admin('PATCH', '/faults', { rateLimitPerSecond: 3 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => platform('GET', '/cases/NOPE')));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(8);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    for (const r of limited) {
      expect(r.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    // Another app id has its own bucket.
    expect(
      (await platform('GET', '/cases/NOPE', undefined, { appId: 'other-app', secret: 'other-secret' })).status,
    ).toBe(200);
    expect((await admin('GET', '/stats')).data.rateLimited).toBe(limited.length);
    await admin('DELETE', '/faults');
  });
});

describe('faults', () => {
  it('adds latency', async () => {
    await admin('PUT', '/faults', { latencyMs: 300 });
    const started = Date.now();
    expect((await platform('GET', '/cases/NOPE')).data.code).toBe('2004');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect((await admin('GET', '/faults')).data.latencyMs).toBe(300);
  });

  it('answers HTTP 500 at the configured error rate', async () => {
    await admin('PUT', '/faults', { errorRate: 1 });
    expect((await platform('GET', '/cases/NOPE')).status).toBe(500);
  });

  it('drops connections or answers 503 during an outage, and recovers when cleared', async () => {
    await admin('PUT', '/faults', { outage: true });
    await expect(platform('GET', '/cases/NOPE')).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|ERR_SOCKET|ECONNABORTED/),
    });
    // Health and admin stay up so the outage can be ended.
    expect((await http.get(`${sim.origin}/health`)).status).toBe(200);
    await admin('PUT', '/faults', { outage: '503' });
    expect((await platform('GET', '/cases/NOPE')).status).toBe(503);
    await admin('DELETE', '/faults');
    expect((await platform('GET', '/cases/NOPE')).data.code).toBe('2004');
    const stats = (await admin('GET', '/stats')).data;
    expect(stats.dropped).toBe(1);
    expect(stats.byHttpStatus['503']).toBe(1);
  });

  it('forces a business code for one case only, a given number of times', async () => {
    const a = await accept('PJ-A');
    const b = await accept('PJ-B');
    const put = await admin('PUT', '/faults', {
      businessCodes: [{ code: '9999', projectNo: a, endpoint: 'process', times: 2 }],
    });
    expect(put.status).toBe(200);
    expect((await platform('POST', `/cases/${a}/process`, processBody(1))).data.code).toBe('9999');
    expect((await platform('POST', `/cases/${b}/process`, processBody(1))).data.code).toBe('0');
    expect((await platform('GET', `/cases/${a}`)).data.code).toBe('0');
    expect((await platform('POST', `/cases/${a}/process`, processBody(1))).data.code).toBe('9999');
    expect((await platform('POST', `/cases/${a}/process`, processBody(1))).data.code).toBe('0');
    expect((await admin('GET', '/faults')).data.businessCodes[0]).toMatchObject({ hits: 2, times: 2 });

    // By source case id, on accept: a forced 2004-style code before the case even exists.
    await admin('PUT', '/faults', { businessCodes: [{ code: '2001', sourceCaseId: 'PJ-C' }] });
    const forced = await platform('POST', '/cases/accept', acceptBody('PJ-C'));
    expect(forced.data).toMatchObject({ code: '2001', data: [{ field: '*' }] });
    const calls = (await admin('GET', '/received?source_case_id=PJ-C')).data;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ endpoint: 'accept', code: '2001', fault: 'businessCode' });
  });

  it('rejects impossible fault settings with HTTP 400', async () => {
    expect((await admin('PUT', '/faults', { errorRate: 2 })).status).toBe(400);
    expect((await admin('PUT', '/faults', { businessCodes: [{ code: '9999', endpoint: 'nowhere' }] })).status).toBe(
      400,
    );
    expect(
      (await http.put(`${sim.origin}/admin/faults`, '{oops', { headers: { 'Content-Type': 'application/json' } }))
        .status,
    ).toBe(400);
  });
});

describe('GET /reconcile and POST /licenses', () => {
  it('lists the cases of an organisation filed under a date', async () => {
    const first = await accept('PJ-R1');
    const second = await accept('PJ-R2', { accept_date: undefined, apply_date: '2026-11-20 23:59:59' });
    await accept('PJ-R3', { accept_date: '2026-11-21 08:00:00' });
    await accept('PJ-R4', { org_code: 'ANOTHER-ORG' });
    await platform('POST', `/cases/${first}/process`, processBody(1));
    await platform('POST', `/cases/${second}/result`, resultBody(1));

    const res = await platform('GET', `/reconcile?org_code=${ORG}&date=2026-11-20`);
    expect(res.data.code).toBe('0');
    expect(res.data.data).toEqual([
      { project_no: first, source_case_id: 'PJ-R1', last_seq: 1, closed: false },
      { project_no: second, source_case_id: 'PJ-R2', last_seq: 1, closed: true },
    ]);
    const bad = await platform('GET', '/reconcile?date=20261120');
    expect(bad.data).toMatchObject({ code: '2001' });
    expect(bad.data.data.map((e: { field: string }) => e.field)).toEqual(['org_code', 'date']);
  });

  it('registers licences of known cases', async () => {
    const projectNo = await accept('PJ-L');
    const license = {
      certificate_name: '食品经营许可证',
      certificate_number: 'JY14306260001',
      certificate_type_code: '11100000000013338W011',
      certificate_holder: '某某餐饮店',
      certificate_holder_code: '91430626MA4L000000',
      certificate_holder_type: '2',
      issue_dept: '平江县市场监督管理局',
      issue_dept_code: '11430626MB1234567X',
      issue_date: '2026-11-23',
      certificate_area_code: '430626',
      project_no: projectNo,
    };
    expect((await platform('POST', '/licenses', license)).data.code).toBe('0');
    expect((await platform('POST', '/licenses', { ...license, project_no: 'NOPE' })).data.code).toBe('2004');
    const bad = await platform('POST', '/licenses', { ...license, issue_date: 'yesterday', certificate_holder: '' });
    expect(bad.data.data.map((e: { field: string }) => e.field).sort()).toEqual(['certificate_holder', 'issue_date']);
    expect((await admin('GET', '/licenses')).data).toHaveLength(1);
  });
});

describe('admin inspection', () => {
  it('lists what was received for a case, in order, with outcomes, and counts by endpoint and code', async () => {
    const projectNo = await accept('PJ-I');
    await platform('POST', `/cases/${projectNo}/process`, processBody(1));
    await platform('POST', `/cases/${projectNo}/process`, processBody(3));
    await accept('PJ-J');

    const calls = (await admin('GET', `/received?project_no=${projectNo}`)).data;
    expect(calls.map((c: { endpoint: string; code: string }) => [c.endpoint, c.code])).toEqual([
      ['accept', '0'],
      ['process', '0'],
      ['process', '3001'],
    ]);
    expect(calls[1]).toMatchObject({ appId: APP, sourceCaseId: 'PJ-I', httpStatus: 200, body: processBody(1) });
    expect(calls[1].receivedAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect((await admin('GET', '/received?source_case_id=PJ-I')).data).toHaveLength(3);

    const cases = (await admin('GET', '/cases')).data;
    expect(cases.find((c: { projectNo: string }) => c.projectNo === projectNo)).toMatchObject({
      lastSeq: 1,
      events: [{ seq: 1, kind: 'process' }],
    });

    const stats = (await admin('GET', '/stats')).data;
    expect(stats).toMatchObject({
      total: 4,
      byCode: { '0': 3, '3001': 1 },
      byEndpoint: { accept: { total: 2, byCode: { '0': 2 } }, process: { total: 2, byCode: { '0': 1, '3001': 1 } } },
      rateLimited: 0,
      cases: 2,
    });

    await admin('POST', '/reset');
    expect((await admin('GET', '/received')).data).toEqual([]);
    expect((await admin('GET', '/stats')).data.total).toBe(0);
  });
});

describe('callbacks to the gateway', () => {
  const verifyCallback = (r: Received, cache: NonceCache) =>
    verifySignedRequest({
      headers: r.headers,
      rawBody: r.body,
      secretFor: (id) => (id === CALLBACK_APP ? CALLBACK_SECRET : undefined),
      alg: 'hmac-sm3',
      nonceSeen: (id, nonce) => cache.seen(id, nonce),
    });

  it('delivers a signed callback and retries while the receiver fails', async () => {
    answer = (n, res) => {
      if (n === 1) {
        res.statusCode = 500;
        res.end('oops');
      } else if (n === 2) res.end('{"code":"9999","msg":"busy"}');
      else res.end('{"code":"0"}');
    };
    const sent = await admin('POST', '/callbacks', {
      type: 'URGE',
      data: { project_no: 'P1', message: '请加快办理', deadline: '2026-11-30 17:00:00' },
    });
    expect(sent.status).toBe(202);
    const callbackId = sent.data.callbackId as string;

    const delivery = await waitFor(async () => {
      const list = (await admin('GET', '/callbacks')).data as { callbackId: string; status: string }[];
      const found = list.find((d) => d.callbackId === callbackId);
      return found && found.status !== 'PENDING' ? found : undefined;
    });
    expect(delivery).toMatchObject({
      status: 'DELIVERED',
      attempts: [
        { ok: false, httpStatus: 500 },
        { ok: false, responseCode: '9999' },
        { ok: true, responseCode: '0' },
      ],
    });

    expect(received).toHaveLength(3);
    const cache = new NonceCache();
    for (const r of received) {
      expect(verifyCallback(r, cache)).toEqual({ ok: true, appId: CALLBACK_APP });
      const body = JSON.parse(r.body);
      expect(body).toEqual({
        callback_id: callbackId,
        type: 'URGE',
        occurred_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
        data: { project_no: 'P1', message: '请加快办理', deadline: '2026-11-30 17:00:00' },
      });
    }
    expect((await admin('GET', '/stats')).data.callbacks).toMatchObject({ DELIVERED: 1 });
  });

  it('treats no answer within the timeout as a failure and gives up after 5 retries', async () => {
    answer = (n, res) => {
      if (n === 1) setTimeout(() => res.end('{"code":"0"}'), 600);
      else res.end('{"code":"1"}');
    };
    const sent = await admin('POST', '/callbacks', {
      type: 'EVALUATION',
      callback_id: 'cb-fixed-1',
      data: { project_no: 'P2', level: 5, channel: 'app', evaluated_at: '2026-11-24 10:00:00' },
    });
    expect(sent.data.callbackId).toBe('cb-fixed-1');
    const delivery = await waitFor(async () => {
      const [found] = (await admin('GET', '/callbacks')).data as { status: string; attempts: { error?: string }[] }[];
      return found.status === 'FAILED' ? found : undefined;
    });
    expect(delivery.attempts).toHaveLength(6);
    expect(delivery.attempts[0].error).toMatch(/no answer within 300 ms/);
  });

  it('rejects unknown callback types', async () => {
    expect((await admin('POST', '/callbacks', { type: 'HELLO', data: {} })).status).toBe(400);
    expect((await admin('POST', '/callbacks', { type: 'WITHDRAWN', data: 'x' })).status).toBe(400);
  });
});

describe('configuration variants', () => {
  let other: RunningSimulator;
  beforeAll(async () => {
    other = await startPlatformSimulator({
      port: 0,
      apps: { [APP]: SECRET },
      signAlg: 'hmac-sha256',
      adminToken: 'admin-token',
    });
  });
  afterAll(() => other.close());

  it('verifies HMAC-SHA256 when so configured', async () => {
    expect((await platform('GET', '/cases/NOPE', undefined, { base: other.url, alg: 'hmac-sha256' })).data.code).toBe(
      '2004',
    );
    expect((await platform('GET', '/cases/NOPE', undefined, { base: other.url })).data.code).toBe('1001');
  });

  it('protects /admin with the bearer token and answers 409 for callbacks without a URL', async () => {
    expect((await admin('GET', '/stats', undefined, other.origin)).status).toBe(401);
    const withToken = { headers: { Authorization: 'Bearer admin-token', 'Content-Type': 'application/json' } };
    expect((await http.get(`${other.origin}/admin/stats`, withToken)).status).toBe(200);
    const cb = await http.post(
      `${other.origin}/admin/callbacks`,
      JSON.stringify({ type: 'URGE', data: {} }),
      withToken,
    );
    expect(cb.status).toBe(409);
  });

  it('refuses impossible options at creation', async () => {
    await expect(startPlatformSimulator({ port: 0, apps: {}, rateLimitPerSecond: 0 })).rejects.toThrow(
      /rateLimitPerSecond/,
    );
    await expect(startPlatformSimulator({ port: 0, apps: {}, callbackUrl: 'http://x.test/cb' })).rejects.toThrow(
      /callbackSecret/,
    );
  });
});
