import request from 'supertest';
import { In } from 'typeorm';
import { formatBeijingDateTime } from '#gw/case';
import { DepartmentDispatcher } from '#gw/callbacks';
import {
  YbjInboxClient,
  beijingCompactDateTime,
  beijingDateTime,
  beijingIso,
  startDepartmentSimulators,
} from '#gw/dept-simulators';
import { OutboxEntity } from '#gw/persistence';
import { OPERATOR_TOKEN, TOKENS, TestGateway, startTestGateway } from '../support/test-gateway';
import { platformAdmin } from '../support/platform-admin';
import { onlineApplication, postCallback } from '../support/callbacks';
import { scjgEvent } from '../support/scjg-events';
import { waitFor } from '../support/wait-for';

/** A matter of each department, from config/catalogue.yaml. */
const MATTERS = {
  BDC: { code: '12430626MB234567830000173001000', name: '国有建设用地使用权及房屋所有权首次登记' },
  RSJ: { code: '11430626MB345678350000140001000', name: '就业失业登记' },
  SCJG: { code: '11430626MB123456250000120001000', name: '企业设立登记' },
  YBJ: { code: '11430626MB456789960000150001000', name: '异地就医备案' },
} as const;
type Dept = keyof typeof MATTERS;

/** A name GBK lacks (𠮷) and one only GB18030's extensions carry (䶮): BDC must get them intact. */
const RARE_NAME = '刘䶮𠮷';
const YBJ_HEADER = [
  '流水号',
  '业务编号',
  '申办号',
  '事项编码',
  '事项名称',
  '环节',
  '环节时间',
  '申请人姓名',
  '证件号码',
  '联系电话',
  '经办人',
  '办理意见',
  '办理结果',
  '办理地点',
];
const INBOX_LEASE_MS = 1500;

/** The platform's data of an online application to `dept`: a person for BDC, RSJ and YBJ, a company for SCJG. */
function application(dept: Dept, applyDate: string, overrides: Record<string, unknown> = {}) {
  const { code, name } = MATTERS[dept];
  const person = {
    applyer_type: 1,
    applyer_page_type: '111',
    applyer_page_code: '430626198503120040',
    legal: undefined,
    project_name: `${name}（网上申请）`,
  };
  const who: Record<Dept, Record<string, unknown>> = {
    BDC: { ...person, applyer_name: RARE_NAME },
    RSJ: { ...person, applyer_name: '王五', applyer_page_code: '430626199001010022' },
    YBJ: { ...person, applyer_name: '赵六', applyer_page_code: '430626200107081238' },
    SCJG: {},
  };
  return JSON.parse(
    JSON.stringify(onlineApplication(code, { task_name: name, apply_date: applyDate, ...who[dept], ...overrides })),
  );
}

jest.setTimeout(60_000);

describe("platform callbacks to BDC, RSJ, SCJG (pushed) and YBJ (fetched); their stages come back under the platform's project_no", () => {
  let gw: TestGateway;
  let sims: Awaited<ReturnType<typeof startDepartmentSimulators>>;
  let ybj: YbjInboxClient;
  const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
  const ybjAuth = { Authorization: `Bearer ${TOKENS.YBJ}` };
  const admin = () => platformAdmin(gw.platform);
  /** The application's time, half an hour ago; the departments' stages follow it, all in the past. */
  const base = Date.now() - 30 * 60_000;
  const at = (minutes: number) => base + minutes * 60_000;

  /** The platform opens a case for an online application and calls the gateway back with it. */
  const applyOnline = async (dept: Dept, overrides: Record<string, unknown> = {}): Promise<string> =>
    (
      await request(gw.platform.origin)
        .post('/admin/online-applications')
        .send(application(dept, formatBeijingDateTime(base), overrides))
        .expect(202)
    ).body.projectNo;
  /** What the gateway recorded for the online application of a project (operators' view). */
  const callbackOf = async (projectNo: string) =>
    (
      (await request(gw.url).get('/api/v1/callbacks').set(op).query({ type: 'ONLINE_APPLICATION' }).expect(200)).body
        .items as any[]
    ).find((c) => c.projectNo === projectNo);
  const accepted = (sim: { received(): any[] }, projectNo: string) =>
    sim.received().filter((r) => r.projectNo === projectNo && r.accepted);
  const ybjCsv = (...rows: (string | number)[][]) =>
    Buffer.from(`\uFEFF${YBJ_HEADER.join(',')}\r\n${rows.map((r) => r.join(',')).join('\r\n')}\r\n`, 'utf8');
  const ybjTime = (ms: number) => {
    const [d, t] = beijingDateTime(ms).split(' ');
    const [y, mo, day] = d.split('-').map(Number);
    const [h, mi] = t.split(':');
    return `${y}/${mo}/${day} ${Number(h)}:${mi}`;
  };

  beforeAll(async () => {
    sims = await startDepartmentSimulators({});
    gw = await startTestGateway({
      env: {
        DEPT_BDC_URL: sims.bdc.url,
        DEPT_RSJ_URL: sims.rsj.url,
        DEPT_SCJG_URL: sims.scjg.url,
        BREAKER_RESET_MS: '1000',
        INBOX_LEASE_MS: String(INBOX_LEASE_MS),
      },
    });
    ybj = new YbjInboxClient({ gatewayUrl: gw.url, token: TOKENS.YBJ });
  });
  afterAll(async () => {
    await ybj?.stop();
    await gw?.close();
    await sims?.close();
  });

  const projects = {} as Record<Dept, string>;
  const caseNos = {} as Record<Dept, string>;

  it('delivers an online application to each department in its own format; YBJ fetches its own, and an item it does not acknowledge comes back after the lease', async () => {
    for (const dept of Object.keys(MATTERS) as Dept[]) projects[dept] = await applyOnline(dept);

    // BDC: GBK XML <BDCSJ>, 网上申报, SBH, one QLR from the platform's applicant, the contact mobile as DH.
    const [bdc] = await waitFor('BDC to take its application', async () => {
      const r = accepted(sims.bdc, projects.BDC);
      return r.length ? r : null;
    });
    expect(bdc.headers['content-type']).toBe('text/xml; charset=GBK');
    expect(bdc.text).toContain(`<QLRMC>${RARE_NAME}</QLRMC>`);
    expect(bdc.rawBody.includes(Buffer.from(RARE_NAME, 'utf8'))).toBe(false);
    expect(bdc.parsed).toMatchObject({
      hj: '网上申报',
      sbh: projects.BDC,
      sxbm: MATTERS.BDC.code,
      sxmc: MATTERS.BDC.name,
      hjsj: beijingCompactDateTime(base),
      qlr: [{ qlrmc: RARE_NAME, zjzl: '1', zjh: '430626198503120040', dh: '13900000000' }],
    });
    caseNos.BDC = bdc.caseNo;
    expect(caseNos.BDC).toMatch(/^\d{12,}$/);
    // BDC's <ID> (its new 受理编号) is recorded as the department's case number.
    expect(await waitFor("BDC's SLBH recorded", async () => (await callbackOf(projects.BDC))?.departmentCaseNo)).toBe(
      caseNos.BDC,
    );

    // RSJ: a UTF-8 form in its field names; it answers OK without a case number.
    const [rsj] = await waitFor('RSJ to take its application', async () => {
      const r = accepted(sims.rsj, projects.RSJ);
      return r.length ? r : null;
    });
    expect(rsj.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(rsj.parsed).toMatchObject({
      sbh: projects.RSJ,
      sxbm: MATTERS.RSJ.code,
      sxmc: MATTERS.RSJ.name,
      zt: 'SB',
      sqrxm: '王五',
      sqrsfzh: '430626199001010022',
      sqrsjh: '13900000000',
    });
    expect(rsj.reply.body).toBe('OK');
    caseNos.RSJ = rsj.caseNo;
    await waitFor(
      "RSJ's delivery done",
      async () =>
        (await gw.db.manager.findOne(OutboxEntity, { where: { target: 'DEPT:RSJ', groupKey: projects.RSJ } }))
          ?.status === 'DONE',
    );
    expect((await callbackOf(projects.RSJ)).departmentCaseNo).toBeNull();

    // SCJG: JSON to its webhook.
    const [scjg] = await waitFor('SCJG to take its application', async () => {
      const r = accepted(sims.scjg, projects.SCJG);
      return r.length ? r : null;
    });
    expect(scjg.parsed).toMatchObject({
      type: 'ONLINE_APPLICATION',
      platformNo: projects.SCJG,
      itemCode: MATTERS.SCJG.code,
      applicant: { type: 'ENTERPRISE', uscc: '91330102MA28NBU477' },
    });
    caseNos.SCJG = scjg.caseNo;
    expect(
      await waitFor("SCJG's bizNo recorded", async () => (await callbackOf(projects.SCJG))?.departmentCaseNo),
    ).toBe(caseNos.SCJG);

    // YBJ cannot receive pushes: its application waits in its inbox. A fetch that is never acknowledged...
    const listed = (await request(gw.url).get('/api/v1/departments/ybj/inbox').set(ybjAuth).expect(200)).body
      .items as any[];
    const item = listed.find((i) => i.projectNo === projects.YBJ);
    expect(item).toMatchObject({
      type: 'ONLINE_APPLICATION',
      payload: { project_no: projects.YBJ, task_code: MATTERS.YBJ.code, applyer_name: '赵六' },
    });
    const leasedAt = Date.now();
    // ... keeps the item from others while its lease runs ...
    expect(
      (await request(gw.url).get('/api/v1/departments/ybj/inbox').set(ybjAuth).expect(200)).body.items.map(
        (i: any) => i.id,
      ),
    ).not.toContain(item.id);
    const early = await ybj.pollOnce();
    expect(early.taken).not.toContain(item.id);
    // ... and after the lease the item comes back: YBJ's client takes it and acknowledges it.
    const poll = await waitFor(
      'the unacknowledged item back in the inbox',
      async () => {
        const p = await ybj.pollOnce();
        return p.taken.includes(item.id) ? p : null;
      },
      15_000,
      100,
    );
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(INBOX_LEASE_MS);
    expect(poll.acked).toContain(item.id);
    expect(ybj.received().find((i) => i.id === item.id)).toMatchObject({
      type: 'ONLINE_APPLICATION',
      payload: { project_no: projects.YBJ },
      ackedAt: expect.any(String),
    });
    // Acknowledged: it never comes back, not even after another lease.
    await new Promise((r) => setTimeout(r, INBOX_LEASE_MS + 200));
    expect((await ybj.pollOnce()).listed).toBe(0);
    expect((await request(gw.url).get('/api/v1/departments/ybj/inbox').set(ybjAuth).expect(200)).body.items).toEqual(
      [],
    );
    caseNos.YBJ = 'YB-2026-1127';

    // Each department got exactly one message, and none for another department's project.
    for (const [dept, sim] of [
      ['BDC', sims.bdc],
      ['RSJ', sims.rsj],
      ['SCJG', sims.scjg],
    ] as const) {
      expect(sim.received().map((r) => r.projectNo)).toEqual([projects[dept]]);
    }
  });

  it("reports each department's stages, in its own format, under the platform's project_no: seq 1..n, no new accept", async () => {
    expect(Object.keys(caseNos)).toHaveLength(4);
    const expectAccepted = (r: { status: number; body: string }) =>
      expect([r.status, r.body]).toEqual([202, expect.any(String)]);

    // BDC: GBK XML events with SBH.
    const owner = [{ qlrmc: RARE_NAME, zjzl: '1', zjh: '430626198503120040', dh: '13900000000' }];
    const bdc = {
      slbh: caseNos.BDC,
      sbh: projects.BDC,
      sxbm: MATTERS.BDC.code,
      sxmc: MATTERS.BDC.name,
      qlr: owner,
      blr: '张三',
    };
    expectAccepted(
      await sims.bdc.sendEvent(gw.url, TOKENS.BDC, {
        ...bdc,
        hj: '受理',
        hjsj: beijingCompactDateTime(at(1)),
        blyj: '材料齐全，予以受理',
      }),
    );
    expectAccepted(
      await sims.bdc.sendEvent(gw.url, TOKENS.BDC, {
        ...bdc,
        hj: '审核',
        hjsj: beijingCompactDateTime(at(2)),
        blyj: '审核通过',
      }),
    );
    expectAccepted(
      await sims.bdc.sendEvent(gw.url, TOKENS.BDC, {
        ...bdc,
        hj: '发证',
        hjsj: beijingCompactDateTime(at(3)),
        bjjg: '准予',
        zsh: '湘(2026)平江县不动产权第0001234号',
      }),
    );

    // RSJ: form events with sbh (its ywbh from its own system).
    const rsj = { ywbh: caseNos.RSJ, sbh: projects.RSJ, sqrxm: '王五', sqrsfzh: '430626199001010022' };
    expectAccepted(await sims.rsj.sendEvent(gw.url, TOKENS.RSJ, { ...rsj, zt: 'SL', ztsj: beijingDateTime(at(1)) }));
    expectAccepted(await sims.rsj.sendEvent(gw.url, TOKENS.RSJ, { ...rsj, zt: 'BL', ztsj: beijingDateTime(at(2)) }));
    expectAccepted(
      await sims.rsj.sendEvent(gw.url, TOKENS.RSJ, { ...rsj, zt: 'BJ', ztsj: beijingDateTime(at(3)), bjjg: '1' }),
    );

    // YBJ: its nightly CSV batch, rows carrying 申办号.
    const row = (n: number, stage: string, minutes: number, extra: string[] = ['', '', '']) => [
      `YB2026112700${n}`,
      caseNos.YBJ,
      projects.YBJ,
      MATTERS.YBJ.code,
      MATTERS.YBJ.name,
      stage,
      ybjTime(at(minutes)),
      '赵六',
      '430626200107081238',
      '13900000000',
      ...extra,
      '430626',
    ];
    const batch = await request(gw.url)
      .post('/api/v1/departments/ybj/batches')
      .set(ybjAuth)
      .set('Content-Type', 'text/csv')
      .set('X-Batch-Id', 'YBJ-20261127')
      .send(
        ybjCsv(
          row(1, '受理', 1, ['周十', '材料齐全', '']),
          row(2, '审核', 2, ['周十', '', '']),
          row(3, '办结', 3, ['周十', '备案成功', '准予']),
        ),
      )
      .expect(200);
    expect(batch.body).toMatchObject({ rows: 3, accepted: 3, rejected: 0 });

    // SCJG: JSON events with platformNo.
    const postScjg = (body: unknown) =>
      request(gw.url)
        .post('/api/v1/departments/scjg/events')
        .set('Authorization', `Bearer ${TOKENS.SCJG}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
    await postScjg(
      scjgEvent({ bizNo: caseNos.SCJG, platformNo: projects.SCJG, status: 20, statusTime: beijingIso(at(1)) }),
    ).expect(202);
    await postScjg(
      scjgEvent({ bizNo: caseNos.SCJG, platformNo: projects.SCJG, status: 30, statusTime: beijingIso(at(2)) }),
    ).expect(202);
    await postScjg(
      scjgEvent({
        bizNo: caseNos.SCJG,
        platformNo: projects.SCJG,
        status: 50,
        statusTime: beijingIso(at(3)),
        result: { decision: 'APPROVED', licenseNo: '91430626MA4Q000001' },
      }),
    ).expect(202);

    const projectNos = Object.values(projects);
    await waitFor(
      "every department's three stages on the platform",
      async () => {
        const cases = (await admin().cases()).filter((c) => projectNos.includes(c.projectNo));
        return cases.length === 4 && cases.every((c) => c.events.length === 3 && c.closed);
      },
      30_000,
      100,
    );
    const cases = await admin().cases();
    // The platform still has exactly the four cases it opened for the online applications.
    expect(cases.map((c) => c.projectNo).sort()).toEqual([...projectNos].sort());
    for (const dept of Object.keys(MATTERS) as Dept[]) {
      const c = cases.find((x) => x.projectNo === projects[dept]);
      expect({ dept, seq: c.events.map((e: any) => e.seq), closed: c.closed }).toEqual({
        dept,
        seq: [1, 2, 3],
        closed: true,
      });
      const calls = await admin().received({ project_no: projects[dept] });
      expect({ dept, accepts: calls.filter((x) => x.endpoint === 'accept') }).toEqual({ dept, accepts: [] });
      expect({ dept, accepts: await admin().received({ source_case_id: caseNos[dept], endpoint: 'accept' }) }).toEqual({
        dept,
        accepts: [],
      });
      const kase = (await request(gw.url).get('/api/v1/cases').set(op).query({ projectNo: projects[dept] }).expect(200)).body;
      expect(kase).toMatchObject({
        department: dept,
        online: true,
        sourceCaseNo: caseNos[dept],
        platformProjectNo: projects[dept],
      });
    }
  });

  it("delivers the platform's follow-ups to BDC with their own HJ and BDC's SLBH", async () => {
    const urge = postCallback(gw.url, {
      callback_id: `urge-${projects.BDC}`,
      type: 'URGE',
      occurred_at: formatBeijingDateTime(at(4)),
      data: { project_no: projects.BDC, message: '请加快办理', deadline: '2026-12-05 17:00:00' },
    });
    expect((await urge.response.expect(200)).body.code).toBe('0');
    const got = await waitFor('the urging at BDC', async () =>
      sims.bdc.received().find((r) => r.parsed?.hj === '督办' && r.projectNo === projects.BDC),
    );
    expect(got).toMatchObject({
      accepted: true,
      parsed: {
        slbh: caseNos.BDC,
        sbh: projects.BDC,
        sxbm: MATTERS.BDC.code,
        sxmc: MATTERS.BDC.name,
        blyj: '请加快办理',
        qlr: [],
      },
    });
    expect(got.parsed!.ywxx).toMatchObject({ DBQX: '20261205170000' });
    await waitFor(
      'the urging delivered',
      async () =>
        (
          await gw.db.manager.findOne(OutboxEntity, {
            where: { target: 'DEPT:BDC', kind: 'URGE', groupKey: projects.BDC },
          })
        )?.status === 'DONE',
    );
  });

  it('delivers a follow-up to RSJ with the applicant from the stored online application (its servlet needs it on every message)', async () => {
    const supplement = postCallback(gw.url, {
      callback_id: `supplement-${projects.RSJ}`,
      type: 'SUPPLEMENT_SUBMITTED',
      occurred_at: formatBeijingDateTime(at(4)),
      data: { project_no: projects.RSJ, materials: [{ material_name: '身份证复印件', get_type: '1', get_num: 1, file_url: 'https://zwfw.example/files/9.pdf' }] },
    });
    expect((await supplement.response.expect(200)).body.code).toBe('0');
    const got = await waitFor('the supplement at RSJ', async () => sims.rsj.received().find((r) => r.parsed?.zt === 'BZTJ' && r.projectNo === projects.RSJ));
    expect(got).toMatchObject({ accepted: true, parsed: { sbh: projects.RSJ, sqrxm: '王五', sqrsfzh: '430626199001010022', clmc: '身份证复印件' } });
  });

  it("holds BDC's deliveries behind its breaker while its system is down, delivers RSJ's and SCJG's meanwhile, and each exactly once after BDC is back", async () => {
    const dispatcher = gw.app.get(DepartmentDispatcher);
    const bdcState = () => dispatcher.breakerStates().find((b) => b.department === 'BDC')?.state;
    await sims.bdc.setFaults({ down: true });

    const made = await Promise.all([
      ...[1, 2, 3].map(() => applyOnline('BDC').then((p) => ['BDC', p] as const)),
      ...[1, 2].map(() => applyOnline('RSJ').then((p) => ['RSJ', p] as const)),
      ...[1, 2].map(() => applyOnline('SCJG').then((p) => ['SCJG', p] as const)),
    ]);
    const of = (dept: Dept) => made.filter(([d]) => d === dept).map(([, p]) => p);
    const bdcBefore = sims.bdc.received().length;

    // RSJ and SCJG get theirs while BDC is down.
    await waitFor(
      'RSJ and SCJG to take theirs',
      async () =>
        of('RSJ').every((p) => accepted(sims.rsj, p).length) && of('SCJG').every((p) => accepted(sims.scjg, p).length),
      15_000,
    );
    // BDC's wait behind its open breaker: not parked, not lost.
    await waitFor("BDC's breaker open", async () => bdcState() === 'OPEN', 15_000);
    const waiting = await gw.db.manager.find(OutboxEntity, { where: { target: 'DEPT:BDC', groupKey: In(of('BDC')) } });
    expect(waiting).toHaveLength(3);
    expect(waiting.every((w) => w.status === 'PENDING' || w.status === 'IN_FLIGHT')).toBe(true);
    expect(waiting.some((w) => w.attempts > 0)).toBe(true);
    expect(sims.bdc.received().length).toBe(bdcBefore);
    // Operators see it: BDC red on the overview with what to do, and the breaker in the metrics.
    const bdcItem = async () =>
      ((await request(gw.url).get('/api/v1/ops/overview').set(op).expect(200)).body.departments as { key: string; level: string; hint: string; facts?: Record<string, unknown> }[]).find(
        (d) => d.key === 'dept:BDC',
      );
    const red = await waitFor('BDC red on the overview', async () => ((await bdcItem())?.facts?.deliveryBreaker === 'OPEN' ? bdcItem() : null));
    expect(red).toMatchObject({ level: 'red', hint: expect.stringContaining('不会丢失') });
    const metrics = (await request(gw.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/gw_department_breaker_state\{department="BDC"\} 2/);
    expect(metrics).toMatch(/gw_department_breaker_state\{department="RSJ"\} 0/);

    await sims.bdc.setFaults({});
    await waitFor(
      'BDC to take all three after it is back',
      async () => of('BDC').every((p) => accepted(sims.bdc, p).length),
      30_000,
      100,
    );
    await waitFor(
      'every delivery done',
      async () => {
        const rows = await gw.db.manager.find(OutboxEntity, { where: { groupKey: In(made.map(([, p]) => p)) } });
        return rows.length === made.length && rows.every((r) => r.status === 'DONE');
      },
      15_000,
    );
    expect(bdcState()).toBe('CLOSED');
    await waitFor('BDC no longer red for its breaker', async () => (await bdcItem())?.facts?.deliveryBreaker === 'CLOSED');
    // Exactly once: one request per application at each department (none refused, none repeated).
    await new Promise((r) => setTimeout(r, 500));
    for (const [dept, projectNo] of made) {
      const sim = dept === 'BDC' ? sims.bdc : dept === 'RSJ' ? sims.rsj : sims.scjg;
      expect({ dept, projectNo, n: sim.received().filter((r) => r.projectNo === projectNo).length }).toEqual({
        dept,
        projectNo,
        n: 1,
      });
    }
    for (const p of of('BDC')) expect((await callbackOf(p)).departmentCaseNo).toBe(accepted(sims.bdc, p)[0].caseNo);
  });
});
