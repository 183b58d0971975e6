import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { CanonicalEvent, Stage } from '#gw/case';
import {
  AcceptResult,
  CaseEntity,
  CaseEventEntity,
  InboundMessageEntity,
  InboundRecord,
  IngestRepository,
  OutboxEntity,
} from '#gw/persistence';
import { Dispatcher } from '#gw/dispatch';
import { TestGateway, keptBody, startTestGateway } from '../support/test-gateway';
import { scjgEvent, postScjgEvent } from '../support/scjg-events';

/**
 * Group commit in the ingest path: concurrent writes share one transaction, yet every caller gets
 * the answer it would have got alone, and the rows are exactly those of one-by-one commits.
 * Calls made in the same tick are queued before the first flush, so they form one group: that is
 * how these tests put chosen events in one group without depending on timing.
 */
describe('group commit of ingested events', () => {
  let gw: TestGateway;
  let repo: IngestRepository;

  const post = (body: unknown) => postScjgEvent(gw.url, body);

  const at = (h: number, day = 23) => `2026-10-${day}T${String(h).padStart(2, '0')}:00:00+08:00`;

  function canonical(
    caseNo: string,
    stage: Stage,
    stageTime: string,
    overrides: Partial<CanonicalEvent> = {},
  ): CanonicalEvent {
    return {
      department: 'SCJG',
      sourceEventId: randomUUID(),
      sourceCaseNo: caseNo,
      matterCode: '11430626MB123456250000120001000',
      matterName: '企业设立登记',
      stage,
      stageTime,
      applicants: [
        { kind: 'ENTERPRISE', name: '平江县某某农业发展有限公司', certType: 'USCC', certNo: '91330102MA28NBU477' },
      ],
      location: '430626101',
      ...overrides,
    } as CanonicalEvent;
  }
  const recordOf = (e: CanonicalEvent): InboundRecord => ({
    department: e.department,
    channel: 'event',
    receivedAt: new Date(),
    mediaType: 'application/json',
    headers: { 'content-type': 'application/json', authorization: 'Bearer secret' },
    body: Buffer.from(JSON.stringify({ id: e.sourceEventId })),
    sourceEventId: e.sourceEventId,
  });
  const accept = (r: IngestRepository, e: CanonicalEvent) => r.acceptEvent(recordOf(e), e, [], null);
  const settled = (ps: Promise<unknown>[]) => Promise.allSettled(ps);
  const caseRow = (caseNo: string) =>
    gw.db.manager.findOne(CaseEntity, { where: { department: 'SCJG', sourceCaseNo: caseNo } });

  beforeAll(async () => {
    // The dispatcher would deliver (and change outbox rows) while we count them: stop it, after the
    // round it starts with (a long poll interval alone left that first round racing the tests).
    gw = await startTestGateway({ env: { DISPATCH_POLL_MS: '60000', WAKE_URL: 'none' } });
    await gw.app.get(Dispatcher).stop();
    repo = gw.app.get(IngestRepository);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('commits one group and answers each caller as if alone: duplicates, same-case stages, impossible moves', async () => {
    const A = 'SCJG-GC-A';
    const B = 'SCJG-GC-B';
    const submitted = canonical(A, 'SUBMITTED', at(8));
    const accepted = canonical(A, 'ACCEPTED', at(9));
    const reviewed = canonical(A, 'REVIEWED', at(10));
    const orphan = canonical(B, 'REVIEWED', at(10)); // a case never accepted
    const again = canonical(A, 'ACCEPTED', at(11)); // accepted twice
    const before = repo.stats;

    const calls = [
      accept(repo, submitted),
      accept(repo, accepted),
      accept(repo, { ...accepted }), // the same department event again, in the same group
      accept(repo, reviewed),
      accept(repo, orphan),
      accept(repo, again),
      repo.saveInbound(
        { ...recordOf(orphan), sourceEventId: 'refused-1' },
        { outcome: 'REFUSED', httpStatus: 401, errorCode: 'TOKEN_INVALID' },
      ),
    ] as const;
    const [s, a, dup, r, o, twice, refusedId] = await Promise.all(calls);

    const after = repo.stats;
    expect(after.groups - before.groups).toBe(1);
    expect(after.writes - before.writes).toBe(7);
    expect(after.fallbacks).toBe(before.fallbacks);

    expect(s).toMatchObject({ kind: 'ACCEPTED', stage: 'SUBMITTED' });
    expect(a).toMatchObject({ kind: 'ACCEPTED', stage: 'ACCEPTED' });
    const caseId = (s as Extract<AcceptResult, { kind: 'ACCEPTED' }>).caseId;
    expect(a).toMatchObject({ caseId });
    expect(dup).toEqual({
      kind: 'DUPLICATE',
      inboundId: expect.any(String),
      eventId: (a as any).eventId,
      caseId,
      stage: 'ACCEPTED',
    });
    expect(r).toMatchObject({ kind: 'ACCEPTED', caseId, stage: 'REVIEWED' });
    expect(o).toMatchObject({ kind: 'INVALID_TRANSITION', issue: { code: 'STAGE_REQUIRES_ACCEPTANCE' } });
    expect(twice).toMatchObject({ kind: 'INVALID_TRANSITION', issue: { code: 'STAGE_REPEATED' } });

    // Rows: exactly those of one-by-one commits.
    const kase = await caseRow(A);
    expect(kase).toMatchObject({ id: caseId, currentStage: 'REVIEWED', closed: false });
    expect(kase!.openedAt.toISOString()).toBe('2026-10-23T00:00:00.000Z');
    expect(kase!.lastStageTime.toISOString()).toBe('2026-10-23T02:00:00.000Z');
    expect(await caseRow(B)).toBeNull();
    const events = await gw.db.manager.find(CaseEventEntity, { where: { caseId }, order: { stageTime: 'ASC' } });
    expect(events.map((e) => [e.stage, e.sourceEventId])).toEqual([
      ['SUBMITTED', submitted.sourceEventId],
      ['ACCEPTED', accepted.sourceEventId],
      ['REVIEWED', reviewed.sourceEventId],
    ]);
    // Events of one case in one group get strictly increasing arrival times (the last tie-breaker).
    expect(new Set(events.map((e) => e.createdAt.getTime())).size).toBe(3);
    const outbox = await gw.db.manager.find(OutboxEntity, { where: { caseId }, order: { orderKey: 'ASC' } });
    expect(outbox.map((o) => o.eventId)).toEqual(events.map((e) => e.id));
    expect(outbox.every((o) => o.status === 'PENDING')).toBe(true);

    const inbound = await gw.db.manager.find(InboundMessageEntity, {
      where: [{ caseId }, { sourceEventId: orphan.sourceEventId }, { id: refusedId }],
    });
    const byId = new Map(inbound.map((i) => [i.id, i]));
    expect(inbound).toHaveLength(7);
    expect(byId.get(s.inboundId)).toMatchObject({
      outcome: 'ACCEPTED',
      httpStatus: 202,
      eventId: events[0].id,
      caseId,
    });
    expect(byId.get(dup.inboundId)).toMatchObject({
      outcome: 'DUPLICATE',
      httpStatus: 200,
      eventId: events[1].id,
      caseId,
    });
    expect(byId.get(o.inboundId)).toMatchObject({
      outcome: 'REJECTED',
      httpStatus: 422,
      errorCode: 'STAGE_TRANSITION_INVALID',
      caseId: null,
    });
    expect(byId.get(twice.inboundId)).toMatchObject({ outcome: 'REJECTED', httpStatus: 422, caseId });
    expect(byId.get(refusedId)).toMatchObject({ outcome: 'REFUSED', httpStatus: 401 });
    expect(inbound.every((i) => !String(i.headers).includes('secret'))).toBe(true);

    // A later group finds the stored event: duplicate with the first acceptance's ids.
    const later = await accept(repo, { ...submitted });
    expect(later).toMatchObject({ kind: 'DUPLICATE', eventId: events[0].id, caseId, stage: 'SUBMITTED' });
  });

  it('checks events of one case against each other in stage order, whatever order they arrive in', async () => {
    const C = 'SCJG-GC-C';
    const [acceptedFirst, submittedLate, completed] = await Promise.all([
      accept(repo, canonical(C, 'ACCEPTED', at(9))),
      accept(repo, canonical(C, 'SUBMITTED', at(8))), // overtaken: earlier in stage order, later in arrival
      accept(
        repo,
        canonical(C, 'COMPLETED', at(12), { result: { type: 0, certificateNo: 'L-1' } } as Partial<CanonicalEvent>),
      ),
    ]);
    expect([acceptedFirst.kind, submittedLate.kind, completed.kind]).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    const kase = await caseRow(C);
    expect(kase).toMatchObject({ currentStage: 'COMPLETED', closed: true });
    expect(kase!.openedAt.toISOString()).toBe('2026-10-23T00:00:00.000Z');
    expect(kase!.closedAt!.toISOString()).toBe('2026-10-23T04:00:00.000Z');

    // After the completion, in the next group, only DELIVERED may follow.
    const [late, delivered] = await Promise.all([
      accept(repo, canonical(C, 'REVIEWED', at(13))),
      accept(repo, canonical(C, 'DELIVERED', at(14))),
    ]);
    expect(late).toMatchObject({ kind: 'INVALID_TRANSITION', issue: { code: 'STAGE_AFTER_COMPLETION' } });
    expect(delivered).toMatchObject({ kind: 'ACCEPTED', stage: 'DELIVERED' });
    expect(await gw.db.manager.count(CaseEventEntity, { where: { caseId: kase!.id } })).toBe(4);
  });

  it('with a wait window, writes arriving over several turns of the event loop still share one group', async () => {
    repo.configureGroupCommit({ maxWaitMs: 200 });
    try {
      const before = repo.stats;
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        calls.push(accept(repo, canonical(`SCJG-GC-WAIT-${i}`, 'ACCEPTED', at(9))));
        await new Promise((r) => setImmediate(r));
      }
      calls.push(
        repo.saveInboundMany([
          {
            record: recordOf(canonical('SCJG-GC-WAIT-X', 'ACCEPTED', at(9))),
            result: { outcome: 'UNREADABLE', httpStatus: 400 },
          },
          {
            record: recordOf(canonical('SCJG-GC-WAIT-Y', 'ACCEPTED', at(9))),
            result: { outcome: 'UNREADABLE', httpStatus: 400 },
          },
        ]),
      );
      const [a, b, c, ids] = await Promise.all(calls);
      expect([a, b, c].map((x) => (x as AcceptResult).kind)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
      expect(ids).toHaveLength(2);
      expect(repo.stats.groups - before.groups).toBe(1);
      expect(repo.stats.writes - before.writes).toBe(4);
      expect(await gw.db.manager.count(InboundMessageEntity, { where: { id: In(ids as string[]) } })).toBe(2);
    } finally {
      repo.configureGroupCommit({ maxWaitMs: 0 });
    }
  });

  it('fails only the write the database refuses; the rest of its group is stored', async () => {
    const before = repo.stats;
    const good1 = canonical('SCJG-GC-D1', 'ACCEPTED', at(9));
    const bad = canonical('SCJG-GC-BAD', 'ACCEPTED', at(9), { matterName: null as unknown as string }); // NOT NULL column
    const good2 = canonical('SCJG-GC-D2', 'ACCEPTED', at(9));
    const unplannable = canonical('SCJG-GC-D3', 'ACCEPTED', 'not a time'); // fails while planning, before any write
    const results = await settled([
      accept(repo, good1),
      accept(repo, bad),
      accept(repo, good2),
      accept(repo, unplannable),
      repo.saveInbound(recordOf(good1), { outcome: 'UNREADABLE', httpStatus: 400 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(repo.stats.fallbacks - before.fallbacks).toBe(1);
    expect((results[0] as PromiseFulfilledResult<AcceptResult>).value.kind).toBe('ACCEPTED');
    expect((results[2] as PromiseFulfilledResult<AcceptResult>).value.kind).toBe('ACCEPTED');
    expect(await caseRow('SCJG-GC-D1')).not.toBeNull();
    expect(await caseRow('SCJG-GC-D2')).not.toBeNull();
    expect(await caseRow('SCJG-GC-BAD')).toBeNull();
    expect(await caseRow('SCJG-GC-D3')).toBeNull();
    expect(await gw.db.manager.count(InboundMessageEntity, { where: { sourceEventId: bad.sourceEventId } })).toBe(0);
    expect(
      await gw.db.manager.count(InboundMessageEntity, { where: { sourceEventId: unplannable.sourceEventId } }),
    ).toBe(0);
  });

  describe('batch writer (the rows of one file)', () => {
    it("starts the next group as soon as one has ended, before that group's rows are answered", async () => {
      // Answering a group's rows takes the event loop a while on a large file: the next group's
      // reads go to the database first. (On SQLite the answers also wait for the log flush.)
      const order: string[] = [];
      const original = gw.db.groupTransaction.bind(gw.db);
      const spy = jest.spyOn(gw.db, 'groupTransaction').mockImplementation((fn, maxRequestBytes) => {
        order.push('transaction');
        return original(fn, maxRequestBytes);
      });
      try {
        const writer = repo.batchWriter({ maxRows: 2 });
        const events = ['W1', 'W2', 'W3', 'W4'].map((c) => canonical(`SCJG-GC-${c}`, 'ACCEPTED', at(9)));
        const answers = events.map((e) =>
          writer.acceptEvent(recordOf(e), e, [], null).then((r) => {
            order.push('answered');
            return r;
          }),
        );
        writer.flush();
        expect((await Promise.all(answers)).map((r) => r.kind)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
        expect(order.filter((o) => o === 'transaction')).toHaveLength(2);
        expect(order.indexOf('answered')).toBeGreaterThan(order.lastIndexOf('transaction'));
      } finally {
        spy.mockRestore();
      }
      for (const c of ['W1', 'W2', 'W3', 'W4']) expect(await caseRow(`SCJG-GC-${c}`)).not.toBeNull();
    });

    it("keeps a refused group's rows ahead of the next group: each row answered as if sent one by one", async () => {
      const before = repo.stats;
      const writer = repo.batchWriter({ maxRows: 2 });
      const accepted = canonical('SCJG-GC-WX', 'ACCEPTED', at(9));
      const bad = canonical('SCJG-GC-WBAD', 'ACCEPTED', at(9), { matterName: null as unknown as string }); // NOT NULL column
      const reviewed = canonical('SCJG-GC-WX', 'REVIEWED', at(10)); // needs the acceptance of the refused group
      const other = canonical('SCJG-GC-WY', 'ACCEPTED', at(9));
      const calls = [accepted, bad, reviewed, other].map((e) => writer.acceptEvent(recordOf(e), e, [], null));
      writer.flush();
      const results = await settled(calls);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(results.flatMap((r) => (r.status === 'fulfilled' ? [(r.value as AcceptResult).kind] : []))).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
      // The writer's group, then the queue's group of the same two rows, fell back.
      expect(repo.stats.fallbacks - before.fallbacks).toBe(2);
      expect((await caseRow('SCJG-GC-WX'))?.currentStage).toBe('REVIEWED');
      expect(await caseRow('SCJG-GC-WBAD')).toBeNull();
    });

    it('stores a full group of 2,000 rows exactly as given: texts, bytes, dates, flags', async () => {
      // 2,100 new cases: a group of 2,000 (several multi-row statements per table, their values
      // written in place on MySQL) and one of 100. Every row must read back as given, including
      // quotes, backslashes, characters beyond the BMP, NUL bytes and milliseconds.
      const base = Date.parse('2026-10-23T01:00:00.001Z');
      const n = 2100;
      const events = Array.from({ length: n }, (_, i) =>
        canonical(`SCJG-GC-FULL-${i}`, 'ACCEPTED', new Date(base + i * 1001).toISOString(), {
          matterName: `企业设立登记 O'Brien \\ "q" 𠀀 ?; -- ${i}`,
          sourceSeq: i,
        }),
      );
      const records = events.map((e, i) => ({
        ...recordOf(e),
        receivedAt: new Date(base + 7 + i),
        headers: { 'content-type': "text/csv; x='受理'\\", 'x-batch-id': `FULL-${i}` },
        body: Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, b) => b)), Buffer.from(`'\\\0${i}`, 'latin1')]),
        rowNo: i + 1,
      }));
      const writer = repo.batchWriter();
      const answers = events.map((e, i) => writer.acceptEvent(records[i], e, [], null));
      writer.flush();
      expect(new Set((await Promise.all(answers)).map((r) => r.kind))).toEqual(new Set(['ACCEPTED']));

      const ids = events.map((e) => e.sourceEventId);
      const stored = await gw.db.manager.find(CaseEventEntity, { where: { department: 'SCJG', sourceEventId: In(ids) } });
      const cases = await gw.db.manager.find(CaseEntity, { where: { department: 'SCJG', sourceCaseNo: In(events.map((e) => e.sourceCaseNo)) } });
      const inbound = await gw.db.manager.find(InboundMessageEntity, { where: { id: In(stored.map((e) => e.inboundId)) } });
      const outbox = await gw.db.manager.find(OutboxEntity, { where: { eventId: In(stored.map((e) => e.id)) } });
      expect([stored.length, cases.length, inbound.length, outbox.length]).toEqual([n, n, n, n]);
      const eventBy = new Map(stored.map((e) => [e.sourceEventId, e]));
      const caseBy = new Map(cases.map((c) => [c.sourceCaseNo, c]));
      const inboundBy = new Map(inbound.map((m) => [m.id, m]));
      const outboxBy = new Map(outbox.map((o) => [o.eventId, o]));
      const mismatches: string[] = [];
      events.forEach((e, i) => {
        const ev = eventBy.get(e.sourceEventId)!;
        const kase = caseBy.get(e.sourceCaseNo)!;
        const msg = inboundBy.get(ev.inboundId)!;
        const out = outboxBy.get(ev.id)!;
        const got = {
          stage: ev.stage,
          stageTime: ev.stageTime.toISOString(),
          sourceSeq: ev.sourceSeq,
          caseId: ev.caseId,
          matterName: kase.matterName,
          closed: kase.closed,
          openedAt: kase.openedAt.toISOString(),
          receivedAt: msg.receivedAt.toISOString(),
          body: keptBody(msg).toString('hex'),
          headers: msg.headers,
          rowNo: msg.rowNo,
          errorCode: msg.errorCode,
          outbox: [out.caseId, out.status, out.orderTime.toISOString(), Number(out.orderSeq)],
        };
        const want = {
          stage: 'ACCEPTED',
          stageTime: new Date(base + i * 1001).toISOString(),
          sourceSeq: i,
          caseId: kase.id,
          matterName: e.matterName,
          closed: false,
          openedAt: new Date(base + i * 1001).toISOString(),
          receivedAt: new Date(base + 7 + i).toISOString(),
          body: records[i].body.toString('hex'),
          headers: JSON.stringify(records[i].headers),
          rowNo: i + 1,
          errorCode: null,
          outbox: [kase.id, 'PENDING', new Date(base + i * 1001).toISOString(), i],
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`row ${i}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      });
      expect(mismatches.slice(0, 3)).toEqual([]);
    }, 60_000);
  });

  it('keeps two instances writing the same events at once correct: each event stored once, answers agree', async () => {
    // A second repository over the same database stands for a second gateway instance.
    const other = new IngestRepository(gw.db, gw.ctx.cipher);
    const events = Array.from({ length: 20 }, (_, i) =>
      canonical(`SCJG-GC-TWIN-${i % 5}`, i < 5 ? 'SUBMITTED' : 'ACCEPTED', i < 5 ? at(8) : at(9 + Math.floor(i / 5))),
    );
    // Only one ACCEPTED per case is possible; the rest of each case's ACCEPTED events are refused.
    const answers = await Promise.all(events.flatMap((e) => [accept(repo, e), accept(other, { ...e })]));
    for (let i = 0; i < events.length; i++) {
      const pair = [answers[2 * i], answers[2 * i + 1]];
      const kinds = pair.map((p) => p.kind).sort();
      if (kinds.includes('ACCEPTED')) {
        expect(kinds).toEqual(['ACCEPTED', 'DUPLICATE']);
        const [x, y] = pair as Extract<AcceptResult, { eventId: string }>[];
        expect(x.eventId).toBe(y.eventId);
        expect(x.caseId).toBe(y.caseId);
      } else {
        expect(kinds).toEqual(['INVALID_TRANSITION', 'INVALID_TRANSITION']);
      }
    }
    for (let c = 0; c < 5; c++) {
      const kase = await caseRow(`SCJG-GC-TWIN-${c}`);
      const stored = await gw.db.manager.find(CaseEventEntity, { where: { caseId: kase!.id } });
      expect(stored.map((e) => e.stage).sort()).toEqual(['ACCEPTED', 'SUBMITTED']);
      expect(await gw.db.manager.count(OutboxEntity, { where: { caseId: kase!.id } })).toBe(2);
      expect(kase!.currentStage).toBe('ACCEPTED');
    }
    expect(
      await gw.db.manager.count(CaseEntity, {
        where: events.slice(0, 5).map((e) => ({ department: 'SCJG', sourceCaseNo: e.sourceCaseNo })),
      }),
    ).toBe(5);
    await other.drain();
  });

  it('answers many concurrent posts consistently and stores exactly one row set per event', async () => {
    const cases = Array.from({ length: 30 }, (_, i) => `SCJG-GC-HTTP-${String(i).padStart(4, '0')}`);
    // Per case: 申报 and 受理 (valid in either arrival order), each sent three times; plus
    // completions of cases never accepted (refused whatever the order).
    const events = cases.flatMap((bizNo) => [
      scjgEvent({ bizNo, status: 10, statusTime: at(8) }),
      scjgEvent({ bizNo, status: 20, statusTime: at(9) }),
    ]);
    const orphans = Array.from({ length: 6 }, (_, i) =>
      scjgEvent({
        bizNo: `SCJG-GC-ORPHAN-${i}`,
        status: 50,
        statusTime: at(12),
        result: { decision: 'APPROVED', licenseNo: `91430626MA4Q00000${i}` },
      }),
    );
    const sends = [...events, ...events, ...events, ...orphans];
    const answers = await Promise.all(sends.map((e) => post(e)));

    const byEvent = new Map<string, { status: number; body: any }[]>();
    sends.forEach((e, i) =>
      byEvent.set(e.eventId as string, [...(byEvent.get(e.eventId as string) ?? []), answers[i]]),
    );
    for (const e of events) {
      const got = byEvent.get(e.eventId as string)!;
      expect(got.map((g) => g.status).sort()).toEqual([200, 200, 202]);
      expect(new Set(got.map((g) => g.body.eventId)).size).toBe(1);
      expect(new Set(got.map((g) => g.body.caseId)).size).toBe(1);
    }
    for (const o of orphans) {
      const [got] = byEvent.get(o.eventId as string)!;
      expect(got.status).toBe(422);
      expect(got.body.errors[0].code).toBe('STAGE_REQUIRES_ACCEPTANCE');
    }

    const ids = events.map((e) => e.eventId as string);
    const stored = await gw.db.manager.find(CaseEventEntity, { where: { sourceEventId: In(ids) } });
    expect(stored).toHaveLength(events.length);
    const accepted = new Map(
      sends.map((e, i) => [e.eventId as string, answers[i]]).filter(([, a]) => (a as any).status === 202) as [
        string,
        any,
      ][],
    );
    for (const row of stored) {
      expect(accepted.get(row.sourceEventId)!.body).toMatchObject({ eventId: row.id, caseId: row.caseId });
    }
    const caseIds = [...new Set(stored.map((r) => r.caseId))];
    expect(caseIds).toHaveLength(cases.length);
    expect(await gw.db.manager.count(OutboxEntity, { where: { caseId: In(caseIds) } })).toBe(events.length);
    const kases = await gw.db.manager.find(CaseEntity, { where: { id: In(caseIds) } });
    expect(
      kases.every((k) => k.currentStage === 'ACCEPTED' && k.openedAt.toISOString() === '2026-10-23T00:00:00.000Z'),
    ).toBe(true);
    const inbound = await gw.db.manager.find(InboundMessageEntity, {
      where: { sourceEventId: In([...ids, ...orphans.map((o) => o.eventId as string)]) },
    });
    expect(inbound).toHaveLength(sends.length);
    const count = (outcome: string) => inbound.filter((i) => i.outcome === outcome).length;
    expect([count('ACCEPTED'), count('DUPLICATE'), count('REJECTED')]).toEqual([
      events.length,
      events.length * 2,
      orphans.length,
    ]);
    expect(
      await gw.db.manager.count(CaseEntity, {
        where: orphans.map((o) => ({ department: 'SCJG', sourceCaseNo: o.bizNo as string })),
      }),
    ).toBe(0);
  });
});
