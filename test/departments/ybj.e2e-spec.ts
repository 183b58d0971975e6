import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ForegroundWork } from '#gw/common';
import { CUT_OFF_BATCH_MINUTES } from '#gw/ingress';
import { BATCH_FILE_PART_BYTES, BatchRepository, CaseEntity, CaseEventEntity, InboundBatchEntity, InboundBatchFileEntity, InboundMessageEntity, IngestRepository, OutboxEntity } from '#gw/persistence';
import { IsNull } from 'typeorm';
import { onlineApplication } from '../support/callbacks';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { REPO_ROOT, TOKENS, TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';
import { YBJ_HEADER, example, expectCanonicalShape, gbk, getCase, getJson, postBatch, postRaw, scjgReferenceCase, waitDelivered } from './department-support';

const TRANSFER = '11430626MB456789960000150002000'; // 医保关系转移接续 (online-capable)
const CHRONIC = '11430626MB456789960000150003000'; // 门诊慢特病待遇认定: missing from the catalogue at first
const EXAMPLE_PROJECT_NO = 'PJ2026102300000457';

/**
 * YBJ 医保局 (departments.md): one CSV file a night to /batches — UTF-8 with a BOM, or GBK with
 * `X-Charset: GBK` — answered row by row; valid rows are kept when others fail; rows sorted by
 * 流水号, not by time, still give cases whose stages are in stage order; the same batch sent twice
 * changes nothing.
 */
describe('YBJ department end to end (CSV batches)', () => {
  let testDb: TestDatabase;
  let gw: TestGateway;
  let reference: any;
  /** The example file with the 申办号 of the online case being the project_no the platform issued. */
  let exampleCsv: Buffer;
  let projectNo: string;
  let first: any;

  const counts = async () => ({
    inbound: await gw.db.manager.count(InboundMessageEntity),
    cases: await gw.db.manager.count(CaseEntity),
    events: await gw.db.manager.count(CaseEventEntity),
    outbox: await gw.db.manager.count(OutboxEntity),
    batches: await gw.db.manager.count(InboundBatchEntity),
  });
  const received = async (sourceCaseId: string): Promise<any[]> => (await fetch(`${gw.platform.origin}/admin/received?source_case_id=${encodeURIComponent(sourceCaseId)}`)).json() as Promise<any[]>;
  const byProject = async (no: string): Promise<any[]> => (await fetch(`${gw.platform.origin}/admin/received?project_no=${encodeURIComponent(no)}`)).json() as Promise<any[]>;
  const csv = (...rows: string[]) => `${YBJ_HEADER}\r\n${rows.join('\r\n')}\r\n`;
  const leftBehind = () => join(testDb.dataDir, 'spool', 'cut-off.batch');

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // The catalogue lacks one YBJ matter until the replay test "fixes" it.
    const partial = join(testDb.dataDir, 'catalogue-without-chronic.yaml');
    writeFileSync(partial, readFileSync(join(REPO_ROOT, 'config/catalogue.yaml'), 'utf8').split('\n').filter((l) => !l.includes(CHRONIC)).join('\n'));
    // Two rows per transaction group (BATCH_ROWS_UNDER_WAY=4): every file here spans several groups,
    // so rows out of time order meet their case's earlier stages across group boundaries.
    // A file spooled by a run that was cut off long ago (the gateway stopped mid-file) goes at start-up.
    mkdirSync(join(testDb.dataDir, 'spool'), { recursive: true });
    writeFileSync(leftBehind(), 'YB…');
    utimesSync(leftBehind(), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    gw = await startTestGateway({ testDb, env: { CATALOGUE_FILE: partial, BATCH_ROWS_UNDER_WAY: '4' } });
    reference = await scjgReferenceCase(gw);
  });
  afterAll(async () => {
    await gw?.close();
    await testDb?.drop();
  });

  it('removed at start-up a spooled file that a cut-off run left behind', () => {
    expect(existsSync(leftBehind())).toBe(false);
  });

  it('an online application for YBJ waits in its inbox (YBJ cannot take pushes); it fetches and acknowledges it', async () => {
    const sim = await postRaw(`${gw.platform.origin}/admin/online-applications`, JSON.stringify(onlineApplication(TRANSFER, { task_name: '医保关系转移接续', project_name: '王五医保关系转移接续', applyer_type: 1, applyer_name: '王五', applyer_page_type: '111', applyer_page_code: '430626199001010022', contact_name: '王五' })), { 'Content-Type': 'application/json' });
    expect(sim.status).toBe(202);
    projectNo = sim.json.projectNo;
    const auth = { Authorization: `Bearer ${TOKENS.YBJ}` };
    const item = await waitFor('the application in the YBJ inbox', async () => {
      const r = await fetch(`${gw.url}/api/v1/departments/ybj/inbox`, { headers: auth });
      return ((await r.json()) as any).items.find((i: any) => i.projectNo === projectNo);
    });
    expect(item).toMatchObject({ type: 'ONLINE_APPLICATION', projectNo });
    const ack = await postRaw(`${gw.url}/api/v1/departments/ybj/inbox/${item.id}/ack`, '', auth);
    expect(ack.status).toBe(200);
    // YBJ handles it and reports its stages in the nightly file: the example, carrying that 申办号.
    exampleCsv = Buffer.from(example('ybj-batch.csv').toString('utf8').replaceAll(EXAMPLE_PROJECT_NO, projectNo), 'utf8');
    expect(exampleCsv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('accepts the example file (UTF-8 with BOM) row by row; rows out of time order give stages in stage order, delivered in order', async () => {
    const foreground = gw.app.get(ForegroundWork);
    const begin = jest.spyOn(foreground, 'begin');
    const groupsBefore = gw.app.get(IngestRepository).stats.groups;
    const reply = await postBatch(gw, 'ybj', exampleCsv, { 'X-Batch-Id': 'YBJ-20261023' });
    expect(reply.status).toBe(200);
    // Five rows in groups of two (the configured rows under way): at least three transactions.
    expect(gw.app.get(IngestRepository).stats.groups - groupsBefore).toBeGreaterThanOrEqual(3);
    // The rows were stored as foreground work (this process's dispatcher waited), ended by the answer.
    expect(begin).toHaveBeenCalledTimes(1);
    expect(foreground.shouldYield).toBe(false);
    begin.mockRestore();
    first = reply.json;
    expect(first).toMatchObject({ batchId: 'YBJ-20261023', rows: 5, accepted: 5, duplicate: 0, rejected: 0, repeated: false });
    expect(first.results.map((r: any) => [r.row, r.sourceEventId, r.outcome])).toEqual([
      [1, 'YB20261023000101', 'ACCEPTED'],
      [2, 'YB20261023000102', 'ACCEPTED'],
      [3, 'YB20261023000103', 'ACCEPTED'],
      [4, 'YB20261023000104', 'ACCEPTED'],
      [5, 'YB20261023000105', 'ACCEPTED'],
    ]);
    const [a, b] = [first.results[0].caseId, first.results[3].caseId];
    expect(first.results.map((r: any) => r.caseId)).toEqual([a, a, a, b, b]);

    // Row 2 (办结 9:12) came before row 3 (受理 9:10): the case still reads 申报 → 受理 → 办结.
    const walkIn = await waitDelivered(gw, a);
    expect(walkIn).toMatchObject({ department: 'YBJ', sourceCaseNo: 'YB-2026-0456', matterName: '异地就医备案', location: '430626', locationName: '平江县', currentStage: 'COMPLETED', closed: true, online: false });
    expect(walkIn.stages.map((s: any) => [s.stage, s.sourceEventId, s.stageTime])).toEqual([
      ['SUBMITTED', 'YB20261023000101', '2026-10-23T01:05:00.000Z'],
      ['ACCEPTED', 'YB20261023000103', '2026-10-23T01:10:00.000Z'],
      ['COMPLETED', 'YB20261023000102', '2026-10-23T01:12:00.000Z'],
    ]);
    expect(walkIn.stages[2].result).toEqual({ type: 0 });
    // The department's sequence (the last nine digits of 流水号: it is stored as a 32-bit integer).
    expect(walkIn.stages.map((s: any) => s.sourceSeq)).toEqual([23000101, 23000103, 23000102]);
    expect(walkIn.applicants).toEqual([{ kind: 'PERSON', name: '李*', certType: '111', certNo: '4306**********0040', phone: '138****0000' }]);
    expectCanonicalShape(walkIn, reference);
    // The platform heard them in stage order, each after the previous one was answered.
    const calls = (await received('YB-2026-0456')).concat(await byProject(walkIn.platformProjectNo)).filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i);
    const ok = calls.filter((c) => c.httpStatus === 200 && c.code === '0').sort((x, y) => x.id - y.id);
    // 申报 opens the case; 受理 repeats the accept with accept_date and promise_date (same project_no).
    expect(ok.map((c) => c.endpoint)).toEqual(['accept', 'accept', 'result']);
    expect(walkIn.stages.map((s: any) => s.delivery.status)).toEqual(['DONE', 'DONE', 'DONE']);

    // The online case: the platform already has it (申报 not reported again), 受理 goes to its project_no.
    const online = await waitDelivered(gw, b);
    expect(online).toMatchObject({ sourceCaseNo: 'YB-2026-0457', online: true, platformProjectNo: projectNo, currentStage: 'ACCEPTED', location: '430626001', locationName: '汉昌街道', delivery: { state: 'DELIVERED', parked: 0 } });
    expect(online.stages.map((s: any) => [s.stage, s.delivery.status])).toEqual([
      ['SUBMITTED', 'SKIPPED'],
      ['ACCEPTED', 'DONE'],
    ]);
    expectCanonicalShape(online, reference);
    const onPlatform = (await byProject(projectNo)).filter((c) => c.httpStatus === 200 && c.code === '0' && c.endpoint === 'process');
    expect(onPlatform).toHaveLength(1);
  });

  it('the same batch sent again — by its X-Batch-Id, or the same content without one — changes nothing and repeats the answer', async () => {
    const before = await counts();
    const again = await postBatch(gw, 'ybj', exampleCsv, { 'X-Batch-Id': 'YBJ-20261023' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ ...first, repeated: true });
    const unnamed = await postBatch(gw, 'ybj', exampleCsv);
    expect(unnamed.status).toBe(200);
    expect(unnamed.json).toEqual({ ...first, repeated: true });
    expect(await counts()).toEqual(before);
  });

  it('answers 409 to a different file under a used X-Batch-Id, and stores nothing of it', async () => {
    const before = await counts();
    const other = csv('YB20261023000199,YB-2026-0499,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,李四,430626198503120040,13800000000,,,,430626');
    const reply = await postBatch(gw, 'ybj', `\uFEFF${other}`, { 'X-Batch-Id': 'YBJ-20261023' });
    expect(reply.status).toBe(409);
    expect(reply.json).toMatchObject({ code: 'BATCH_ID_REUSED', errors: [{ field: 'X-Batch-Id', code: 'BATCH_ID_REUSED' }] });
    expect(await counts()).toEqual(before);
  });

  it('reads the GBK version with X-Charset: GBK: the same rows are duplicates with the first ids', async () => {
    const text = exampleCsv.toString('utf8').replace(/^\uFEFF/, '');
    const reply = await postBatch(gw, 'ybj', gbk(text), { 'X-Batch-Id': 'YBJ-20261023-GBK', 'X-Charset': 'GBK' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ rows: 5, accepted: 0, duplicate: 5, rejected: 0, repeated: false });
    expect(reply.json.results.map((r: any) => [r.outcome, r.eventId, r.caseId])).toEqual(first.results.map((r: any) => ['DUPLICATE', r.eventId, r.caseId]));
  });

  it('answers each row of a mixed GBK file — accepted / duplicate / rejected with reasons in YBJ column names — and keeps the valid rows', async () => {
    const m = '11430626MB456789960000150001000,异地就医备案';
    const file = csv(
      `YB20261024000301,YB-2026-0500,,${m},受理,2026/10/24 9:10,赵六,430626197511200011,13800000000,周十,材料齐全,,长寿镇`, // before its 申报 (row 8)
      'YB20261023000101,YB-2026-0456,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,李四,430626198503120040,13800000000,,,,430626', // the example's first row again
      `YB20261024000303,YB-2026-0501,,${m},申报,2026/10/24 9:00,孙七,430626196003050017,13900000000,,,,430626`, // check digit should be 6
      `YB20261024000304,YB-2026-0502,,${m},申报,2026/2/30 9:00,孙七,430626196003050016,13900000000,,,,430626`, // no 30 February
      `YB20261024000305,YB-2026-0503,,${m},复核,2026/10/24 9:00,孙七,430626196003050016,13900000000,,,,430626`, // no such 环节
      `YB20261024000306,YB-2026-0504,,${m},申报`, // columns missing
      `YB20261024000307,YB-2026-0505,,${m},申报,2026/10/24 9:00,孙七,430626196003050016,13900000000,,<script>alert(1)</script>,,'; DROP TABLE gw_case; --`, // 办理地点 is no division
      `YB20261024000302,YB-2026-0500,,${m},申报,2026/10/24 9:00,赵六,430626197511200011,13800000000,,,,长寿镇`,
      `YB20261024000309,YB-2026-0500,,${m},办结,2026/10/24 9:30,赵六,430626197511200011,13800000000,周十,"备案成功,就医地为长沙市",准予,长寿镇`,
    );
    const reply = await postBatch(gw, 'ybj', gbk(file), { 'X-Batch-Id': 'YBJ-20261024-GBK', 'X-Charset': 'GBK', 'Content-Type': 'text/csv; charset=GBK' });
    expect(reply.status).toBe(200);
    const body = reply.json;
    // The file is kept once, sealed, byte for byte as sent (GBK), with the request's headers but
    // not its token. The rows it holds that were taken keep no copy of their own; the refused ones
    // keep theirs, for replay.
    const batch = await gw.db.manager.findOneByOrFail(InboundBatchEntity, { batchKey: 'id:YBJ-20261024-GBK' });
    expect((await gw.app.get(BatchRepository).file(batch.id))!.equals(gbk(file))).toBe(true);
    const parts = await gw.db.manager.findBy(InboundBatchFileEntity, { batchId: batch.id });
    expect(parts.length).toBe(1);
    expect(parts[0].body.includes(Buffer.from('430626197511200011'))).toBe(false);
    expect(JSON.parse(batch.headers!)).toMatchObject({ 'x-batch-id': 'YBJ-20261024-GBK', 'x-charset': 'GBK' });
    expect(batch.headers).not.toMatch(/authorization|Bearer/i);
    const stored = await gw.db.manager.findBy(InboundMessageEntity, { batchId: 'id:YBJ-20261024-GBK' });
    const taken = (r: InboundMessageEntity) => r.outcome === 'ACCEPTED' || r.outcome === 'DUPLICATE';
    expect(stored.filter(taken).map((r) => r.rowNo).sort()).toEqual([1, 2, 8, 9]);
    expect(stored.filter((r) => !taken(r)).map((r) => r.rowNo)).toEqual(expect.arrayContaining([3, 4, 5, 6, 7]));
    for (const r of stored) {
      expect([r.rowNo, r.outcome, r.body === null, r.headers === null]).toEqual([r.rowNo, r.outcome, taken(r), taken(r)]);
    }
    expect(body).toMatchObject({ rows: 9, accepted: 3, duplicate: 1, rejected: 5, repeated: false });
    const byRow = Object.fromEntries(body.results.map((r: any) => [r.row, r]));
    expect(byRow[1]).toMatchObject({ outcome: 'ACCEPTED', sourceEventId: 'YB20261024000301' });
    expect(byRow[2]).toMatchObject({ outcome: 'DUPLICATE', httpStatus: 200, eventId: first.results[0].eventId });
    const reasons = (r: any) => Object.fromEntries((r.errors ?? []).map((e: any) => [e.field, e.code]));
    expect(byRow[3]).toMatchObject({ outcome: 'REJECTED', httpStatus: 422, code: 'VALIDATION_FAILED' });
    expect(reasons(byRow[3])).toEqual({ 证件号码: 'ID_CHECK_DIGIT' });
    expect(reasons(byRow[4])).toEqual({ 环节时间: 'DATE_INVALID' });
    expect(reasons(byRow[5])).toEqual({ 环节: 'STATUS_UNKNOWN' });
    expect(byRow[6]).toMatchObject({ outcome: 'REJECTED', httpStatus: 400, code: 'ROW_UNREADABLE' });
    expect(reasons(byRow[7])).toEqual({ 办理地点: expect.stringMatching(/^DIVISION_/) });
    expect(byRow[8]).toMatchObject({ outcome: 'ACCEPTED', sourceEventId: 'YB20261024000302' });
    expect(byRow[9]).toMatchObject({ outcome: 'ACCEPTED', sourceEventId: 'YB20261024000309' });
    expect(body.results.every((r: any) => r.outcome !== 'REJECTED' || (r.errors?.length || r.code === 'ROW_UNREADABLE'))).toBe(true);

    const c = await waitDelivered(gw, byRow[1].caseId);
    expect(c).toMatchObject({ sourceCaseNo: 'YB-2026-0500', location: '430626104', locationName: '长寿镇', currentStage: 'COMPLETED', applicants: [{ name: '赵*' }] });
    expect(c.stages.map((s: any) => s.stage)).toEqual(['SUBMITTED', 'ACCEPTED', 'COMPLETED']);
    expect(c.stages[2].opinion).toBe('备案成功,就医地为长沙市');
    // The rejected rows are listed for operators, each with its batch and row, the values not echoed.
    const q = await getJson(gw, '/api/v1/quarantine?dept=ybj&limit=100', true);
    const listed = q.body.items.filter((i: any) => i.batchId === 'id:YBJ-20261024-GBK');
    expect(listed.map((i: any) => i.rowNo).sort()).toEqual([3, 4, 5, 6, 7]);
    expect(JSON.stringify(listed)).not.toContain('430626196003050017');
    // Kept as self-contained one-row UTF-8 files, replayable through the batch reader.
    const row3 = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { batchId: 'id:YBJ-20261024-GBK', rowNo: 3 });
    expect(row3.body!.includes(Buffer.from('430626196003050017'))).toBe(false);
    expect(keptBody(row3).toString('utf8')).toBe(`\uFEFF${YBJ_HEADER}\r\nYB20261024000303,YB-2026-0501,,${m},申报,2026/10/24 9:00,孙七,430626196003050017,13900000000,,,,430626\r\n`);
    // Replayed, a row of the GBK file is read as the UTF-8 it was kept in, and judged as before.
    const op = { Authorization: `Bearer ${'test-operator-token-0123456789'}` };
    const again = await postRaw(`${gw.url}/api/v1/quarantine/${row3.id}/replay`, '', op);
    expect(again.json).toMatchObject({ httpStatus: 422, code: 'VALIDATION_FAILED' });
    expect(reasons(again.json)).toEqual({ 证件号码: 'ID_CHECK_DIGIT' });
  });

  it('answers a row repeating an accepted event as a duplicate, valid or not, and a row repeating an earlier row of the file', async () => {
    const m = '11430626MB456789960000150001000,异地就医备案';
    const row = `YB20261025000401,YB-2026-0601,,${m},申报,2026/10/25 9:00,孙七,430626196003050016,13900000000,,,,430626`;
    const file = csv(
      // The example's first event again, its ID number now with a wrong check digit: found by its id first.
      'YB20261023000101,YB-2026-0456,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,李四,430626198503120041,13800000000,,,,430626',
      row,
      row,
    );
    const reply = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-20261025-REPEATS' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ rows: 3, accepted: 1, duplicate: 2, rejected: 0 });
    const [r1, r2, r3] = reply.json.results;
    expect(r1).toMatchObject({ outcome: 'DUPLICATE', eventId: first.results[0].eventId, caseId: first.results[0].caseId });
    expect(r2).toMatchObject({ outcome: 'ACCEPTED', sourceEventId: 'YB20261025000401' });
    expect(r3).toMatchObject({ outcome: 'DUPLICATE', eventId: r2.eventId, caseId: r2.caseId });
    expect(await gw.db.manager.countBy(CaseEventEntity, { department: 'YBJ', sourceEventId: 'YB20261025000401' })).toBe(1);
  });

  it('keeps a batch file in parts that read back whole, and forgets them with a batch given up half-way', async () => {
    const batches = gw.app.get(BatchRepository);
    const bytes = randomBytes(BATCH_FILE_PART_BYTES * 2 + 1000);
    const path = join(testDb.dataDir, 'parts.batch');
    writeFileSync(path, bytes);
    const started = (await batches.start('YBJ', 'id:YBJ-PARTS', 'x'.repeat(64), { 'x-batch-id': 'YBJ-PARTS', authorization: 'Bearer secret' }))!;
    await batches.keepFile(started.id, path);
    expect((await gw.db.manager.findBy(InboundBatchFileEntity, { batchId: started.id })).map((p) => p.partNo).sort()).toEqual([0, 1, 2]);
    expect((await batches.file(started.id))!.equals(bytes)).toBe(true);
    expect((await gw.db.manager.findOneByOrFail(InboundBatchEntity, { id: started.id })).headers).toBe('{"x-batch-id":"YBJ-PARTS"}');
    await batches.abandon(started.id);
    expect(await gw.db.manager.countBy(InboundBatchFileEntity, { batchId: started.id })).toBe(0);
    expect(await gw.db.manager.countBy(InboundBatchEntity, { id: started.id, completedAt: IsNull() })).toBe(0);
    expect(await batches.file(started.id)).toBeNull();
    // A completed batch is not given up: its file stays.
    const done = (await batches.start('YBJ', 'id:YBJ-PARTS-DONE', 'y'.repeat(64)))!;
    await batches.keepFile(done.id, path);
    await batches.complete(done.id, { rows: 0, accepted: 0, duplicate: 0, rejected: 0 }, '{}');
    await batches.abandon(done.id);
    expect((await batches.file(done.id))!.equals(bytes)).toBe(true);
  });

  it('answers 409 while the same batch is under way, and takes the file again once its first run was cut off', async () => {
    const file = Buffer.from(`\uFEFF${csv('YB20261025009101,YB-2026-0790,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/25 9:00,赵六,430626197511200011,13800000000,,,,430626')}`, 'utf8');
    const sha = createHash('sha256').update(file).digest('hex');
    // A run that stopped half-way (the gateway went down): its batch was never completed nor given up.
    const cut = (await gw.app.get(BatchRepository).start('YBJ', 'id:YBJ-CUT-OFF', sha))!;
    const under = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-CUT-OFF' });
    expect(under.status).toBe(409);
    expect(under.json).toMatchObject({ code: 'BATCH_IN_PROGRESS', message: expect.stringContaining(`${CUT_OFF_BATCH_MINUTES} minutes`) });
    await gw.db.manager.update(InboundBatchEntity, { id: cut.id }, { receivedAt: new Date(Date.now() - (CUT_OFF_BATCH_MINUTES + 1) * 60_000) });
    const again = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-CUT-OFF' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ rows: 1, accepted: 1, repeated: false });
    expect(await gw.db.manager.countBy(InboundBatchEntity, { id: cut.id })).toBe(0);
    expect((await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-CUT-OFF' })).json).toMatchObject({ rows: 1, accepted: 1, repeated: true });
  });

  it('answers a GBK file sent without X-Charset with 400 (its header is not UTF-8) and keeps the whole file', async () => {
    const file = gbk(csv('YB20261024000401,YB-2026-0600,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/24 9:00,赵六,430626197511200011,13800000000,,,,430626'));
    const reply = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-NO-CHARSET' });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'PAYLOAD_ENCODING', inboundId: expect.any(String) });
    const kept = await gw.db.manager.findOneByOrFail(InboundMessageEntity, { id: reply.json.inboundId });
    expect(kept).toMatchObject({ channel: 'batch', outcome: 'UNREADABLE', httpStatus: 400 });
    expect(keptBody(kept).equals(file)).toBe(true);
    // The id is not used up: the same file, now declared GBK, goes through.
    const fixed = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-NO-CHARSET', 'X-Charset': 'GBK' });
    expect(fixed.status).toBe(200);
    expect(fixed.json).toMatchObject({ rows: 1, accepted: 1 });
  });

  it('answers a wrong content type with 415 and keeps the file; a department without batches gets 404', async () => {
    const body = exampleCsv;
    const json = await postBatch(gw, 'ybj', body, { 'Content-Type': 'application/json', 'X-Batch-Id': 'YBJ-JSON' });
    expect(json.status).toBe(415);
    expect(json.json.code).toBe('MEDIA_TYPE_UNSUPPORTED');
    expect(await gw.db.manager.findOneByOrFail(InboundMessageEntity, { id: json.json.inboundId })).toMatchObject({ outcome: 'UNREADABLE', httpStatus: 415, errorCode: 'MEDIA_TYPE_UNSUPPORTED' });
    const scjg = await postBatch(gw, 'scjg', body);
    expect(scjg.status).toBe(404);
    expect(scjg.json.code).toBe('BATCH_NOT_SUPPORTED');
    const other = await postBatch(gw, 'ybj', body, { 'X-Batch-Id': 'YBJ-OTHER-TOKEN' }, TOKENS.RSJ);
    expect(other.status).toBe(403);
    expect(other.json.code).toBe('TOKEN_WRONG_DEPARTMENT');
  });

  it('keeps each case with the parties of its latest row, each case with a ciphertext of its own', async () => {
    const m = '11430626MB456789960000150001000,异地就医备案';
    const file = `\uFEFF${csv(
      `YB20261026000601,YB-2026-0801,,${m},申报,2026/10/26 8:30,赵六,430626197511200011,13800000000,,,,汉昌街道`,
      `YB20261026000602,YB-2026-0801,,${m},受理,2026/10/26 8:40,赵六,430626197511200011,13800000000,周十,材料齐全,,汉昌街道`,
      `YB20261026000603,YB-2026-0801,,${m},审核,2026/10/26 8:50,赵六,430626197511200011,13900000001,周十,同意,,汉昌街道`,
      `YB20261026000604,YB-2026-0802,,${m},申报,2026/10/26 9:00,赵六,430626197511200011,13900000001,,,,汉昌街道`,
    )}`;
    const reply = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-20261026-PARTIES' });
    expect(reply.json).toMatchObject({ rows: 4, accepted: 4 });
    const [first, second] = await Promise.all(['YB-2026-0801', 'YB-2026-0802'].map((no) => gw.db.manager.findOneByOrFail(CaseEntity, { department: 'YBJ', sourceCaseNo: no })));
    const phone = (k: CaseEntity) => gw.ctx.cipher.decryptJson<{ applicants: { phone: string }[] }>(k.partiesEnc).applicants[0].phone;
    expect(phone(first)).toBe('13900000001');
    expect(phone(second)).toBe('13900000001');
    expect(first.partiesEnc).not.toBe(second.partiesEnc);
    // Both cases found by their applicant's ID number (its hash computed once for the file's four rows).
    const hash = gw.ctx.cipher.lookupHash('430626197511200011');
    expect([first.applicantIdHash, second.applicantIdHash]).toEqual([hash, hash]);
    expect(await gw.db.manager.countBy(CaseEntity, { applicantIdHash: gw.ctx.cipher.lookupHash('430626198503120040') })).toBe(1);
  });

  it('a row rejected for a matter missing from the catalogue is replayed from the quarantine after the catalogue is fixed', async () => {
    const file = `\uFEFF${csv(
      `YB20261025000501,YB-2026-0700,,${CHRONIC},门诊慢特病待遇认定,申报,2026/10/25 8:30,赵六,430626197511200011,13800000000,,,,汉昌街道`,
      'YB20261025000502,YB-2026-0701,,11430626MB456789960000150001000,异地就医备案,申报,2026/10/25 8:40,孙七,430626196003050016,13900000000,,,,汉昌街道',
    )}`;
    const reply = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-20261025' });
    expect(reply.json).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(reply.json.results[0].errors).toEqual([expect.objectContaining({ field: '事项编码', code: 'MATTER_UNKNOWN' })]);
    const listed = (await getJson(gw, '/api/v1/quarantine?dept=ybj&code=MATTER_UNKNOWN', true)).body.items;
    expect(listed).toEqual([expect.objectContaining({ batchId: 'id:YBJ-20261025', rowNo: 1, sourceEventId: 'YB20261025000501', outcome: 'REJECTED' })]);

    // The catalogue is fixed and the gateway restarted on the same database.
    await gw.close();
    gw = await startTestGateway({ testDb });
    const op = { Authorization: `Bearer ${'test-operator-token-0123456789'}` };
    const replayed = await postRaw(`${gw.url}/api/v1/quarantine/${listed[0].id}/replay`, '', op);
    expect(replayed.status).toBe(200);
    expect(replayed.json).toMatchObject({ httpStatus: 202, code: 'ACCEPTED', caseId: expect.any(String) });
    const c = await getCase(gw, replayed.json.caseId);
    expect(c).toMatchObject({ department: 'YBJ', sourceCaseNo: 'YB-2026-0700', matterCode: CHRONIC, matterName: '门诊慢特病待遇认定', location: '430626001' });
    expect((await postRaw(`${gw.url}/api/v1/quarantine/${listed[0].id}/replay`, '', op)).json.code).toBe('ALREADY_RESOLVED');
    expect((await getJson(gw, '/api/v1/quarantine?dept=ybj&code=MATTER_UNKNOWN', true)).body.total).toBe(0);
    // The batch itself, sent again, still changes nothing.
    const again = await postBatch(gw, 'ybj', file, { 'X-Batch-Id': 'YBJ-20261025' });
    expect(again.json).toMatchObject({ repeated: true, accepted: 1, rejected: 1 });
  });
});
