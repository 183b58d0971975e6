/**
 * The department simulators over real HTTP: each push department answers in its documented shape,
 * GBK survives rare characters both ways, faults really happen (down = connection refused), and
 * YBJ's client takes each inbox item once and acknowledges it once.
 */
import axios, { type AxiosResponse } from 'axios';
import * as iconv from 'iconv-lite';
import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import {
  buildBdcXml,
  encodeGbk,
  startDepartmentSimulators,
  YbjInboxClient,
  type BdcDocumentInput,
  type RunningDepartmentSimulators,
} from '#gw/dept-simulators';

const BDC_MATTER = '12430626MB234567830000173001000';
const SCJG_MATTER = '11430626MB123456250000120001000';
const RSJ_MATTER = '11430626MB345678350000140001000';

// No keep-alive: a pooled socket to a server that just went down would turn a refusal into a reset.
const http = axios.create({
  validateStatus: () => true,
  responseType: 'arraybuffer',
  transformRequest: [(data: unknown) => data],
  httpAgent: new Agent({ keepAlive: false }),
});

const gb = (bytes: ArrayBuffer | Buffer): string =>
  new TextDecoder('gb18030').decode(Buffer.from(bytes as ArrayBuffer));
const utf8 = (bytes: ArrayBuffer | Buffer): string => Buffer.from(bytes as ArrayBuffer).toString('utf8');

function bdcApplication(sbh: string, overrides: Partial<BdcDocumentInput> = {}): Buffer {
  return encodeGbk(buildBdcXml({ hj: '网上申报', sbh, sxbm: BDC_MATTER, ...overrides }));
}

const postBdc = (body: Buffer, contentType = 'text/xml; charset=GBK') =>
  http.post(sims.bdc.url, body, { headers: { 'Content-Type': contentType } });

const postScjg = (body: unknown) =>
  http.post(sims.scjg.url, JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } });

const postRsj = (form: Record<string, string>) =>
  http.post(sims.rsj.url, new URLSearchParams(form).toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });

function bdcResult(res: AxiosResponse): { code: string; msg: string; id: string } {
  const text = gb(res.data);
  const pick = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1] ?? '';
  return { code: pick('CODE'), msg: pick('MSG'), id: pick('ID') };
}

const scjgApplication = (platformNo: string) => ({
  platformNo,
  itemCode: SCJG_MATTER,
  itemName: '企业设立登记',
  applicant: { type: 'ENTERPRISE', name: '平江县某某农业发展有限公司', uscc: '91330102MA28NBU477' },
});

const rsjApplication = (sbh: string): Record<string, string> => ({
  sbh,
  sxbm: RSJ_MATTER,
  sxmc: '就业失业登记',
  sqrxm: '李四',
  sqrsfzh: '430626850312004',
  sqrsjh: '13800000000',
});

/** Resolves with the error code of a TCP connection attempt (undefined when it connected). */
function tryConnect(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
}

let sims: RunningDepartmentSimulators;

beforeAll(async () => {
  sims = await startDepartmentSimulators();
});

afterAll(async () => {
  await sims?.close();
});

beforeEach(async () => {
  await Promise.all([sims.bdc.reset(), sims.scjg.reset(), sims.rsj.reset()]);
});

describe('BDC (GBK XML)', () => {
  it('accepts an online application with a new 受理编号 in a GBK <RESULT>', async () => {
    const body = bdcApplication('P2026112000001');
    const res = await postBdc(body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml; charset=GBK$/i);
    const result = bdcResult(res);
    expect(result).toEqual({ code: '0', msg: '成功', id: expect.stringMatching(/^\d{12}$/) });

    const [received] = sims.bdc.received();
    expect(received).toMatchObject({ accepted: true, projectNo: 'P2026112000001', caseNo: result.id });
    expect(received.parsed).toMatchObject({ hj: '网上申报', sbh: 'P2026112000001', sxbm: BDC_MATTER });
    expect(received.parsed?.qlr).toEqual([{ qlrmc: '李四', zjzl: '1', zjh: '430626198503120040', dh: '13800000000' }]);
    expect(received.headers['content-type']).toBe('text/xml; charset=GBK');
    expect(received.rawBody.equals(body)).toBe(true);
  });

  it('decodes rare characters intact and answers in GBK/GB18030 bytes', async () => {
    const body = bdcApplication('P2026112000002', {
      qlr: [
        { qlrmc: '䶮𠮷', zjzl: '1', zjh: '430626198503120040', dh: '13800000000' },
        { qlrmc: '王𠮷', zjzl: '3', zjh: 'E12345678' },
      ],
      zl: '平江县汉昌街道天岳大道88号',
    });
    // 𠮷 exists only as a GB18030 four-byte sequence: the request really is GB18030, not UTF-8.
    expect(body.includes(Buffer.from('9534b235', 'hex'))).toBe(true);
    const res = await postBdc(body);
    expect(bdcResult(res).code).toBe('0');
    const raw = Buffer.from(res.data as ArrayBuffer);
    expect(raw.includes(iconv.encode('成功', 'gbk'))).toBe(true);
    expect(raw.includes(Buffer.from('成功', 'utf8'))).toBe(false);

    const parsed = sims.bdc.received()[0].parsed!;
    expect(parsed.qlr.map((q) => q.qlrmc)).toEqual(['䶮𠮷', '王𠮷']);
    expect(parsed.zl).toBe('平江县汉昌街道天岳大道88号');
  });

  it('gives a re-sent application the 受理编号 it already has', async () => {
    const first = bdcResult(await postBdc(bdcApplication('P2026112000003')));
    const again = bdcResult(await postBdc(bdcApplication('P2026112000003')));
    const other = bdcResult(await postBdc(bdcApplication('P2026112000004')));
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(sims.bdc.received().map((r) => r.duplicate)).toEqual([false, true, false]);
  });

  it.each([
    ['a stage other than 网上申报', bdcApplication('P1', { hj: '受理' }), 'text/xml; charset=GBK', /HJ/],
    ['no SBH', bdcApplication(''), 'text/xml; charset=GBK', /SBH/],
    ['another department’s matter', bdcApplication('P1', { sxbm: SCJG_MATTER }), 'text/xml; charset=GBK', /SXBM/],
    ['no owner', bdcApplication('P1', { qlr: [] }), 'text/xml; charset=GBK', /QLR/],
    [
      'an unknown ZJZL',
      bdcApplication('P1', { qlr: [{ qlrmc: '李四', zjzl: '7', zjh: '1' }] }),
      'text/xml; charset=GBK',
      /ZJZL/,
    ],
    ['broken XML', encodeGbk('<BDCSJ><YWXX>'), 'text/xml; charset=GBK', /XML/],
    [
      'a UTF-8 label',
      Buffer.from(buildBdcXml({ hj: '网上申报', sbh: 'P1' }), 'utf8'),
      'text/xml; charset=UTF-8',
      /GBK/,
    ],
    ['JSON', Buffer.from('{}'), 'application/json', /Content-Type/],
  ])('answers a non-zero CODE with the reason for %s', async (_what, body, contentType, reason) => {
    const res = await postBdc(body, contentType);
    expect(res.status).toBe(200);
    const result = bdcResult(res);
    expect(result.code).not.toBe('0');
    expect(result.msg).toMatch(reason);
    expect(result.id).toBe('');
    expect(sims.bdc.received()[0]).toMatchObject({ accepted: false, error: expect.stringMatching(reason) });
  });

  it('answers an injected replyCode as a non-zero CODE', async () => {
    await sims.bdc.setFaults({ replyCode: '2001' });
    const result = bdcResult(await postBdc(bdcApplication('P2026112000005')));
    expect(result.code).toBe('2001');
    expect(result.msg).not.toBe('');
    expect(sims.bdc.received()[0]).toMatchObject({ accepted: false, fault: 'replyCode' });
  });
});

describe('SCJG (JSON webhook)', () => {
  it('answers {"success": true, "bizNo"} and keeps the application', async () => {
    const res = await postScjg(scjgApplication('P2026112000010'));
    expect(res.status).toBe(200);
    const body = JSON.parse(utf8(res.data)) as { success: boolean; bizNo: string };
    expect(body).toEqual({ success: true, bizNo: expect.stringMatching(/^SCJG-\d{4}-\d{6}$/) });
    const [received] = sims.scjg.received();
    expect(received).toMatchObject({ accepted: true, caseNo: body.bizNo, projectNo: 'P2026112000010' });
    expect(received.parsed).toMatchObject({ itemCode: SCJG_MATTER, applicant: { name: '平江县某某农业发展有限公司' } });
  });

  it('answers non-2xx for malformed applications and an injected replyCode', async () => {
    const bad = await http.post(sims.scjg.url, '{not json', { headers: { 'Content-Type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(utf8(bad.data))).toMatchObject({ success: false });
    expect((await postScjg({ itemCode: SCJG_MATTER })).status).toBe(400);
    expect((await postScjg({ ...scjgApplication('P1'), itemCode: RSJ_MATTER })).status).toBe(400);
    const form = await http.post(sims.scjg.url, 'a=1', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    await sims.scjg.setFaults({ replyCode: 'E100' });
    const refused = await postScjg(scjgApplication('P2026112000011'));
    expect(refused.status).toBe(422);
    expect(JSON.parse(utf8(refused.data))).toMatchObject({ success: false, code: 'E100' });
    expect(sims.scjg.accepted()).toHaveLength(0);
  });
});

describe('RSJ (form POST)', () => {
  it('answers OK and keeps the decoded form', async () => {
    const res = await postRsj({ ...rsjApplication('P2026112000020'), sqrxm: '䶮𠮷' });
    expect(res.status).toBe(200);
    expect(utf8(res.data)).toBe('OK');
    const [received] = sims.rsj.received();
    expect(received).toMatchObject({
      accepted: true,
      projectNo: 'P2026112000020',
      caseNo: expect.stringMatching(/^RS\d{13}$/),
    });
    expect(received.parsed).toMatchObject({ sqrxm: '䶮𠮷', sxmc: '就业失业登记', sqrsfzh: '430626850312004' });
  });

  it('answers ERR:<reason> for a malformed form and an injected replyCode', async () => {
    const { sqrxm: _omitted, ...noName } = rsjApplication('P2026112000021');
    expect(utf8((await postRsj(noName)).data)).toBe('ERR:缺少sqrxm');
    const json = await http.post(sims.rsj.url, '{}', { headers: { 'Content-Type': 'application/json' } });
    expect(utf8(json.data)).toMatch(/^ERR:.*Content-Type/);

    await sims.rsj.setFaults({ replyCode: '系统维护' });
    expect(utf8((await postRsj(rsjApplication('P2026112000022'))).data)).toBe('ERR:系统维护');
    expect(sims.rsj.accepted()).toHaveLength(0);
  });
});

describe('faults', () => {
  it('down refuses connections, then listens again on the same port', async () => {
    const port = Number(new URL(sims.bdc.url).port);
    await sims.bdc.setFaults({ down: true });
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    await expect(postBdc(bdcApplication('P2026112000030'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await sims.bdc.setFaults({});
    expect(Number(new URL(sims.bdc.url).port)).toBe(port);
    expect(await tryConnect(port)).toBeUndefined();
    expect(bdcResult(await postBdc(bdcApplication('P2026112000030'))).code).toBe('0');
    // Nothing arrived while it was down.
    expect(sims.bdc.received()).toHaveLength(1);
  });

  it('reset() brings a downed department back', async () => {
    const port = Number(new URL(sims.rsj.url).port);
    await sims.rsj.setFaults({ down: true });
    await sims.rsj.reset();
    expect(await tryConnect(port)).toBeUndefined();
  });

  it('status answers that HTTP status until cleared', async () => {
    await sims.scjg.setFaults({ status: 503 });
    expect((await postScjg(scjgApplication('P2026112000031'))).status).toBe(503);
    expect((await postScjg(scjgApplication('P2026112000031'))).status).toBe(503);
    await sims.scjg.setFaults({});
    expect((await postScjg(scjgApplication('P2026112000031'))).status).toBe(200);
    expect(sims.scjg.received().map((r) => r.fault)).toEqual(['status', 'status', undefined]);
    expect(sims.scjg.accepted()).toHaveLength(1);
  });

  it('failNext fails exactly the next N requests with 500', async () => {
    await sims.rsj.setFaults({ failNext: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await postRsj(rsjApplication('P2026112000032'))).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(sims.rsj.currentFaults().failNext).toBe(0);
    expect(sims.rsj.accepted()).toHaveLength(1);
  });

  it('latencyMs delays the answer', async () => {
    await sims.bdc.setFaults({ latencyMs: 400 });
    const started = Date.now();
    const res = await postBdc(bdcApplication('P2026112000033'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(bdcResult(res).code).toBe('0');
  });

  it('rejects impossible faults', async () => {
    await expect(sims.bdc.setFaults({ status: 42 })).rejects.toThrow(/status/);
    await expect(sims.bdc.setFaults({ failNext: -1 })).rejects.toThrow(/failNext/);
    await expect(sims.bdc.setFaults({ replyCode: '0' })).rejects.toThrow(/replyCode/);
  });

  it('health and unknown paths do not count as received', async () => {
    expect(utf8((await http.get(`${new URL(sims.bdc.url).origin}/health`)).data)).toBe('ok');
    expect((await http.post(`${new URL(sims.bdc.url).origin}/elsewhere`, 'x')).status).toBe(404);
    expect((await http.get(sims.bdc.url)).status).toBe(405);
    expect(sims.bdc.received()).toHaveLength(0);
  });
});

/** A stand-in for the gateway: its YBJ inbox, and a sink for department events. */
class FakeGateway {
  server: Server;
  url = '';
  inbox: { id: string; type: string; payload: unknown; deliveredAt: string }[] = [];
  acks = new Map<string, number>();
  /** Ack calls to fail (HTTP 500) before they start succeeding. */
  failAcks = 0;
  events: { path: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  unauthorised = 0;

  constructor(private readonly token: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        if (path.endsWith('/events')) {
          this.events.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
          res
            .writeHead(202, { 'Content-Type': 'application/json' })
            .end('{"eventId":"e1","caseId":"c1","status":"ACCEPTED"}');
          return;
        }
        if (req.headers.authorization !== `Bearer ${this.token}`) {
          this.unauthorised++;
          res.writeHead(401).end();
          return;
        }
        if (req.method === 'GET' && path === '/api/v1/departments/ybj/inbox') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ items: this.inbox }));
          return;
        }
        const ack = /^\/api\/v1\/departments\/ybj\/inbox\/([^/]+)\/ack$/.exec(path);
        if (req.method === 'POST' && ack) {
          if (this.failAcks > 0) {
            this.failAcks--;
            res.writeHead(500).end();
            return;
          }
          const id = decodeURIComponent(ack[1]);
          this.acks.set(id, (this.acks.get(id) ?? 0) + 1);
          this.inbox = this.inbox.filter((i) => i.id !== id);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
          return;
        }
        res.writeHead(404).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(id: string, payload: unknown = { project_no: id, task_code: '11430626MB456789960000150001000' }): void {
    this.inbox.push({ id, type: 'ONLINE_APPLICATION', payload, deliveredAt: new Date().toISOString() });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('YBJ (inbox client)', () => {
  let gateway: FakeGateway;

  beforeEach(async () => {
    gateway = new FakeGateway('ybj-token');
    await gateway.start();
  });

  afterEach(async () => {
    await gateway.close();
  });

  it('takes every inbox item and acknowledges each exactly once', async () => {
    const ybj = new YbjInboxClient({ gatewayUrl: gateway.url, token: 'ybj-token' });
    gateway.add('inbox-1');
    gateway.add('inbox/2', { project_no: 'P2', applyer_name: '䶮𠮷' });

    const first = await ybj.pollOnce();
    expect(first).toMatchObject({
      listed: 2,
      taken: ['inbox-1', 'inbox/2'],
      acked: ['inbox-1', 'inbox/2'],
      ackFailed: [],
    });
    const second = await ybj.pollOnce();
    expect(second).toMatchObject({ listed: 0, taken: [], acked: [] });

    expect(Object.fromEntries(gateway.acks)).toEqual({ 'inbox-1': 1, 'inbox/2': 1 });
    expect(ybj.received().map((i) => [i.id, i.type, Boolean(i.ackedAt)])).toEqual([
      ['inbox-1', 'ONLINE_APPLICATION', true],
      ['inbox/2', 'ONLINE_APPLICATION', true],
    ]);
    expect(ybj.received()[1].payload).toEqual({ project_no: 'P2', applyer_name: '䶮𠮷' });
    expect(gateway.unauthorised).toBe(0);
  });

  it('concurrent polls share one poll, so nothing is acknowledged twice', async () => {
    const ybj = new YbjInboxClient({ gatewayUrl: gateway.url, token: 'ybj-token' });
    gateway.add('a');
    gateway.add('b');
    await Promise.all([ybj.pollOnce(), ybj.pollOnce(), ybj.pollOnce()]);
    expect(Object.fromEntries(gateway.acks)).toEqual({ a: 1, b: 1 });
  });

  it('acknowledges again an item whose ack failed, without taking it twice', async () => {
    const ybj = new YbjInboxClient({ gatewayUrl: gateway.url, token: 'ybj-token' });
    gateway.add('x');
    gateway.failAcks = 1;
    const first = await ybj.pollOnce();
    expect(first).toMatchObject({ taken: ['x'], acked: [], ackFailed: [{ id: 'x' }] });
    expect(ybj.received()[0].ackedAt).toBeUndefined();

    const second = await ybj.pollOnce();
    expect(second).toMatchObject({ listed: 1, taken: [], acked: ['x'] });
    expect(ybj.received()).toHaveLength(1);
    expect(ybj.received()[0]).toMatchObject({ ackAttempts: 2, ackedAt: expect.any(String) });
    expect(gateway.acks.get('x')).toBe(1);
  });

  it('reports a refused inbox call', async () => {
    const ybj = new YbjInboxClient({ gatewayUrl: gateway.url, token: 'wrong' });
    await expect(ybj.pollOnce()).rejects.toThrow(/HTTP 401/);
    await expect(new YbjInboxClient().pollOnce()).rejects.toThrow(/gatewayUrl and token/);
  });

  it('polls on its own at the configured interval until stopped', async () => {
    const ybj = new YbjInboxClient({ gatewayUrl: `${gateway.url}/`, token: 'ybj-token', pollIntervalMs: 50 });
    ybj.start();
    gateway.add('late-1');
    const deadline = Date.now() + 5000;
    while (!gateway.acks.has('late-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    gateway.add('late-2');
    while (!gateway.acks.has('late-2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await ybj.stop();
    expect(Object.fromEntries(gateway.acks)).toEqual({ 'late-1': 1, 'late-2': 1 });

    gateway.add('after-stop');
    await new Promise((r) => setTimeout(r, 200));
    expect(gateway.acks.has('after-stop')).toBe(false);
    expect(ybj.isRunning).toBe(false);
  });

  it('startDepartmentSimulators wires YBJ to the gateway', async () => {
    const all = await startDepartmentSimulators({ gatewayUrl: gateway.url, ybjToken: 'ybj-token' });
    try {
      gateway.add('wired');
      expect((await all.ybj.pollOnce()).acked).toEqual(['wired']);
      expect(all.urls).toEqual({ BDC: all.bdc.url, SCJG: all.scjg.url, RSJ: all.rsj.url });
    } finally {
      await all.close();
    }
  });

  it('each push department sends its stage events in its own format', async () => {
    const bdc = await sims.bdc.sendEvent(gateway.url, 'bdc-token', {
      hj: '受理',
      slbh: '202611200001',
      sbh: 'P1',
      sxbm: BDC_MATTER,
      qlr: [{ qlrmc: '䶮𠮷', zjzl: '1', zjh: '430626198503120040' }],
    });
    const scjg = await sims.scjg.sendEvent(gateway.url, 'scjg-token', {
      bizNo: 'SCJG-2026-000001',
      status: 20,
      platformNo: 'P2',
    });
    const rsj = await sims.rsj.sendEvent(gateway.url, 'rsj-token', {
      ywbh: 'RS2026112000001',
      zt: 'SL',
      sbh: 'P3',
      sqrxm: '王五',
    });
    expect([bdc.status, scjg.status, rsj.status]).toEqual([202, 202, 202]);
    expect(scjg.json).toMatchObject({ eventId: 'e1' });

    const [b, s, r] = gateway.events;
    expect(b.path).toBe('/api/v1/departments/bdc/events');
    expect(b.headers).toMatchObject({ 'content-type': 'text/xml; charset=GBK', authorization: 'Bearer bdc-token' });
    const xml = gb(b.body);
    expect(xml).toContain('<HJ>受理</HJ>');
    expect(xml).toContain('<QLRMC>䶮𠮷</QLRMC>');
    expect(b.body.includes(Buffer.from('受理', 'utf8'))).toBe(false);

    expect(s.path).toBe('/api/v1/departments/scjg/events');
    expect(JSON.parse(utf8(s.body))).toMatchObject({
      bizNo: 'SCJG-2026-000001',
      status: 20,
      platformNo: 'P2',
      eventId: expect.any(String),
    });

    expect(r.path).toBe('/api/v1/departments/rsj/events');
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(utf8(r.body)))).toMatchObject({
      ywbh: 'RS2026112000001',
      zt: 'SL',
      sbh: 'P3',
      sqrxm: '王五',
    });
  });
});
