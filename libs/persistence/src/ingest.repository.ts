import { randomUUID } from 'node:crypto';
import { Brackets, EntityManager, In } from 'typeorm';
import type { ObjectLiteral } from 'typeorm';
import {
  CanonicalEvent,
  CaseWarning,
  CLOSING_STAGES,
  FieldIssue,
  StageEntry,
  TransitionIssue,
  findTransitionIssue,
  orderStageEntries,
} from '#gw/case';
import type { PersonalDataCipher } from '#gw/common';
import { Database } from './database';
import { CaseEntity, CaseEventEntity, InboundMessageEntity, InboundOutcome, OutboxEntity, orderKey } from './entities';

/** A request (or batch row) as received, to be kept whatever its outcome. */
export interface InboundRecord {
  id?: string;
  department: string;
  channel: 'event' | 'batch' | 'batch-row' | 'replay';
  receivedAt: Date;
  mediaType?: string | null;
  headers?: Record<string, string>;
  /** Null when the payload must not be kept (classified matters). */
  body: Buffer | null;
  bodySha256?: string | null;
  sourceEventId?: string | null;
  correlationId?: string | null;
  batchId?: string | null;
  rowNo?: number | null;
  replayOf?: string | null;
}

export interface InboundResult {
  outcome: InboundOutcome;
  httpStatus: number;
  errorCode?: string | null;
  errors?: FieldIssue[];
  eventId?: string | null;
  caseId?: string | null;
}

export type AcceptResult =
  | { kind: 'ACCEPTED'; inboundId: string; eventId: string; caseId: string; stage: string }
  | { kind: 'DUPLICATE'; inboundId: string; eventId: string; caseId: string; stage: string }
  | { kind: 'INVALID_TRANSITION'; inboundId: string; issue: TransitionIssue };

/** How writes are grouped into transactions (see the class comment). */
export interface GroupCommitOptions {
  /** Most writes committed in one transaction; more waiting go in the next one. */
  maxBatch: number;
  /**
   * How long the first write of a group waits for company when no commit is under way. 0 (the
   * default) means the next turn of the event loop: whatever arrived meanwhile goes with it, and
   * while a commit is under way the next group simply fills up until it finishes.
   */
  maxWaitMs: number;
  /** Group transactions under way at once (MySQL; SQLite has one connection and always uses 1). */
  maxInFlight: number;
  /** Size above which a multi-row INSERT is split (keeps well under MySQL's max_allowed_packet). */
  maxStatementBytes: number;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatch: 256,
  maxWaitMs: 0,
  maxInFlight: 2,
  maxStatementBytes: 4 * 1024 * 1024,
};

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
const key = (a: string, b: string) => `${a}\u0000${b}`;

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface AcceptJob {
  kind: 'accept';
  record: InboundRecord;
  event: CanonicalEvent;
  warnings: CaseWarning[];
  applicantIdHash: string | null;
  /** Encrypted before queueing: the CPU work stays out of the transaction (and its locks). */
  partiesEnc: string;
  payloadEnc: string;
  done: Deferred<AcceptResult>;
}

interface InboundJob {
  kind: 'inbound';
  rows: { record: InboundRecord; result: InboundResult }[];
  done: Deferred<string[]>;
}

type Job = AcceptJob | InboundJob;
type JobResult = { ok: true; value: AcceptResult | string[] } | { ok: false; error: unknown };

/** A case as the group sees it: the stored row (locked on MySQL) or one the group creates. */
interface CaseState {
  kase: CaseEntity;
  isNew: boolean;
  history: StageEntry[];
  /** Latest arrival in the history: events of one case get strictly increasing arrival times. */
  lastArrival: number;
  patched: boolean;
  projectNoSet: boolean;
  locationSet: boolean;
}

/** The rows one group writes, gathered in memory before any of them is written. */
interface GroupWrites {
  newCases: CaseEntity[];
  events: ObjectLiteral[];
  outbox: ObjectLiteral[];
  inbound: ObjectLiteral[];
  resolvedReplays: string[];
}

const SQLITE_SYSTEMIC =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|PROTOCOL|INTERRUPT|PERM|AUTH|NOLFS)/;
const MYSQL_SYSTEMIC = new Set([
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_QUERY_INTERRUPTED',
  'ER_STATEMENT_TIMEOUT',
  'ER_OUT_OF_RESOURCES',
  'ER_OUTOFMEMORY',
  'ER_DISK_FULL',
  'ER_RECORD_FILE_FULL',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_CANT_LOCK',
]);

/**
 * Whether a failed group transaction says the database is unusable (down, locked, full, read-only)
 * rather than that one of its rows was refused. Then every caller gets the error (503, nothing
 * acknowledged) at once, instead of each waiting for its own failed attempt.
 */
export function isSystemicDatabaseError(err: unknown): boolean {
  if (Database.isRetryableConflict(err)) return false;
  const e = err as { code?: unknown; fatal?: boolean; driverError?: { code?: unknown; fatal?: boolean } };
  const d = e?.driverError ?? e;
  if (d?.fatal || e?.fatal) return true; // mysql2: the connection is gone
  const code = String(d?.code ?? e?.code ?? '');
  if (!code) return false;
  if (!code.startsWith('ER_') && /^(E[A-Z]+|PROTOCOL_)/.test(code)) return true; // ECONNREFUSED, ETIMEDOUT, PROTOCOL_CONNECTION_LOST …
  return SQLITE_SYSTEMIC.test(code) || MYSQL_SYSTEMIC.has(code);
}

/**
 * Everything the ingress writes, with group commit.
 *
 * Concurrent writes (accepted events and the kept not-accepted requests) are queued and committed
 * together in one transaction: the next group goes as soon as the previous commit is finished (or
 * at the next turn of the event loop when none is under way, or when `maxBatch` are waiting), so
 * one disk flush is shared by every write that arrived meanwhile. Each caller's promise settles
 * only after the shared commit returned, i.e. once its rows are durable.
 *
 * A group is planned in memory before anything is written: duplicates of one department event
 * within the group answer as duplicates of the first; several events of one case are checked by
 * the stage machine in arrival order against the stored history plus the group's earlier events
 * of that case; a row that fails planning fails only its own caller. If the group transaction
 * loses a race (unique key, deadlock) or one of its rows is refused by the database, its writes
 * are committed one by one (each retried as before); if the database itself is unusable every
 * caller gets the error and nothing is acknowledged. On MySQL the case rows are locked
 * (`FOR UPDATE`, in sorted order) before any other read, under READ COMMITTED, so instances
 * writing the same case serialise on it and each sees what the previous one committed.
 */
export class IngestRepository {
  private options: GroupCommitOptions;
  private queue: Job[] = [];
  private inFlight = 0;
  private timer?: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout };
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { groups: 0, writes: 0, largestGroup: 0, fallbacks: 0 };

  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.options = { ...DEFAULT_GROUP_COMMIT };
    this.configureGroupCommit(options);
  }

  /** Changes how writes are grouped (benchmarks and tests; takes effect for the next group). */
  configureGroupCommit(options: Partial<GroupCommitOptions>): GroupCommitOptions {
    const o = { ...this.options, ...options };
    const int = (name: keyof GroupCommitOptions, min: number, max: number) => {
      const v = o[name];
      if (!Number.isInteger(v) || v < min || v > max)
        throw new Error(`group commit ${name} must be an integer in [${min}, ${max}], got ${v}`);
    };
    int('maxBatch', 1, 1000);
    int('maxWaitMs', 0, 1000);
    int('maxInFlight', 1, 64);
    int('maxStatementBytes', 1024, 64 * 1024 * 1024);
    this.options = o;
    return { ...o };
  }

  /** Writes waiting for a group, and groups under way (for metrics and tests). */
  get pending(): { queued: number; inFlight: number } {
    return { queued: this.queue.length, inFlight: this.inFlight };
  }

  /**
   * Since start: group transactions attempted, writes (calls) in them, the largest group, and groups
   * that fell back to one-by-one commits (metrics, benchmarks, tests).
   */
  get stats(): { groups: number; writes: number; largestGroup: number; fallbacks: number } {
    return { ...this.counters };
  }

  /** Resolves once nothing is queued or being committed. */
  drain(): Promise<void> {
    if (!this.queue.length && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Nest: commit what is queued before the database is closed. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  /**
   * The first acceptance of a department event, if there was one. Asked once per request before
   * anything is queued, so it is one plain indexed query (the query builder cost more than the read).
   */
  async findAcceptedEvent(
    department: string,
    sourceEventId: string,
  ): Promise<{ id: string; caseId: string; stage: string } | null> {
    const rows: { id: string; case_id: string; stage: string }[] = await this.db.manager.query(
      'SELECT id, case_id, stage FROM case_event WHERE department = ? AND source_event_id = ? LIMIT 1',
      [department, sourceEventId],
    );
    return rows.length ? { id: rows[0].id, caseId: rows[0].case_id, stage: rows[0].stage } : null;
  }

  /** Keeps a request that was not accepted (unreadable, invalid, refused, duplicate). */
  async saveInbound(record: InboundRecord, result: InboundResult): Promise<string> {
    const [id] = await new Promise<string[]>((resolve, reject) =>
      this.enqueue({ kind: 'inbound', rows: [{ record, result }], done: { resolve, reject } }),
    );
    return id;
  }

  /** Keeps many not-accepted batch rows, all in the same transaction. */
  async saveInboundMany(items: { record: InboundRecord; result: InboundResult }[]): Promise<string[]> {
    if (!items.length) return [];
    return new Promise<string[]>((resolve, reject) =>
      this.enqueue({ kind: 'inbound', rows: [...items], done: { resolve, reject } }),
    );
  }

  /**
   * Stores the inbound record, the case, the stage event and the outbox row in one transaction —
   * or, when the move is impossible for the case's history, only the inbound record as rejected.
   * A concurrent duplicate (unique key) or deadlock is retried, and then answers as a duplicate.
   */
  async acceptEvent(
    record: InboundRecord,
    event: CanonicalEvent,
    warnings: CaseWarning[],
    applicantIdHash: string | null,
  ): Promise<AcceptResult> {
    const partiesEnc = this.cipher.encryptJson({ applicants: event.applicants, agent: event.agent ?? null });
    const payloadEnc = this.cipher.encryptJson(event);
    return new Promise<AcceptResult>((resolve, reject) =>
      this.enqueue({
        kind: 'accept',
        record,
        event,
        warnings,
        applicantIdHash,
        partiesEnc,
        payloadEnc,
        done: { resolve, reject },
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // The queue

  private get maxInFlight(): number {
    return this.db.dialect === 'sqlite' ? 1 : this.options.maxInFlight;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.schedule();
  }

  private schedule(): void {
    if (!this.queue.length || this.inFlight >= this.maxInFlight) return;
    if (this.queue.length >= this.options.maxBatch) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const fire = () => {
      this.timer = undefined;
      this.flush();
    };
    this.timer =
      this.options.maxWaitMs > 0
        ? { kind: 'timeout', handle: setTimeout(fire, this.options.maxWaitMs) }
        : { kind: 'immediate', handle: setImmediate(fire) };
  }

  private flush(): void {
    if (this.timer) {
      if (this.timer.kind === 'timeout') clearTimeout(this.timer.handle);
      else clearImmediate(this.timer.handle);
      this.timer = undefined;
    }
    while (this.queue.length && this.inFlight < this.maxInFlight) {
      const jobs = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.commit(jobs).finally(() => {
        this.inFlight--;
        // The disk is free again: whatever queued up meanwhile goes now.
        if (this.queue.length) this.flush();
        else if (!this.inFlight) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    // READ COMMITTED: no gap locks (two groups creating neighbouring new cases do not deadlock),
    // and every statement sees what the previous holder of a case lock committed.
    if (this.db.dialect === 'mysql') return this.db.dataSource.transaction('READ COMMITTED', fn);
    return this.db.transaction(fn);
  }

  private async commit(jobs: Job[]): Promise<void> {
    this.counters.groups++;
    this.counters.writes += jobs.length;
    this.counters.largestGroup = Math.max(this.counters.largestGroup, jobs.length);
    if (jobs.length === 1) {
      await this.commitAlone(jobs[0]);
      return;
    }
    let results: JobResult[];
    try {
      results = await this.transaction((em) => this.writeGroup(em, jobs));
    } catch (e) {
      if (isSystemicDatabaseError(e)) {
        for (const job of jobs) job.done.reject(e);
        return;
      }
      // A lost race or one refused row: commit each on its own, so only the culprit fails.
      this.counters.fallbacks++;
      for (let i = 0; i < jobs.length; i++) {
        const err = await this.commitAlone(jobs[i]);
        if (err !== undefined && isSystemicDatabaseError(err)) {
          for (const rest of jobs.slice(i + 1)) rest.done.reject(err);
          return;
        }
      }
      return;
    }
    jobs.forEach((job, i) => settle(job, results[i]));
  }

  /** One write in its own transaction, retried after a lost race; returns its error, if any. */
  private async commitAlone(job: Job): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [result] = await this.transaction((em) => this.writeGroup(em, [job]));
        settle(job, result);
        return result.ok ? undefined : result.error;
      } catch (e) {
        // Two first events of one case race on its unique key (or InnoDB picks a deadlock victim):
        // run again; the second run sees the winner's rows and answers duplicate or appends.
        if (attempt < 5 && Database.isRetryableConflict(e)) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        job.done.reject(e);
        return e;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One group: read, plan in memory, write

  private async writeGroup(em: EntityManager, jobs: Job[]): Promise<JobResult[]> {
    const now = new Date();
    const accepts = jobs.filter((j): j is AcceptJob => j.kind === 'accept');
    const states = new Map<string, CaseState>();
    const stored = new Map<string, { id: string; caseId: string; stage: string }>();

    if (accepts.length) {
      // Cases first (locked on MySQL), then everything else: later reads see the lock holder's rows.
      const cases = await this.loadCases(
        em,
        accepts.map((j) => [j.event.department, j.event.sourceCaseNo]),
      );
      const history = cases.length
        ? await em.find(CaseEventEntity, {
            where: { caseId: In(cases.map((c) => c.id)) },
            select: {
              caseId: true,
              stage: true,
              stageTime: true,
              sourceSeq: true,
              createdAt: true,
              sourceEventId: true,
            },
          })
        : [];
      for (const kase of cases) {
        states.set(key(kase.department, kase.sourceCaseNo), {
          kase,
          isNew: false,
          history: [],
          lastArrival: 0,
          patched: false,
          projectNoSet: false,
          locationSet: false,
        });
      }
      const byId = new Map([...states.values()].map((s) => [s.kase.id, s]));
      for (const e of history) {
        const s = byId.get(e.caseId);
        if (!s) continue;
        const arrival = e.createdAt.getTime();
        s.history.push({
          stage: e.stage as StageEntry['stage'],
          stageTime: e.stageTime.toISOString(),
          sourceSeq: e.sourceSeq,
          arrival,
          ref: e.sourceEventId,
        });
        s.lastArrival = Math.max(s.lastArrival, arrival);
      }
      for (const e of await this.loadEvents(
        em,
        accepts.map((j) => [j.event.department, j.event.sourceEventId]),
      )) {
        stored.set(key(e.department, e.sourceEventId), { id: e.id, caseId: e.caseId, stage: e.stage });
      }
    }

    const writes: GroupWrites = { newCases: [], events: [], outbox: [], inbound: [], resolvedReplays: [] };
    const firstInGroup = new Map<string, { id: string; caseId: string; stage: string }>();
    const results: JobResult[] = jobs.map((job) => {
      const mark = [
        writes.newCases.length,
        writes.events.length,
        writes.outbox.length,
        writes.inbound.length,
        writes.resolvedReplays.length,
      ];
      try {
        if (job.kind === 'inbound')
          return { ok: true, value: job.rows.map((r) => this.planInbound(writes, r.record, r.result)) };
        return { ok: true, value: this.planAccept(writes, job, states, stored, firstInGroup, now) };
      } catch (error) {
        // Only this caller fails: drop whatever rows it had planned.
        writes.newCases.length = mark[0];
        writes.events.length = mark[1];
        writes.outbox.length = mark[2];
        writes.inbound.length = mark[3];
        writes.resolvedReplays.length = mark[4];
        return { ok: false, error };
      }
    });

    await this.insertMany(em, CaseEntity, writes.newCases);
    for (const s of states.values()) {
      if (s.isNew || !s.patched) continue;
      const k = s.kase;
      const patch: Partial<CaseEntity> = {
        currentStage: k.currentStage,
        closed: k.closed,
        closedAt: k.closedAt,
        lastStageTime: k.lastStageTime,
        openedAt: k.openedAt,
        partiesEnc: k.partiesEnc,
        applicantIdHash: k.applicantIdHash,
        warnings: k.warnings,
        updatedAt: k.updatedAt,
      };
      if (s.projectNoSet) patch.platformProjectNo = k.platformProjectNo;
      if (s.locationSet) patch.location = k.location;
      await em.update(CaseEntity, { id: k.id }, patch);
    }
    await this.insertMany(em, CaseEventEntity, writes.events);
    await this.insertMany(em, OutboxEntity, writes.outbox);
    await this.insertMany(em, InboundMessageEntity, writes.inbound);
    if (writes.resolvedReplays.length) {
      await em.update(
        InboundMessageEntity,
        { id: In([...new Set(writes.resolvedReplays)]) },
        { resolvedAt: new Date() },
      );
    }
    return results;
  }

  /**
   * Decides one event against the case as the group has it so far. Nothing is changed until every
   * computation that could fail has run, so a failing event leaves the group's state untouched.
   */
  private planAccept(
    writes: GroupWrites,
    job: AcceptJob,
    states: Map<string, CaseState>,
    stored: Map<string, { id: string; caseId: string; stage: string }>,
    firstInGroup: Map<string, { id: string; caseId: string; stage: string }>,
    now: Date,
  ): AcceptResult {
    const { record, event, warnings, applicantIdHash } = job;
    const eventKey = key(event.department, event.sourceEventId);
    const prior = stored.get(eventKey) ?? firstInGroup.get(eventKey);
    if (prior) {
      const inboundId = this.planInbound(writes, record, {
        outcome: 'DUPLICATE',
        httpStatus: 200,
        eventId: prior.id,
        caseId: prior.caseId,
      });
      return { kind: 'DUPLICATE', inboundId, eventId: prior.id, caseId: prior.caseId, stage: prior.stage };
    }

    const caseKey = key(event.department, event.sourceCaseNo);
    const state = states.get(caseKey);
    const history = state?.history ?? [];
    const arrival = state && state.lastArrival >= now.getTime() ? state.lastArrival + 1 : now.getTime();
    const createdAt = new Date(arrival);
    const incoming: StageEntry = {
      stage: event.stage,
      stageTime: event.stageTime,
      sourceSeq: event.sourceSeq ?? null,
      arrival,
      ref: event.sourceEventId,
    };
    const issue = findTransitionIssue([...history, incoming]);
    if (issue) {
      const inboundId = this.planInbound(writes, record, {
        outcome: 'REJECTED',
        httpStatus: 422,
        errorCode: 'STAGE_TRANSITION_INVALID',
        errors: [{ field: 'stage', code: issue.code, message: issue.message }],
        caseId: state?.kase.id ?? null,
      });
      return { kind: 'INVALID_TRANSITION', inboundId, issue };
    }

    const ordered = orderStageEntries([...history, incoming]);
    const latest = ordered[ordered.length - 1];
    const stageTime = new Date(event.stageTime);
    const closing = ordered.find((e) => CLOSING_STAGES.has(e.stage));
    const eventId = randomUUID();
    const inboundId = record.id ?? randomUUID();
    const order = orderKey(stageTime, event.sourceSeq);
    const eventWarnings = warnings.length ? JSON.stringify(warnings) : null;

    let next: CaseState;
    if (!state) {
      const kase = Object.assign(new CaseEntity(), {
        id: randomUUID(),
        department: event.department,
        sourceCaseNo: event.sourceCaseNo,
        platformProjectNo: event.platformProjectNo ?? null,
        online: !!event.platformProjectNo,
        matterCode: event.matterCode,
        matterName: event.matterName,
        location: event.location ?? null,
        currentStage: latest.stage,
        closed: !!closing,
        openedAt: stageTime,
        lastStageTime: stageTime,
        closedAt: closing ? new Date(closing.stageTime) : null,
        partiesEnc: job.partiesEnc,
        applicantIdHash,
        warnings: eventWarnings,
        platformLastSeq: 0,
        createdAt: now,
        updatedAt: now,
      });
      next = {
        kase,
        isNew: true,
        history: [],
        lastArrival: 0,
        patched: false,
        projectNoSet: false,
        locationSet: false,
      };
    } else {
      const kase = state.kase;
      const known: CaseWarning[] = kase.warnings ? JSON.parse(kase.warnings) : [];
      for (const w of warnings) if (!known.some((k) => k.code === w.code && k.field === w.field)) known.push(w);
      const patch: Partial<CaseEntity> = {
        currentStage: latest.stage,
        closed: !!closing,
        closedAt: closing ? new Date(closing.stageTime) : null,
        lastStageTime: stageTime > kase.lastStageTime ? stageTime : kase.lastStageTime,
        openedAt: stageTime < kase.openedAt ? stageTime : kase.openedAt,
        partiesEnc: job.partiesEnc,
        applicantIdHash: applicantIdHash ?? kase.applicantIdHash,
        warnings: known.length ? JSON.stringify(known) : null,
        updatedAt: now,
      };
      const setsProjectNo = !kase.platformProjectNo && !!event.platformProjectNo;
      if (setsProjectNo) patch.platformProjectNo = event.platformProjectNo;
      if (event.location) patch.location = event.location;
      Object.assign(kase, patch);
      state.patched = true;
      state.projectNoSet ||= setsProjectNo;
      state.locationSet ||= !!event.location;
      next = state;
    }

    // From here on nothing can fail: record the event in the group's view and its rows.
    if (!state) {
      states.set(caseKey, next);
      writes.newCases.push(next.kase);
    }
    next.history.push(incoming);
    next.lastArrival = arrival;
    const caseId = next.kase.id;
    writes.events.push({
      id: eventId,
      caseId,
      department: event.department,
      sourceEventId: event.sourceEventId,
      stage: event.stage,
      stageName: event.stageName ?? null,
      stageTime,
      sourceSeq: event.sourceSeq ?? null,
      payloadEnc: job.payloadEnc,
      warnings: eventWarnings,
      inboundId,
      createdAt,
    });
    writes.outbox.push({
      target: 'PLATFORM',
      kind: 'STAGE',
      caseId,
      eventId,
      orderTime: stageTime,
      orderSeq: event.sourceSeq ?? null,
      orderKey: order,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    this.planInbound(writes, { ...record, id: inboundId }, { outcome: 'ACCEPTED', httpStatus: 202, eventId, caseId });
    firstInGroup.set(eventKey, { id: eventId, caseId, stage: event.stage });
    return { kind: 'ACCEPTED', inboundId, eventId, caseId, stage: event.stage };
  }

  private planInbound(writes: GroupWrites, r: InboundRecord, result: InboundResult): string {
    const id = r.id ?? randomUUID();
    const headers = r.headers ? { ...r.headers } : null;
    if (headers) delete headers.authorization;
    writes.inbound.push({
      id,
      department: r.department,
      channel: r.channel,
      receivedAt: r.receivedAt,
      mediaType: r.mediaType ?? null,
      headers: json(headers),
      body: r.body,
      bodySha256: r.bodySha256 ?? null,
      sourceEventId: r.sourceEventId ? r.sourceEventId.slice(0, 128) : null,
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      errorCode: result.errorCode ?? null,
      errors: result.errors?.length ? JSON.stringify(result.errors) : null,
      eventId: result.eventId ?? null,
      caseId: result.caseId ?? null,
      correlationId: r.correlationId ?? null,
      batchId: r.batchId ?? null,
      rowNo: r.rowNo ?? null,
      replayOf: r.replayOf ?? null,
      resolvedAt: null,
    });
    if (r.replayOf && (result.outcome === 'ACCEPTED' || result.outcome === 'DUPLICATE'))
      writes.resolvedReplays.push(r.replayOf);
    return id;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads and writes of many rows at once

  /** The stored cases of these (department, case number) pairs; on MySQL locked, in index order. */
  private async loadCases(em: EntityManager, pairs: [string, string][]): Promise<CaseEntity[]> {
    const byDept = groupPairs(pairs);
    let n = 0;
    const q = em.createQueryBuilder(CaseEntity, 'c').where(
      new Brackets((w) => {
        for (const [dept, nos] of byDept) {
          const d = `d${n}`;
          const s = `n${n++}`;
          w.orWhere(`(c.department = :${d} AND c.source_case_no IN (:...${s}))`, { [d]: dept, [s]: nos });
        }
      }),
    );
    // Serialise concurrent writers of one case on MySQL; SQLite transactions are already serial.
    if (this.db.dialect === 'mysql')
      q.orderBy('c.department', 'ASC').addOrderBy('c.sourceCaseNo', 'ASC').setLock('pessimistic_write');
    return q.getMany();
  }

  /** Stored events among these (department, source event id) pairs: duplicates. */
  private async loadEvents(em: EntityManager, pairs: [string, string][]): Promise<CaseEventEntity[]> {
    const byDept = groupPairs(pairs);
    return em.find(CaseEventEntity, {
      where: [...byDept].map(([department, ids]) => ({ department, sourceEventId: In(ids) })),
      select: { id: true, caseId: true, stage: true, department: true, sourceEventId: true },
    });
  }

  /**
   * Multi-row INSERT of entity rows (every non-generated column, in the entity's own conversions),
   * split so one statement stays under `maxStatementBytes` and the bind-parameter limits.
   */
  private async insertMany(em: EntityManager, target: new () => object, rows: ObjectLiteral[]): Promise<void> {
    if (!rows.length) return;
    const driver = this.db.dataSource.driver;
    const meta = this.db.dataSource.getMetadata(target);
    const columns = meta.columns.filter((c) => c.generationStrategy !== 'increment');
    const head = `INSERT INTO ${driver.escape(meta.tableName)} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const maxRows = Math.max(1, Math.min(500, Math.floor(30_000 / columns.length)));
    let params: unknown[] = [];
    let count = 0;
    let bytes = 0;
    const send = async () => {
      if (!count) return;
      await em.query(head + new Array(count).fill(tuple).join(', '), params);
      params = [];
      count = 0;
      bytes = 0;
    };
    for (const row of rows) {
      const values: unknown[] = [];
      let size = tuple.length;
      for (const c of columns) {
        let v = row[c.propertyName];
        if (v === undefined) v = c.default !== undefined && typeof c.default !== 'function' ? c.default : null;
        v = driver.preparePersistentValue(v, c);
        size += typeof v === 'string' ? v.length * 3 : Buffer.isBuffer(v) ? v.length * 2 + 3 : 24;
        values.push(v);
      }
      if (count && (bytes + size > this.options.maxStatementBytes || count >= maxRows)) await send();
      params.push(...values);
      count++;
      bytes += size;
    }
    await send();
  }
}

function settle(job: Job, result: JobResult): void {
  if (!result.ok) job.done.reject(result.error);
  else (job.done as Deferred<unknown>).resolve(result.value);
}

function groupPairs(pairs: [string, string][]): Map<string, string[]> {
  const byFirst = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    let set = byFirst.get(a);
    if (!set) byFirst.set(a, (set = new Set()));
    set.add(b);
  }
  return new Map([...byFirst].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([a, set]) => [a, [...set].sort()]));
}
