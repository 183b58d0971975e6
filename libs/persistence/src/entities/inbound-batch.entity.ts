import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One batch file as received: the same file sent twice is answered from here and changes nothing. */
@Entity('inbound_batch')
@Index('ux_batch_dept_key', ['department', 'batchKey'], { unique: true })
export class InboundBatchEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  /** `id:<X-Batch-Id>` or `sha256:<content hash>`. */
  @Column({ name: 'batch_key', type: 'varchar', length: 120 })
  batchKey!: string;

  @Column({ name: 'body_sha256', type: 'varchar', length: 64 })
  bodySha256!: string;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;

  /**
   * The request's headers as JSON (without credentials), once for the file: its taken rows keep
   * none of their own (null for batches stored before 2026-11-28, whose rows each kept a copy).
   */
  @Column({ type: 'text', nullable: true })
  headers!: string | null;

  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  rows!: number;

  @Column({ type: 'int', default: 0 })
  accepted!: number;

  @Column({ type: 'int', default: 0 })
  duplicate!: number;

  @Column({ type: 'int', default: 0 })
  rejected!: number;

  /** The per-row answer as JSON, returned again for a repeated batch (batches stored before 2026-11-28). */
  @Column({ name: 'result_json', type: 'text', nullable: true })
  resultJson!: string | null;

  /** The per-row answer as gzip-compressed JSON (~1 MB instead of ~11 MB for 50,000 rows). */
  @Column({ name: 'result_gzip', type: 'blob', nullable: true })
  resultGzip!: Buffer | null;
}
