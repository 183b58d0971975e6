import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One case (办件) as the gateway knows it; parties are stored encrypted. */
@Entity('gw_case')
@Index('ux_case_dept_no', ['department', 'sourceCaseNo'], { unique: true })
@Index('ix_case_project_no', ['platformProjectNo'])
@Index('ix_case_applicant_hash', ['applicantIdHash'])
export class CaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  @Column({ name: 'source_case_no', type: 'varchar', length: 64 })
  sourceCaseNo!: string;

  @Column({ name: 'platform_project_no', type: 'varchar', length: 64, nullable: true })
  platformProjectNo!: string | null;

  /** The case came in online through the platform (its project_no was known before the first event). */
  @Column({ type: 'boolean', default: false })
  online!: boolean;

  @Column({ name: 'matter_code', type: 'varchar', length: 36 })
  matterCode!: string;

  @Column({ name: 'matter_name', type: 'varchar', length: 200 })
  matterName!: string;

  @Column({ type: 'varchar', length: 12, nullable: true })
  location!: string | null;

  @Column({ name: 'current_stage', type: 'varchar', length: 32 })
  currentStage!: string;

  @Column({ type: 'boolean', default: false })
  closed!: boolean;

  @Column({ name: 'opened_at', type: 'datetime', precision: 3 })
  openedAt!: Date;

  @Column({ name: 'last_stage_time', type: 'datetime', precision: 3 })
  lastStageTime!: Date;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt!: Date | null;

  /** SM4-encrypted JSON `{applicants, agent}` of the latest event. */
  @Column({ name: 'parties_enc', type: 'text' })
  partiesEnc!: string;

  /** Keyed hash (HMAC-SM3) of the first applicant's certificate number, for lookups. */
  @Column({ name: 'applicant_id_hash', type: 'varchar', length: 64, nullable: true })
  applicantIdHash!: string | null;

  /** JSON list of warnings recorded on the case (converted ID numbers, pilot USCCs). */
  @Column({ type: 'text', nullable: true })
  warnings!: string | null;

  /** Highest platform `seq` used for this case (the dispatcher allocates them). */
  @Column({ name: 'platform_last_seq', type: 'int', default: 0 })
  platformLastSeq!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
