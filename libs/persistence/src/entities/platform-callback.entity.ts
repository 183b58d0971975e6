import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** CALLBACK_ROUTED · CALLBACK_STORED (evaluation) · UNROUTABLE (unknown matter / project) · REFUSED (classified). */
export type CallbackStatus = 'ROUTED' | 'STORED' | 'UNROUTABLE' | 'REFUSED';

/** One platform callback, stored before it is answered; a repeated callback_id gets the same answer. */
@Entity('platform_callback')
@Index('ux_callback_id', ['callbackId'], { unique: true })
@Index('ix_callback_project', ['projectNo'])
@Index('ix_callback_type_at', ['type', 'receivedAt'])
export class PlatformCallbackEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'callback_id', type: 'varchar', length: 100 })
  callbackId!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ name: 'occurred_at', type: 'varchar', length: 32, nullable: true })
  occurredAt!: string | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;

  @Column({ name: 'project_no', type: 'varchar', length: 64, nullable: true })
  projectNo!: string | null;

  @Column({ name: 'task_code', type: 'varchar', length: 36, nullable: true })
  taskCode!: string | null;

  /** The department it was routed to. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  department!: string | null;

  /** The department system's own case number, when its answer gave one. */
  @Column({ name: 'department_case_no', type: 'varchar', length: 64, nullable: true })
  departmentCaseNo!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: CallbackStatus;

  /** What the gateway answered (`0` stored; otherwise a business error code). */
  @Column({ name: 'answer_code', type: 'varchar', length: 16 })
  answerCode!: string;

  @Column({ name: 'answer_msg', type: 'text', nullable: true })
  answerMsg!: string | null;

  /** 好差评 level 1–5, for EVALUATION. */
  @Column({ name: 'evaluation_level', type: 'int', nullable: true })
  evaluationLevel!: number | null;

  /** SM4-encrypted `data` (applications carry personal data); null for classified matters. */
  @Column({ name: 'data_enc', type: 'text', nullable: true })
  dataEnc!: string | null;
}
