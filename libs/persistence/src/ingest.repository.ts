import { randomFillSync } from 'node:crypto';
import type { ObjectLiteral } from 'typeorm';
import {
  CanonicalEvent,
  CaseWarning,
  CLOSING_STAGES,
  FieldIssue,
  StageEntry,
  TransitionIssue,
  findTransitionIssueInOrder,
  maskFieldIssues,
  orderStageEntries,
} from '#gw/case';
import { ErrorCodes, type PersonalDataCipher } from '#gw/common';
import { Database } from './database';
import { GroupSession, Statement, mysqlLiteral } from './group-session';
import { hydratedValue, persistentValue } from './persistent-value';
import { AcceptedEvent, AcceptedEventLookup } from './accepted-event-lookup';
import { EncryptionWorker, Plain } from './encryption-worker';
import { CaseEntity, CaseEventEntity, InboundMessageEntity, InboundOutcome, OutboxEntity, PlatformCallbackEntity, orderKey } from './entities';

/** A request (or batch row) as received, to be kept whatever its outcome. */
export interface InboundRecord {
  id?: string;
  department: string;
  channel: 'event' | 'batch' | 'batch-row' | 'replay' | 'correction';
  receivedAt: Date;
  mediaType?: string | null;
  headers?: Record<string, string>;
  /** Null when the payload must not be kept (classified matters). */
  body: Buffer | null;
  /**
   * The body as it is stored (`PersonalDataCipher.seal`), set by the store when it seals it ahead
   * of the transaction (on the batch writer's encryption thread for accepted rows).
   */
  sealedBody?: Buffer;
  /**
   * A row of a batch file kept whole (`BatchRepository.keepFile`): if the row is taken (accepted or
   * a duplicate) it keeps neither body nor headers of its own — the file and the batch hold them.
   * A refused row keeps both, as any quarantined message, for replay.
   */
  bodyInFile?: boolean;
  bodySha256?: string | null;
  sourceEventId?: string | null;
  correlationId?: string | null;
  batchId?: string | null;
  rowNo?: number | null;
  replayOf?: string | null;
  /** The caller's address (TCP peer), for the audit log; never stored with the message. */
  clientAddress?: string | null;
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
  | { kind: 'INVALID_TRANSITION'; inboundId: string; issue: TransitionIssue }
  /** The event names a platform project_no that is not of a case routed to its department: kept as refused. */
  | { kind: 'NOT_OF_DEPARTMENT'; inboundId: string };

/** What a department is told when it reports under a project_no not routed to it: nothing about whose it is. */
export const NOT_OF_DEPARTMENT_MESSAGE = '申办号不是本部门的办件 the platform project number is not of a case routed to this department';

/**
 * The store as the ingest pipeline uses it for the rows of one batch file (`IngestRepository.batchWriter`):
 * the same three calls, with the same outcomes, but committed in large groups.
 */
export interface IngestBatchWriter {
  findAcceptedEvent(department: string, sourceEventId: string): Promise<{ id: string; caseId: string; stage: string } | null>;
  saveInbound(record: InboundRecord, result: InboundResult): Promise<string>;
  acceptEvent(record: InboundRecord, event: CanonicalEvent, warnings: CaseWarning[], applicantIdHash: string | null): Promise<AcceptResult>;
  /**
   * `acceptEvent` without a promise: `done` is told once the row is durable (or failed). A file has
   * thousands of rows under way; a promise chain each was most of what they held. Takes the
   * applicant's number itself (`applicantKey`), hashed on the encryption thread with the rest.
   */
  submitAccept(record: InboundRecord, event: CanonicalEvent, warnings: CaseWarning[], applicantKey: string | null, done: Deferred<AcceptResult>): void;
  /**
   * Commit what is collected now, and from here on whatever else is submitted (the caller is about
   * to wait for its rows): until `hold()`, writes are not kept back to fill a group.
   */
  flush(): void;
  /** Keep writes back again until `maxRows` are collected (or the next `flush()`). */
  hold(): void;
}

/** How a batch writer groups its writes. */
export interface BatchWriterOptions {
  /** Most writes (rows) committed in one transaction (default 2000). */
  maxRows: number;
}

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

const key = (a: string, b: string) => `${a}\u0000${b}`;

/** Told the outcome of one write: resolved once it is durable, rejected if it failed. */
export interface Deferred<T> {
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
  /** Batch writer: the turn whose encryption this job waits for, until it is done. */
  sealing?: SealingTurn;
  done: Deferred<AcceptResult>;
}

/**
 * The accepted rows a batch writer was given in one turn of the event loop, encrypted together in
 * one request to the encryption thread (one promise for the turn, none per row).
 */
interface SealingTurn {
  jobs: AcceptJob[];
  /** Per job: parties, event, the applicant's number when `hashes`, the row's own bytes when `sealsBody`. */
  texts: Plain[];
  hashes: boolean[];
  sealsBody: boolean[];
  done: Promise<void>;
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
 * writing the same case serialise on it and each sees what the previous one committed; the
 * group's reads go to MySQL as one request and its writes with COMMIT as another
 * (`Database.groupTransaction`).
 */
export class IngestRepository {
  private options: GroupCommitOptions;
  private queue: Job[] = [];
  private inFlight = 0;
  /** Committed groups whose flush to disk is still under way (their callers are not answered yet). */
  private flushing = 0;
  /** Batch writer groups being committed (outside the queue; `drain` waits for them too). */
  private batchCommits = 0;
  private timer?: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout };
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { groups: 0, writes: 0, largestGroup: 0, fallbacks: 0 };
  private readonly lookup: AcceptedEventLookup;

  constructor(
    private readonly db: Database,
    private readonly cipher: PersonalDataCipher,
    options: Partial<GroupCommitOptions> = {},
  ) {
    this.lookup = new AcceptedEventLookup(db);
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
    if (!this.queue.length && !this.inFlight && !this.flushing && !this.batchCommits) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Nest: commit what is queued before the database is closed. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
    this.encryptionWorker?.close();
  }

  /**
   * The first acceptance of a department event, if there was one. Asked once per request before
   * anything is queued; the questions of one turn of the event loop share one query.
   */
  findAcceptedEvent(department: string, sourceEventId: string): Promise<AcceptedEvent | null> {
    return this.lookup.find(department, sourceEventId);
  }

  /** Keeps a request that was not accepted (unreadable, invalid, refused, duplicate). */
  async saveInbound(record: InboundRecord, result: InboundResult): Promise<string> {
    this.sealBody(record, result.outcome);
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
    this.sealBody(record);
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

  /**
   * A writer for the rows of one batch file (the gateway answers only after the whole file is
   * stored, so nobody waits for one row's commit): every write made in the same turn of the event
   * loop — and everything submitted while a commit is under way — goes into one transaction of up
   * to `maxRows` rows, planned exactly like a group of the queue (`writeGroup`); its callers are
   * answered once it is on disk. The accepted rows of one turn are encrypted together, on the
   * encryption thread; duplicates are found by the group's own read of the stored events. Commits
   * of one writer run one after another, so rows are planned in the order they were submitted. A
   * group that fails on a lost race or a refused row goes through the queue instead (which commits
   * one by one if needed, so only the culprit fails), and the next group waits for its rows; a
   * database that is unusable fails every caller of the group.
   */
  batchWriter(options: Partial<BatchWriterOptions> = {}): IngestBatchWriter {
    const maxRows = options.maxRows ?? 2000;
    if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > 20_000)
      throw new Error(`batch writer maxRows must be an integer in [1, 20000], got ${maxRows}`);
    let jobs: Job[] = [];
    /** The turn collecting accepted rows to encrypt (see `SealingTurn`). */
    let sealing: SealingTurn | undefined;
    let rows = 0;
    let eager = false;
    let committing = false;
    let flushScheduled = false;
    const rowsOf = (job: Job) => (job.kind === 'inbound' ? job.rows.length : 1);

    const scheduleFlush = () => {
      if (committing || flushScheduled || !jobs.length) return;
      flushScheduled = true;
      setImmediate(commitNext);
    };

    const commitNext = () => {
      flushScheduled = false;
      if (committing || !jobs.length) return;
      let n = 0;
      let taken = 0;
      while (n < jobs.length && (taken < maxRows || n === 0)) taken += rowsOf(jobs[n++]);
      const group = jobs.slice(0, n);
      jobs = jobs.slice(n);
      rows -= taken;
      committing = true;
      const start = () => void this.commitBatchGroup(group, committed);
      const encrypted = new Set<Promise<void>>();
      for (const job of group) if (job.kind === 'accept' && job.sealing) encrypted.add(job.sealing.done);
      if (!encrypted.size) start();
      else
        Promise.all(encrypted).then(start, (error) => {
          for (const job of group) job.done.reject(error);
          committed();
        });
    };

    // Called as soon as a group's transaction has ended, before its callers are answered: the next
    // group starts at once, instead of after the 2,000 rows' answers (65–85 ms of the event loop
    // between two groups on MariaDB, where each group waits for the one before it).
    const committed = (): void => {
      committing = false;
      if (eager || rows >= maxRows) commitNext();
    };

    const submit = (job: Job) => {
      jobs.push(job);
      rows += rowsOf(job);
      if (eager || rows >= maxRows) scheduleFlush();
    };

    // What `acceptEvent` encrypts (`encryptJson` of the same values), on the worker thread, for
    // every row of the turn at once; a group waits for its rows' turns before it is planned.
    const sealLater = (job: AcceptJob, applicantKey: string | null, body: Buffer | null) => {
      let turn = sealing;
      if (!turn) {
        const t: SealingTurn = { jobs: [], texts: [], hashes: [], sealsBody: [], done: undefined as unknown as Promise<void> };
        t.done = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => {
            if (sealing === t) sealing = undefined;
            return this.encryptor.encrypt(t.texts);
          })
          .then((out) => {
            let at = 0;
            t.jobs.forEach((j, i) => {
              j.partiesEnc = out[at++] as string;
              j.payloadEnc = out[at++] as string;
              if (t.hashes[i]) j.applicantIdHash = out[at++] as string;
              if (t.sealsBody[i]) j.record.sealedBody = out[at++] as Buffer;
              // Encrypted: a group taking this row need not wait for it.
              j.sealing = undefined;
            });
          });
        sealing = turn = t;
      }
      turn.jobs.push(job);
      turn.texts.push(JSON.stringify({ applicants: job.event.applicants, agent: job.event.agent ?? null }), JSON.stringify(job.event));
      if (applicantKey !== null) turn.texts.push({ lookup: applicantKey });
      turn.hashes.push(applicantKey !== null);
      if (body) turn.texts.push(body);
      turn.sealsBody.push(!!body);
      job.sealing = turn;
    };

    // The applicant's hash is either given (`acceptEvent`) or made here from its number (`applicantKey`).
    const submitAccept = (record: InboundRecord, event: CanonicalEvent, warnings: CaseWarning[], applicantKey: string | null, done: Deferred<AcceptResult>, applicantIdHash: string | null = null) => {
      const job: AcceptJob = { kind: 'accept', record, event, warnings, applicantIdHash, partiesEnc: '', payloadEnc: '', done };
      // A batch row's own text is sealed only if it is refused after all (`planInbound`).
      sealLater(job, applicantKey, record.sealedBody || record.bodyInFile ? null : record.body);
      submit(job);
    };

    return {
      findAcceptedEvent: (department, sourceEventId) => this.lookup.find(department, sourceEventId),
      saveInbound: (record, result) =>
        new Promise<string[]>((resolve, reject) => {
          this.sealBody(record, result.outcome);
          submit({ kind: 'inbound', rows: [{ record, result }], done: { resolve, reject } });
        }).then(([id]) => id),
      acceptEvent: (record, event, warnings, applicantIdHash) =>
        new Promise<AcceptResult>((resolve, reject) => submitAccept(record, event, warnings, null, { resolve, reject }, applicantIdHash)),
      submitAccept,
      flush: () => {
        eager = true;
        scheduleFlush();
      },
      hold: () => {
        eager = false;
      },
    };
  }

  private encryptionWorker?: EncryptionWorker;

  /** The batch writers' encryption thread, started on first use. */
  private get encryptor(): EncryptionWorker {
    this.encryptionWorker ??= new EncryptionWorker(this.cipher, () => this.cipher.keysForWorkerThread());
    return this.encryptionWorker;
  }

  /**
   * One batch writer group: one transaction; on a lost race or a refused row, the queue's way.
   * `ended` is called once the transaction has ended (committed or not), before anyone is answered.
   */
  private async commitBatchGroup(jobs: Job[], ended: () => void): Promise<void> {
    this.counters.groups++;
    this.counters.writes += jobs.length;
    this.counters.largestGroup = Math.max(this.counters.largestGroup, jobs.length);
    this.batchCommits++;
    let endedCalled = false;
    const end = () => {
      if (endedCalled) return;
      endedCalled = true;
      ended();
    };
    try {
      const committed = await this.transaction((session) => this.writeGroup(session, jobs));
      end();
      this.settleWhenDurable(jobs, committed.value, committed.durable);
    } catch (e) {
      if (isSystemicDatabaseError(e)) {
        for (const job of jobs) job.done.reject(e);
        end();
      } else {
        // Through the queue, which commits them one by one if it must. The next group waits until
        // every one of them is answered: its rows may be later stages of the same cases.
        this.counters.fallbacks++;
        let left = jobs.length;
        const answered = () => {
          if (--left === 0) end();
        };
        for (const job of jobs) {
          const { resolve, reject } = job.done as Deferred<unknown>;
          job.done = {
            resolve: (value: unknown) => {
              resolve(value);
              answered();
            },
            reject: (error: unknown) => {
              reject(error);
              answered();
            },
          };
          this.enqueue(job);
        }
      }
    } finally {
      this.batchCommits--;
      this.notifyIdle();
    }
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
        else this.notifyIdle();
      });
    }
  }

  /**
   * One group's transaction. Returns once committed; `durable` settles when the commit is on disk
   * (SQLite flushes its log off the event loop, so the next group is written meanwhile). Callers
   * are answered only after `durable`.
   */
  private transaction<T>(fn: (session: GroupSession) => Promise<T>): Promise<{ value: T; durable: Promise<void> }> {
    return this.db.groupTransaction(fn, this.options.maxStatementBytes);
  }

  /** Settles the jobs of a committed group once it is on disk (or fails them if the flush fails). */
  private settleWhenDurable(jobs: Job[], results: JobResult[], durable: Promise<void>): void {
    this.flushing++;
    durable
      .then(
        () => jobs.forEach((job, i) => settle(job, results[i])),
        (error) => jobs.forEach((job) => job.done.reject(error)),
      )
      .finally(() => {
        this.flushing--;
        this.notifyIdle();
      });
  }

  private notifyIdle(): void {
    if (!this.queue.length && !this.inFlight && !this.flushing && !this.batchCommits) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async commit(jobs: Job[]): Promise<void> {
    this.counters.groups++;
    this.counters.writes += jobs.length;
    this.counters.largestGroup = Math.max(this.counters.largestGroup, jobs.length);
    if (jobs.length === 1) {
      await this.commitAlone(jobs[0]);
      return;
    }
    let committed: { value: JobResult[]; durable: Promise<void> };
    try {
      committed = await this.transaction((session) => this.writeGroup(session, jobs));
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
    this.settleWhenDurable(jobs, committed.value, committed.durable);
  }

  /** One write in its own transaction, retried after a lost race; returns its error, if any. */
  private async commitAlone(job: Job): Promise<unknown> {
    try {
      // Two first events of one case race on its unique key (or InnoDB picks a deadlock victim):
      // run again; the second run sees the winner's rows and answers duplicate or appends.
      const value = await Database.retryingConflicts(async () => {
        const committed = await this.transaction((session) => this.writeGroup(session, [job]));
        // The fallback path is rare: wait for the disk here, so a failed flush is reported like a failed commit.
        await committed.durable;
        return committed.value;
      });
      settle(job, value[0]);
      return value[0].ok ? undefined : value[0].error;
    } catch (e) {
      job.done.reject(e);
      return e;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One group: read, plan in memory, write

  private async writeGroup(session: GroupSession, jobs: Job[]): Promise<JobResult[]> {
    const now = new Date();
    const accepts = jobs.filter((j): j is AcceptJob => j.kind === 'accept');
    const states = new Map<string, CaseState>();
    const stored = new Map<string, { id: string; caseId: string; stage: string }>();
    const reporters = new Map<string, Set<string>>();

    if (accepts.length) {
      // Cases first (locked on MySQL), then everything else: later reads see the lock holder's rows.
      const casePairs = accepts.map((j): [string, string] => [j.event.department, j.event.sourceCaseNo]);
      const projectNos = [...new Set(accepts.map((j) => j.event.platformProjectNo).filter((p): p is string => !!p))];
      const [caseRows, historyRows, eventRows, reporterRows] = await session.read([
        this.casesStatement(casePairs),
        this.historyStatement(casePairs),
        this.eventsStatement(accepts.map((j) => [j.event.department, j.event.sourceEventId])),
        // In the same request as the reads above, and only when an event names a project.
        ...(projectNos.length ? [this.reportersStatement(projectNos)] : []),
      ]);
      for (const r of reporterRows ?? []) {
        const p = String(r.p);
        let set = reporters.get(p);
        if (!set) reporters.set(p, (set = new Set()));
        set.add(String(r.d));
      }
      for (const kase of this.hydrate(CaseEntity, caseRows)) {
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
      for (const e of this.hydrate(CaseEventEntity, historyRows)) {
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
      for (const e of this.hydrate(CaseEventEntity, eventRows)) {
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
        return { ok: true, value: this.planAccept(writes, job, states, stored, firstInGroup, reporters, now) };
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

    await session.write(this.groupStatements(writes, states, now));
    return results;
  }

  /**
   * The group's writes, each statement built only when the session is about to send it: on MySQL
   * a 4,000-row group's text (~12 million characters, with its values in place) was otherwise all
   * in memory until COMMIT, on top of the rows themselves.
   */
  private *groupStatements(writes: GroupWrites, states: Map<string, CaseState>, now: Date): Generator<Statement> {
    yield* this.insertStatements(CaseEntity, writes.newCases);
    yield* this.updateCaseStatements([...states.values()].filter((s) => !s.isNew && s.patched));
    yield* this.insertStatements(CaseEventEntity, writes.events);
    yield* this.insertStatements(OutboxEntity, writes.outbox);
    yield* this.insertStatements(InboundMessageEntity, writes.inbound);
    const resolved = [...new Set(writes.resolvedReplays)];
    if (resolved.length) yield this.resolvedStatement(resolved, now);
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
    reporters: Map<string, Set<string>>,
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
    // A department reports under a platform project_no only for a case routed to it: its own case
    // carrying that number, or an online application the callbacks routed to it. Anything else
    // (another department's case, or a number nobody has) gets the same refusal, kept for replay.
    const projectNo = event.platformProjectNo;
    if (projectNo && state?.kase.platformProjectNo !== projectNo && !reporters.get(projectNo)?.has(event.department)) {
      const inboundId = this.planInbound(writes, record, {
        outcome: 'REJECTED',
        httpStatus: 422,
        errorCode: ErrorCodes.CASE_NOT_OF_DEPARTMENT,
        errors: [{ field: 'platformProjectNo', code: ErrorCodes.CASE_NOT_OF_DEPARTMENT, message: NOT_OF_DEPARTMENT_MESSAGE }],
        caseId: state?.kase.id ?? null,
      });
      return { kind: 'NOT_OF_DEPARTMENT', inboundId };
    }
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
    // Ordered once, for the check and for what the case becomes.
    const ordered = orderStageEntries([...history, incoming]);
    const issue = findTransitionIssueInOrder(ordered);
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

    const latest = ordered[ordered.length - 1];
    const stageTime = new Date(event.stageTime);
    const closing = ordered.find((e) => CLOSING_STAGES.has(e.stage));
    const eventId = timeOrderedId();
    const inboundId = record.id ?? timeOrderedId();
    const order = orderKey(stageTime, event.sourceSeq);
    const eventWarnings = warnings.length ? JSON.stringify(warnings) : null;

    let next: CaseState;
    if (!state) {
      const kase = Object.assign(new CaseEntity(), {
        id: timeOrderedId(),
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

  /**
   * Seals a record's body for storage, once (personal data at rest: see `InboundMessageEntity.body`).
   * A batch row's body only once it is known to be refused (`outcome`): a taken row keeps none.
   */
  private sealBody(r: InboundRecord, outcome?: InboundOutcome): void {
    if (r.bodyInFile && (outcome === undefined || !keepsOwnBody(r, outcome))) return;
    if (r.body && !r.sealedBody) r.sealedBody = this.cipher.seal(r.body);
  }

  private planInbound(writes: GroupWrites, r: InboundRecord, result: InboundResult): string {
    const id = r.id ?? timeOrderedId();
    const own = keepsOwnBody(r, result.outcome);
    this.sealBody(r, result.outcome);
    const sealed = own ? r.sealedBody : undefined;
    writes.inbound.push({
      id,
      department: r.department,
      channel: r.channel,
      receivedAt: r.receivedAt,
      mediaType: r.mediaType ?? null,
      headers: own ? storedHeaders(r.headers) : null,
      body: sealed ?? null,
      bodyEncrypted: !!sealed,
      bodySha256: r.bodySha256 ?? null,
      sourceEventId: r.sourceEventId ? r.sourceEventId.slice(0, 128) : null,
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      errorCode: result.errorCode ?? null,
      // Never stored quoting personal data, whoever phrased the issues (the callers mask them too).
      errors: result.errors?.length ? JSON.stringify(maskFieldIssues(result.errors)) : null,
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
  private casesStatement(pairs: [string, string][]): Statement {
    const meta = this.db.dataSource.getMetadata(CaseEntity);
    const where = pairsWhere('c', 'department', 'source_case_no', pairs);
    const columns = meta.columns.map((c) => `c.${this.q(c.databaseName)}`).join(', ');
    // Serialise concurrent writers of one case on MySQL; SQLite transactions are already serial.
    const lock = this.db.dialect === 'mysql' ? ' ORDER BY c.department, c.source_case_no FOR UPDATE' : '';
    return statement(`SELECT ${columns} FROM ${this.q(meta.tableName)} c WHERE ${where.sql}${lock}`, where.params);
  }

  /** The stored stages of those cases (read after the cases, so after their locks on MySQL). */
  private historyStatement(pairs: [string, string][]): Statement {
    const cases = this.q(this.db.dataSource.getMetadata(CaseEntity).tableName);
    const events = this.q(this.db.dataSource.getMetadata(CaseEventEntity).tableName);
    const where = pairsWhere('c', 'department', 'source_case_no', pairs);
    return statement(
      `SELECT e.case_id, e.stage, e.stage_time, e.source_seq, e.created_at, e.source_event_id FROM ${events} e ` +
        `JOIN ${cases} c ON c.id = e.case_id WHERE ${where.sql}`,
      where.params,
    );
  }

  /**
   * The departments that may report under these platform project numbers (columns p, d): the one
   * each online application was routed to, and those whose cases carry the number. Both by index.
   */
  private reportersStatement(projectNos: string[]): Statement {
    const callbacks = this.q(this.db.dataSource.getMetadata(PlatformCallbackEntity).tableName);
    const cases = this.q(this.db.dataSource.getMetadata(CaseEntity).tableName);
    const marks = projectNos.map(() => '?').join(', ');
    return statement(
      `SELECT cb.project_no AS p, cb.department AS d FROM ${callbacks} cb ` +
        `WHERE cb.project_no IN (${marks}) AND cb.type = 'ONLINE_APPLICATION' AND cb.status = 'ROUTED' AND cb.department IS NOT NULL ` +
        `UNION SELECT c.platform_project_no AS p, c.department AS d FROM ${cases} c WHERE c.platform_project_no IN (${marks})`,
      [...projectNos, ...projectNos],
    );
  }

  /** Stored events among these (department, source event id) pairs: duplicates. */
  private eventsStatement(pairs: [string, string][]): Statement {
    const events = this.q(this.db.dataSource.getMetadata(CaseEventEntity).tableName);
    const where = pairsWhere('e', 'department', 'source_event_id', pairs);
    return statement(`SELECT e.id, e.case_id, e.stage, e.department, e.source_event_id FROM ${events} e WHERE ${where.sql}`, where.params);
  }

  /** Raw rows as entities, each column converted as the driver converts it for `find` (only the columns read). */
  private hydrate<T extends object>(target: new () => T, rows: ObjectLiteral[]): T[] {
    if (!rows.length) return [];
    const driver = this.db.dataSource.driver;
    const dialect = this.db.dialect;
    const columns = this.db.dataSource.getMetadata(target).columns.filter((c) => c.databaseName in rows[0]);
    return rows.map((raw) => {
      const entity = new target() as ObjectLiteral;
      for (const c of columns) entity[c.propertyName] = hydratedValue(driver, dialect, raw[c.databaseName], c);
      return entity as T;
    });
  }

  private q(name: string): string {
    return this.db.dataSource.driver.escape(name);
  }

  /** MySQL: the time zone values are written in place in; undefined on SQLite (bound parameters). */
  private get inPlaceTimezone(): string | undefined {
    return this.db.dialect === 'mysql' ? this.db.mysqlTimezone : undefined;
  }

  /**
   * The group's changes to stored cases: one statement per (up to) 500 cases instead of one
   * UPDATE per case — a derived table of the new values joined on the id. The project number and
   * the location are written only for the cases whose event set them (the flags), as before.
   */
  private updateCaseStatements(changed: CaseState[]): Statement[] {
    if (!changed.length) return [];
    const driver = this.db.dataSource.driver;
    const dialect = this.db.dialect;
    const meta = this.db.dataSource.getMetadata(CaseEntity);
    const col = (property: keyof CaseEntity) => meta.findColumnWithPropertyName(property as string)!;
    const set = (['currentStage', 'closed', 'closedAt', 'lastStageTime', 'openedAt', 'partiesEnc', 'applicantIdHash', 'warnings', 'updatedAt'] as const).map(col);
    const projectNo = col('platformProjectNo');
    const location = col('location');
    const id = col('id');
    const q = (name: string) => this.q(name);
    const table = q(meta.tableName);
    // The derived table's columns: v0 = id, v1… = the `set` columns, then flag + value for each optional one.
    const names = ['v0', ...set.map((_, i) => `v${i + 1}`), 'pf', 'pv', 'lf', 'lv'];
    const assignments = [
      ...set.map((c, i) => `${q(c.databaseName)} = v.v${i + 1}`),
      `${q(projectNo.databaseName)} = CASE WHEN v.pf = 1 THEN v.pv ELSE ${table}.${q(projectNo.databaseName)} END`,
      `${q(location.databaseName)} = CASE WHEN v.lf = 1 THEN v.lv ELSE ${table}.${q(location.databaseName)} END`,
    ];
    const rowValues = (s: CaseState): unknown[] => {
      const k = s.kase;
      return [
        persistentValue(driver, dialect, k.id, id),
        ...set.map((c) => persistentValue(driver, dialect, c.getEntityValue(k), c)),
        s.projectNoSet ? 1 : 0,
        persistentValue(driver, dialect, k.platformProjectNo, projectNo),
        s.locationSet ? 1 : 0,
        persistentValue(driver, dialect, k.location, location),
      ];
    };
    const timezone = this.inPlaceTimezone;
    const statements: Statement[] = [];
    for (let at = 0, n = 0; at < changed.length; at += n) {
      n = dialect === 'sqlite' ? statementRows(changed.length - at, 500) : 500;
      const part = changed.slice(at, at + n);
      if (timezone !== undefined) {
        // The derived table with its values written in place (see `mysqlLiteral`).
        const rowsSql = part.map((s, r) => {
          const values = rowValues(s).map((v) => mysqlLiteral(v, timezone));
          return r === 0 ? `SELECT ${values.map((v, i) => `${v} AS ${names[i]}`).join(', ')}` : `SELECT ${values.join(', ')}`;
        });
        const sql =
          `UPDATE ${table} JOIN (${rowsSql.join(' UNION ALL ')}) v ON ${table}.${q(id.databaseName)} = v.v0 ` +
          `SET ${assignments.map((a) => `${table}.${a}`).join(', ')}`;
        // Sizes count UTF-8 bytes at their most (matter names and warnings are Chinese).
        statements.push({ sql, params: [], bytes: sql.length * 3 });
        continue;
      }
      // SQLite names the columns of a VALUES table column1, column2, …: renamed by a CTE.
      const tuple = `(${names.map(() => '?').join(', ')})`;
      const sql =
        `WITH v(${names.join(', ')}) AS (VALUES ${new Array(part.length).fill(tuple).join(', ')}) ` +
        `UPDATE ${table} SET ${assignments.join(', ')} FROM v WHERE ${table}.${q(id.databaseName)} = v.v0`;
      statements.push(statement(sql, part.flatMap(rowValues)));
    }
    return statements;
  }

  /** Replayed inbound records whose replay was accepted: resolved. */
  private resolvedStatement(ids: string[], at: Date): Statement {
    const meta = this.db.dataSource.getMetadata(InboundMessageEntity);
    const resolvedAt = meta.findColumnWithPropertyName('resolvedAt')!;
    const value = this.db.dataSource.driver.preparePersistentValue(at, resolvedAt);
    return statement(
      `UPDATE ${this.q(meta.tableName)} SET ${this.q(resolvedAt.databaseName)} = ? WHERE id IN (${ids.map(() => '?').join(', ')})`,
      [value, ...ids],
    );
  }

  /**
   * Multi-row INSERTs of entity rows (every non-generated column, in the entity's own conversions),
   * split so one statement stays under `maxStatementBytes` and the bind-parameter limits.
   */
  private *insertStatements(target: new () => object, rows: ObjectLiteral[]): Generator<Statement> {
    if (!rows.length) return;
    const driver = this.db.dataSource.driver;
    const meta = this.db.dataSource.getMetadata(target);
    const columns = meta.columns.filter((c) => c.generationStrategy !== 'increment');
    const head = `INSERT INTO ${this.q(meta.tableName)} (${columns.map((c) => this.q(c.databaseName)).join(', ')}) VALUES `;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const maxRows = Math.max(1, Math.min(500, Math.floor(30_000 / columns.length)));
    // SQLite prepares (and caches) each statement text: a few fixed row counts are prepared once,
    // instead of a new statement for every group's odd remainder.
    const sized = this.db.dialect === 'sqlite';
    // MySQL: values written in place (see `mysqlLiteral` and `Statement.pieces`).
    const timezone = this.inPlaceTimezone;
    let left = rows.length;
    let take = sized ? statementRows(left, maxRows) : maxRows;
    let params: unknown[] = [];
    let pieces: string[] = [];
    let count = 0;
    let bytes = 0;
    const close = (): Statement => {
      const closed: Statement =
        timezone === undefined
          ? { sql: head + new Array(count).fill(tuple).join(', '), params, bytes: bytes + head.length }
          : { sql: head, params, bytes: bytes + head.length, pieces };
      left -= count;
      if (sized) take = statementRows(left, maxRows);
      params = [];
      pieces = [];
      count = 0;
      bytes = 0;
      return closed;
    };
    // One row's values at a time, in one array used for every row (a new one per row and table was
    // ~200,000 arrays for a 50,000-row file).
    const values: unknown[] = new Array(columns.length);
    const literals: string[] = new Array(columns.length);
    for (const row of rows) {
      let size = tuple.length;
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i];
        let v = row[c.propertyName];
        if (v === undefined) v = c.default !== undefined && typeof c.default !== 'function' ? c.default : null;
        v = persistentValue(driver, this.db.dialect, v, c);
        size += valueBytes(v);
        values[i] = v;
      }
      if (count && (bytes + size > this.options.maxStatementBytes || count >= take)) yield close();
      if (timezone === undefined) for (let i = 0; i < values.length; i++) params.push(values[i]);
      else {
        // One text per row, joined only into the request's text (see `Statement.pieces`).
        for (let i = 0; i < values.length; i++) literals[i] = mysqlLiteral(values[i], timezone);
        pieces.push((count ? ', (' : '(') + literals.join(', ') + ')');
      }
      count++;
      bytes += size;
    }
    if (count) yield close();
  }
}

/** About how many bytes a value takes in a statement, at its most (UTF-8: up to 3 per character; bytes as hex). */
function valueBytes(v: unknown): number {
  return typeof v === 'string' ? v.length * 3 : Buffer.isBuffer(v) ? v.length * 2 + 3 : 24;
}

/** A statement and a rough size for splitting requests. */
function statement(sql: string, params: unknown[]): Statement {
  let bytes = sql.length;
  for (const p of params) bytes += valueBytes(p);
  return { sql, params, bytes };
}

/** `(a.x = ? AND a.y IN (?, …)) OR …` for (x, y) pairs, grouped by x. */
function pairsWhere(alias: string, first: string, second: string, pairs: [string, string][]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts: string[] = [];
  for (const [a, bs] of groupPairs(pairs)) {
    parts.push(`(${alias}.${first} = ? AND ${alias}.${second} IN (${bs.map(() => '?').join(', ')}))`);
    params.push(a, ...bs);
  }
  return { sql: parts.join(' OR '), params };
}

/** Whether a record keeps its body and headers itself (see `InboundRecord.bodyInFile`). */
function keepsOwnBody(r: InboundRecord, outcome: InboundOutcome): boolean {
  return !(r.bodyInFile && (outcome === 'ACCEPTED' || outcome === 'DUPLICATE'));
}

/** Headers as kept with a request, by the request's headers object (a batch's rows all share theirs). */
const storedHeaderTexts = new WeakMap<Record<string, string>, string>();

/**
 * Headers never stored: credentials by name, and any whose name says it carries one (a token, a
 * secret, a signature, a password, a cookie, a key). The platform's callback signature headers
 * are checked, not kept.
 */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);
const CREDENTIAL_HEADER_NAME = /token|secret|signature|password|passwd|cookie|api-?key|auth/i;
/** Longest header value stored; a longer one is cut (`…`). */
export const MAX_STORED_HEADER_CHARS = 512;
/** Most headers stored for one request; the rest are left out. */
export const MAX_STORED_HEADERS = 64;

/** Whether a header (by its lower-case name) may be stored with a request. */
export function isStorableHeader(name: string): boolean {
  return !CREDENTIAL_HEADERS.has(name) && !CREDENTIAL_HEADER_NAME.test(name);
}

/** A request's headers as stored: JSON, without credentials (`isStorableHeader`), values capped. */
export function storedHeaders(headers: Record<string, string> | undefined): string | null {
  if (!headers) return null;
  let text = storedHeaderTexts.get(headers);
  if (text === undefined) {
    const kept: Record<string, string> = {};
    let count = 0;
    for (const name of Object.keys(headers)) {
      if (!isStorableHeader(name.toLowerCase())) continue;
      if (++count > MAX_STORED_HEADERS) break;
      const value = String(headers[name]);
      kept[name] = value.length > MAX_STORED_HEADER_CHARS ? `${value.slice(0, MAX_STORED_HEADER_CHARS)}…` : value;
    }
    text = JSON.stringify(kept);
    storedHeaderTexts.set(headers, text);
  }
  return text;
}

/** Rows for the next multi-row statement: `max`, or for a remainder one of a few fixed counts. */
function statementRows(left: number, max: number): number {
  if (left >= max) return max;
  for (const n of [256, 64, 16, 4]) if (n < max && left >= n) return n;
  return 1;
}

/** Random bytes for ids, drawn in bulk. */
const idPool = Buffer.alloc(16 * 512);
let idPoolAt = idPool.length;

/**
 * A time-ordered UUID (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random bits).
 * Rows written together get neighbouring keys, so the primary-key indexes (and the indexes that
 * lead with a case id) grow at their end instead of touching a random page per row: far fewer
 * pages written per commit (SQLite's WAL, InnoDB's clustered index).
 */
export function timeOrderedId(now = Date.now()): string {
  if (idPoolAt === idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  const b = idPool.subarray(idPoolAt, idPoolAt + 16);
  idPoolAt += 16;
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  // Written as text into one buffer and read once: hex then five slices and a template was six
  // strings per id (four ids per batch row).
  for (let i = 0, at = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) at++;
    idText[at++] = HEX_DIGITS[b[i] >> 4];
    idText[at++] = HEX_DIGITS[b[i] & 15];
  }
  return idText.toString('latin1');
}

/** The text of the id being made, dashes in place. */
const idText = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

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
