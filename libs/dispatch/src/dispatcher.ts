import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CanonicalEvent } from '#gw/case';
import type { Catalogue } from '#gw/catalogue';
import type { ForegroundWork, PersonalDataCipher } from '#gw/common';
import { CityPlatformPort, FollowUpKind, LICENCE_OUTCOME_UNKNOWN, PlatformCall, PlatformOutcome, UNKNOWN_PROJECT_RETRIES, licenceUnknown } from '#gw/platform';
import { AttemptRecord, CaseEntity, ClaimedDelivery, LeaseLostError, LicenceRepository, OutboxEntity, OutboxRepository } from '#gw/persistence';
import { ClaimLoop, backoffDelay } from '#gw/resilience';
import { LicenceRegistry } from './licence-registry';

export interface DispatcherSettings {
  /** Cases delivered in parallel (one message of a case at a time). */
  concurrency: number;
  /** Poll interval when idle; a wake-up signal starts a round at once. */
  pollIntervalMs: number;
  /** How long a claim is held; a crashed dispatcher's rows return after it. */
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Wait after a configuration fault (signature, app id) before trying again. */
  alertRetryMs: number;
}

export const DEFAULT_DISPATCHER_SETTINGS: DispatcherSettings = {
  concurrency: 16,
  pollIntervalMs: 1000,
  leaseMs: 60_000,
  retryBaseMs: 1000,
  retryMaxMs: 5 * 60_000,
  alertRetryMs: 60_000,
};

export interface DispatcherLogger {
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

export interface DeliveryObserver {
  /** Called after every finished attempt (for metrics). */
  onAttempt?(outcome: PlatformOutcome['kind'], calls: PlatformCall[], ageMs: number): void;
}

/** Optional provider of a `DeliveryObserver` for the dispatch module (metrics). */
export const DELIVERY_OBSERVER = Symbol('DELIVERY_OBSERVER');

/**
 * Moves outbox rows to the city platform: claims heads of cases with a lease, delivers outside
 * any transaction, finishes with a guarded update. Different cases go in parallel; within a case
 * strictly in order. While a breaker is open nothing is claimed.
 */
export class Dispatcher {
  readonly owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  /** What this instance did since it started: for the delivery status, and to see several instances share the work. */
  readonly counters = { claimed: 0, done: 0, skipped: 0, retried: 0, parked: 0, leaseLost: 0 };
  private draining = false;
  private lastLeaseSweep = 0;
  private unsubscribeIdle?: () => void;
  private readonly loop: ClaimLoop<ClaimedDelivery>;
  /** The licences LICENCE steps register: decided and stored once, before their first call. */
  private readonly licences: LicenceRegistry;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly platform: CityPlatformPort,
    private readonly catalogue: Catalogue,
    private readonly cipher: PersonalDataCipher,
    private readonly settings: DispatcherSettings = DEFAULT_DISPATCHER_SETTINGS,
    private readonly logger: DispatcherLogger = console,
    private readonly observer: DeliveryObserver = {},
    /** Work of this process that goes first (a batch file being stored): no new claims meanwhile. */
    private readonly foreground?: ForegroundWork,
  ) {
    this.licences = new LicenceRegistry(new LicenceRepository(outbox.db), catalogue, cipher);
    this.loop = new ClaimLoop<ClaimedDelivery>({
      concurrency: settings.concurrency,
      pollIntervalMs: settings.pollIntervalMs,
      // Claim in batches: a claim is a write transaction (a disk flush on SQLite). Wait for a quarter
      // of the slots (or for nothing to be in flight); the rows claimed and their order are unchanged.
      minFreeSlots: Math.ceil(settings.concurrency / 4),
      paused: () => this.beforeRound(),
      claim: async (free) => {
        const rows = await this.outbox.claim(this.owner, free, this.settings.leaseMs);
        this.counters.claimed += rows.length;
        // Each row's case and event read with the batch, not one by one per delivery.
        return rows.length ? this.outbox.withCasesAndEvents(rows) : [];
      },
      deliver: (claimed) => this.deliver(claimed),
      // The database may be away: keep trying, nothing is lost (rows stay in the outbox).
      onError: (e) => this.logger.error(`dispatch round failed: ${(e as Error).message}`, e),
    });
  }

  start(): void {
    this.unsubscribeIdle ??= this.foreground?.onIdle(() => this.wake());
    this.loop.start();
  }

  /** Stops claiming and waits for calls under way to finish. */
  async stop(): Promise<void> {
    this.unsubscribeIdle?.();
    this.unsubscribeIdle = undefined;
    await this.loop.stop();
  }

  /** Maintenance: finish what is in flight, claim nothing new, until resumed. */
  setDraining(draining: boolean): void {
    this.draining = draining;
    this.wake();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get activeDeliveries(): number {
    return this.loop.activeDeliveries;
  }

  /** Waiting for this process's foreground work (a batch file) before claiming more. */
  get isYielding(): boolean {
    return !!this.foreground?.shouldYield;
  }

  /** New work was committed: start a round now instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  /** Returns expired leases now and then; true while nothing may be claimed. */
  private async beforeRound(): Promise<boolean> {
    const now = Date.now();
    if (now - this.lastLeaseSweep > Math.min(this.settings.leaseMs / 2, 10_000)) {
      this.lastLeaseSweep = now;
      const returned = await this.outbox.returnExpiredLeases();
      if (returned) this.logger.warn(`${returned} message(s) returned from expired leases`);
    }
    return this.draining || this.platform.isBlocked() || this.isYielding;
  }

  private async deliver({ row, loaded }: ClaimedDelivery): Promise<void> {
    try {
      if (!loaded) {
        await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: 'MISSING_EVENT', parkedReason: '找不到对应的办件或环节 case or event row is missing' }, []);
        return;
      }
      if (row.kind !== 'STAGE') {
        await this.finish(row, await this.deliverFollowUp(row, loaded.kase, loaded.event.payloadEnc));
        return;
      }
      let outcome = await this.deliverStage(row, loaded.kase, loaded.event.payloadEnc, () => this.outbox.allocateSeq(row.id, this.owner));
      if (outcome.kind === 'GAP' && loaded.kase.platformProjectNo) {
        const recovered = await this.recoverGap(row, loaded.kase);
        outcome = recovered
          ? await this.deliverStage(row, loaded.kase, loaded.event.payloadEnc, () => this.outbox.allocateSeq(row.id, this.owner), outcome.calls)
          : outcome;
      }
      await this.finish(row, outcome);
    } catch (e) {
      if (e instanceof LeaseLostError) {
        this.counters.leaseLost++;
        return;
      }
      // Left IN_FLIGHT: the lease expires and the row is tried again.
      this.logger.error(`delivery of outbox ${row.id} failed: ${(e as Error).message}`, e);
    }
  }

  private async deliverStage(row: OutboxEntity, kase: CaseEntity, payloadEnc: string, seq: () => Promise<number>, earlierCalls: PlatformCall[] = []): Promise<PlatformOutcome> {
    const event = this.cipher.decryptJson<CanonicalEvent>(payloadEnc);
    const department = this.catalogue.department(kase.department);
    if (!department) {
      return { kind: 'PARK', code: 'DEPARTMENT_UNKNOWN', message: `部门 ${kase.department} 不在目录中 not in the catalogue`, calls: earlierCalls };
    }
    const outcome = await this.platform.deliverStage({
      kase: { id: kase.id, sourceCaseNo: kase.sourceCaseNo, platformProjectNo: kase.platformProjectNo, online: kase.online, location: kase.location, handedOver: kase.currentStage === 'DELIVERED' },
      department,
      matter: this.catalogue.matter(kase.matterCode),
      event,
      seq,
    });
    if (outcome.kind === 'DONE' && outcome.projectNo) kase.platformProjectNo = outcome.projectNo;
    return { ...outcome, calls: [...earlierCalls, ...outcome.calls] } as PlatformOutcome;
  }

  /**
   * A follow-up step (the licence a result issued). Exactly once as far as the platform can tell:
   * the spec has no query for licences and a repeated registration is a second licence, so the
   * call is marked as started (durably, right before it may leave) and a row claimed again with
   * that mark — its dispatcher died or lost the lease while the call was out — is not sent again
   * but parked as unknown; an operator checks with the platform and reruns or confirms it. Every
   * answer that says "not done" clears the mark with the finish and is retried as usual. Being
   * its own row, the stage before it is never repeated for it and it is never repeated for the stage.
   */
  private async deliverFollowUp(row: OutboxEntity, kase: CaseEntity, payloadEnc: string): Promise<PlatformOutcome> {
    if (row.callStartedAt) {
      const why = `上次发送于 ${row.callStartedAt.toISOString()} 后进程中断 the previous attempt's dispatcher stopped mid-call`;
      return { kind: 'PARK', code: LICENCE_OUTCOME_UNKNOWN, message: licenceUnknown(why), calls: [] };
    }
    const department = this.catalogue.department(kase.department);
    if (!department) return { kind: 'PARK', code: 'DEPARTMENT_UNKNOWN', message: `部门 ${kase.department} 不在目录中 not in the catalogue`, calls: [] };
    const event = this.cipher.decryptJson<CanonicalEvent>(payloadEnc);
    // The licence (type, GB/T 36904 identifier, number) is stored before the call may leave: every
    // attempt of this step sends the same one. No type or no number: parked with its reason.
    const prepared = row.kind === 'LICENCE' ? await this.licences.prepare(row, kase, event, department) : undefined;
    if (prepared && !prepared.ok) return { kind: 'PARK', code: prepared.code, message: prepared.message, calls: [] };
    return this.platform.deliverFollowUp(row.kind as FollowUpKind, {
      kase: { id: kase.id, sourceCaseNo: kase.sourceCaseNo, platformProjectNo: kase.platformProjectNo, online: kase.online, location: kase.location },
      department,
      matter: this.catalogue.matter(kase.matterCode),
      event,
      licence: prepared?.licence,
      beforeSend: () => this.outbox.markCallStarted(row.id, this.owner),
    });
  }

  /** 3001: ask the platform where it stands and resend what it lacks, in order. */
  private async recoverGap(row: OutboxEntity, kase: CaseEntity): Promise<boolean> {
    const seqOfRow = row.platformSeq ?? (await this.outbox.allocateSeq(row.id, this.owner));
    const last = await this.platform.lastSeq(kase.platformProjectNo!);
    if (last === null) return false;
    const missing = await this.outbox.deliveredBetween(kase.id, last, seqOfRow);
    for (const m of missing) {
      const loaded = await this.outbox.caseAndEvent(m);
      if (!loaded) return false;
      const again = await this.deliverStage(m, loaded.kase, loaded.event.payloadEnc, async () => m.platformSeq!);
      await this.outbox.recordAttempts(m.id, this.attemptsOf(again, 'RESEND'));
      if (again.kind !== 'DONE' && again.kind !== 'SKIPPED') return false;
    }
    this.logger.warn(`case ${kase.id}: resent ${missing.length} message(s) after a 3001 gap (platform had seq ${last})`);
    return true;
  }

  private attemptsOf(outcome: PlatformOutcome, label?: string): AttemptRecord[] {
    return outcome.calls.map((c) => ({
      endpoint: c.endpoint,
      httpStatus: c.httpStatus,
      businessCode: c.businessCode,
      durationMs: c.durationMs,
      outcome: label ?? (c.businessCode === '0' ? 'DONE' : outcome.kind),
      message: c.message,
    }));
  }

  private async finish(row: OutboxEntity, outcome: PlatformOutcome): Promise<void> {
    const attempts = this.attemptsOf(outcome);
    const now = Date.now();
    const attempt = row.attempts + 1;
    this.observer.onAttempt?.(outcome.kind, outcome.calls, now - row.createdAt.getTime());
    const counted = (kept: boolean, counter: keyof Dispatcher['counters']) => void this.counters[kept ? counter : 'leaseLost']++;
    switch (outcome.kind) {
      case 'DONE':
        counted(await this.outbox.finish(row.id, this.owner, { status: 'DONE' }, attempts, { row, platformProjectNo: outcome.projectNo, followUp: outcome.followUp }), 'done');
        return;
      case 'SKIPPED':
        counted(await this.outbox.finish(row.id, this.owner, { status: 'SKIPPED', lastError: outcome.reason }, attempts), 'skipped');
        return;
      case 'PARK':
        this.logger.warn(`outbox ${row.id} parked: ${outcome.code}`);
        counted(await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: outcome.code, lastError: outcome.message, parkedReason: outcome.message }, attempts), 'parked');
        return;
      case 'ALERT':
        this.logger.error(`city platform refused our credentials (${outcome.code}): ${outcome.message}`);
        counted(await this.outbox.finish(row.id, this.owner, { status: 'PENDING', lastErrorCode: outcome.code, lastError: outcome.message, nextAttemptAt: new Date(now + this.settings.alertRetryMs) }, attempts), 'retried');
        return;
      case 'GAP':
      case 'RETRY': {
        if (outcome.code === '2004' && attempt >= UNKNOWN_PROJECT_RETRIES) {
          counted(await this.outbox.finish(row.id, this.owner, { status: 'PARKED', lastErrorCode: outcome.code, lastError: outcome.message, parkedReason: outcome.message }, attempts), 'parked');
          return;
        }
        const retryAfter = outcome.kind === 'RETRY' ? outcome.retryAfterMs : undefined;
        const delay = retryAfter ?? backoffDelay(attempt, this.settings.retryBaseMs, this.settings.retryMaxMs);
        counted(await this.outbox.finish(row.id, this.owner, { status: 'PENDING', lastErrorCode: outcome.code, lastError: outcome.message, nextAttemptAt: new Date(now + delay) }, attempts), 'retried');
        return;
      }
    }
  }
}
