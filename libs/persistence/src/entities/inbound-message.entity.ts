import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Outcome of one inbound request or batch row, as answered to the department. */
export type InboundOutcome = 'ACCEPTED' | 'DUPLICATE' | 'REJECTED' | 'UNREADABLE' | 'REFUSED';

/**
 * Every request a department sends, accepted or not, kept byte for byte so it can be inspected and
 * replayed (the quarantine is the REJECTED / UNREADABLE rows not yet resolved).
 */
@Entity('inbound_message')
@Index('ix_inbound_dept_received', ['department', 'receivedAt'])
@Index('ix_inbound_outcome', ['outcome', 'resolvedAt'])
export class InboundMessageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  /** event · batch-row · replay */
  @Column({ type: 'varchar', length: 16 })
  channel!: string;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;

  @Column({ name: 'media_type', type: 'varchar', length: 100, nullable: true })
  mediaType!: string | null;

  /** Request headers as JSON, without Authorization. */
  @Column({ type: 'text', nullable: true })
  headers!: string | null;

  /**
   * The message as received, byte for byte — sealed (`PersonalDataCipher.seal`: SM4 with an
   * HMAC-SM3 tag) when `bodyEncrypted`, since departments' payloads carry ID numbers. Rows
   * stored before 2026-11-28 hold it in clear.
   */
  @Column({ type: 'blob', nullable: true })
  body!: Buffer | null;

  @Column({ name: 'body_encrypted', type: 'boolean', default: false })
  bodyEncrypted!: boolean;

  @Column({ name: 'body_sha256', type: 'varchar', length: 64, nullable: true })
  bodySha256!: string | null;

  @Column({ name: 'source_event_id', type: 'varchar', length: 128, nullable: true })
  sourceEventId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: InboundOutcome;

  @Column({ name: 'http_status', type: 'int' })
  httpStatus!: number;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  /** Failing fields as JSON `[{field, code, message}]`; never values. */
  @Column({ type: 'text', nullable: true })
  errors!: string | null;

  @Column({ name: 'event_id', type: 'varchar', length: 36, nullable: true })
  eventId!: string | null;

  @Column({ name: 'case_id', type: 'varchar', length: 36, nullable: true })
  caseId!: string | null;

  @Column({ name: 'correlation_id', type: 'varchar', length: 64, nullable: true })
  correlationId!: string | null;

  @Column({ name: 'batch_id', type: 'varchar', length: 100, nullable: true })
  batchId!: string | null;

  @Column({ name: 'row_no', type: 'int', nullable: true })
  rowNo!: number | null;

  /** The quarantined message this one replays. */
  @Column({ name: 'replay_of', type: 'varchar', length: 36, nullable: true })
  replayOf!: string | null;

  /** Set when a replay of this quarantined message was accepted (or found a duplicate). */
  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt!: Date | null;
}
