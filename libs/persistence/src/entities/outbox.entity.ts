import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxStatus = 'PENDING' | 'IN_FLIGHT' | 'DONE' | 'PARKED' | 'SKIPPED';

/**
 * A message waiting to leave the gateway, written in the same transaction as the event it carries.
 * `target` is `PLATFORM` for the city platform, `DEPT:<code>` for a department system.
 */
@Entity('outbox')
@Index('ix_outbox_claim', ['status', 'nextAttemptAt'])
@Index('ix_outbox_case', ['caseId', 'status', 'orderKey'])
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  target!: string;

  /** STAGE (a case stage for the platform), LICENCE (the licence a result issued: its own step); callback kinds for departments. */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Column({ name: 'case_id', type: 'varchar', length: 36, nullable: true })
  caseId!: string | null;

  @Column({ name: 'event_id', type: 'varchar', length: 36, nullable: true })
  eventId!: string | null;

  /** For a department delivery: the platform_callback row it carries. */
  @Column({ name: 'ref_id', type: 'varchar', length: 36, nullable: true })
  refId!: string | null;

  /** For a department delivery: the project_no whose deliveries go one after another. */
  @Column({ name: 'group_key', type: 'varchar', length: 64, nullable: true })
  groupKey!: string | null;

  /** Order within the case: stage time, then the department's sequence. */
  @Column({ name: 'order_time', type: 'datetime', precision: 3 })
  orderTime!: Date;

  @Column({ name: 'order_seq', type: 'int', nullable: true })
  orderSeq!: number | null;

  /** Sortable key of the two above (`orderKey()`): the dispatcher sends a case's rows in this order. */
  @Column({ name: 'order_key', type: 'varchar', length: 64 })
  orderKey!: string;

  @Column({ type: 'varchar', length: 16, default: 'PENDING' })
  status!: OutboxStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  /** The platform seq this message was given (kept across retries so a retry is identical). */
  @Column({ name: 'platform_seq', type: 'int', nullable: true })
  platformSeq!: number | null;

  /**
   * Set, durably, just before a call the platform does not treat idempotently (a licence: the
   * spec offers no way to ask whether it arrived) may leave. A row found with it set when claimed
   * again was left by a dispatcher that died or lost its lease mid-call: its outcome is unknown,
   * so it is parked for an operator instead of being sent a second time (see Dispatcher).
   */
  @Column({ name: 'call_started_at', type: 'datetime', precision: 3, nullable: true })
  callStartedAt!: Date | null;

  @Column({ name: 'last_error_code', type: 'varchar', length: 32, nullable: true })
  lastErrorCode!: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'parked_reason', type: 'text', nullable: true })
  parkedReason!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'done_at', type: 'datetime', precision: 3, nullable: true })
  doneAt!: Date | null;
}

/** Stage time (UTC, ms) then the department's own sequence: a string that sorts like the stages. */
export function orderKey(stageTime: Date, sourceSeq: number | null | undefined): string {
  const seq = sourceSeq === null || sourceSeq === undefined ? '9999999999' : String(sourceSeq).padStart(10, '0');
  return `${stageTime.toISOString()}|${seq}`;
}
