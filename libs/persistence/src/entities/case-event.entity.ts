import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One accepted stage event of a case; the canonical event is stored encrypted. */
@Entity('case_event')
@Index('ux_event_dept_source', ['department', 'sourceEventId'], { unique: true })
@Index('ix_event_case', ['caseId', 'stageTime'])
export class CaseEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'case_id', type: 'varchar', length: 36 })
  caseId!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  @Column({ name: 'source_event_id', type: 'varchar', length: 128 })
  sourceEventId!: string;

  @Column({ type: 'varchar', length: 32 })
  stage!: string;

  @Column({ name: 'stage_name', type: 'varchar', length: 50, nullable: true })
  stageName!: string | null;

  @Column({ name: 'stage_time', type: 'datetime', precision: 3 })
  stageTime!: Date;

  @Column({ name: 'source_seq', type: 'int', nullable: true })
  sourceSeq!: number | null;

  /** SM4-encrypted canonical event JSON. */
  @Column({ name: 'payload_enc', type: 'text' })
  payloadEnc!: string;

  @Column({ type: 'text', nullable: true })
  warnings!: string | null;

  @Column({ name: 'inbound_id', type: 'varchar', length: 36 })
  inboundId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
