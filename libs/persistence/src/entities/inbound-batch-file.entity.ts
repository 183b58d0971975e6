import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A batch file exactly as it was received (its bytes, GBK or UTF-8), in parts of at most
 * `BATCH_FILE_PART_BYTES`, each sealed (SM4-CBC + HMAC-SM3, like `InboundMessageEntity.body`:
 * the rows carry ID numbers). The file is kept once; its rows that were taken (accepted or
 * duplicate) refer to it by batch and row number instead of each keeping its own copy. Rows that
 * were refused keep their own text as well, for replay.
 */
@Entity('inbound_batch_file')
export class InboundBatchFileEntity {
  /** `InboundBatchEntity.id`. */
  @PrimaryColumn({ name: 'batch_id', type: 'varchar', length: 36 })
  batchId!: string;

  @PrimaryColumn({ name: 'part_no', type: 'int' })
  partNo!: number;

  @Column({ type: 'blob' })
  body!: Buffer;
}
