import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One call made for an outbox message, successful or not: the operators' delivery history. */
@Entity('delivery_attempt')
@Index('ix_attempt_outbox', ['outboxId'])
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'outbox_id', type: 'bigint' })
  outboxId!: string;

  @Column({ name: 'attempted_at', type: 'datetime', precision: 3 })
  attemptedAt!: Date;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs!: number;

  @Column({ type: 'varchar', length: 100 })
  endpoint!: string;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus!: number | null;

  @Column({ name: 'business_code', type: 'varchar', length: 16, nullable: true })
  businessCode!: string | null;

  /** DONE · RETRY · PARK · ALERT */
  @Column({ type: 'varchar', length: 16 })
  outcome!: string;

  @Column({ type: 'text', nullable: true })
  message!: string | null;
}
