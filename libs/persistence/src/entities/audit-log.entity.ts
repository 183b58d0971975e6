import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what, when: refusals, replays, reruns, logins. Never holds personal data in clear. */
@Entity('audit_log')
@Index('ix_audit_at', ['at'])
@Index('ux_audit_seq', ['seq'], { unique: true })
export class AuditLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  /** `dept:SCJG`, `operator:<name>`, `system`. */
  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId!: string | null;

  @Column({ type: 'text', nullable: true })
  detail!: string | null;

  @Column({ name: 'correlation_id', type: 'varchar', length: 64, nullable: true })
  correlationId!: string | null;

  /** `success` or `failure`. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: string | null;

  /** The caller's address (TCP peer), when the entry comes from a request. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  address!: string | null;

  /** Position in the audit chain (1, 2, 3 …; see `AuditChain`). */
  @Column({ type: 'bigint', nullable: true })
  seq!: string | null;

  /** The previous entry's MAC (empty for the first), and this entry's HMAC-SM3 over its fields and that. */
  @Column({ name: 'prev_mac', type: 'varchar', length: 64, nullable: true })
  prevMac!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  mac!: string | null;
}
