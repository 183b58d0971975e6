import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** One reconciliation (对账) of one department (organisation) and business date with the platform. */
@Entity('reconciliation_run')
@Index('ix_reconciliation_date', ['businessDate', 'department'])
export class ReconciliationRunEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** yyyy-MM-dd, Beijing time: the date the platform files the cases under. */
  @Column({ name: 'business_date', type: 'varchar', length: 10 })
  businessDate!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  @Column({ name: 'org_code', type: 'varchar', length: 32 })
  orgCode!: string;

  /** SCHEDULE (the daily job) or OPERATOR (run now). */
  @Column({ name: 'run_by', type: 'varchar', length: 64 })
  runBy!: string;

  @Column({ type: 'int', default: 0 })
  checked!: number;

  @Column({ type: 'int', default: 0 })
  matching!: number;

  @Column({ type: 'int', default: 0 })
  repaired!: number;

  @Column({ type: 'int', default: 0 })
  unexplained!: number;

  /** Cases still on their way (messages pending or parked): not compared, not repaired. */
  @Column({ name: 'in_progress', type: 'int', default: 0 })
  inProgress!: number;

  /** JSON: the repaired cases and the platform's unexplained ones (capped), without personal data. */
  @Column({ type: 'text', nullable: true })
  details!: string | null;

  /** Why the run could not finish (the platform did not answer), or null. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3 })
  finishedAt!: Date;
}

/** A named job that only one instance may run at a time (and, once done, not again). */
@Entity('job_lease')
export class JobLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  owner!: string;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3 })
  leaseUntil!: Date;

  @Column({ name: 'done_at', type: 'datetime', precision: 3, nullable: true })
  doneAt!: Date | null;
}
