import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An electronic licence (电子证照) a completed case issued, as the gateway registers it with the
 * platform: written at the first attempt of its LICENCE outbox step (one per step, `outbox_id`
 * unique), so every retry sends the same identifier and number. Whether the platform holds it is
 * that step's status. The holder is personal data: kept only encrypted (`holder_enc`, SM4) and as a
 * keyed lookup hash of their certificate number (`holder_hash`), never in clear.
 */
@Entity('licence')
@Index('ux_licence_outbox', ['outboxId'], { unique: true })
@Index('ux_licence_identifier', ['identifier'], { unique: true })
@Index('ux_licence_event', ['eventId'], { unique: true })
@Index('ix_licence_case', ['caseId'])
@Index('ix_licence_holder', ['holderHash'])
export class LicenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The LICENCE outbox row that registers it (the latest one: a result re-sent by reconciliation gets a new step, same licence). */
  @Column({ name: 'outbox_id', type: 'bigint' })
  outboxId!: string;

  @Column({ name: 'case_id', type: 'varchar', length: 36 })
  caseId!: string;

  /** The completion (办结) that issued it: one licence per completion. */
  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ type: 'varchar', length: 16 })
  department!: string;

  @Column({ name: 'matter_code', type: 'varchar', length: 36 })
  matterCode!: string;

  /** 证照类型代码 from config/licence-types.yaml. */
  @Column({ name: 'type_code', type: 'varchar', length: 32 })
  typeCode!: string;

  @Column({ name: 'type_name', type: 'varchar', length: 100 })
  typeName!: string;

  /** 电子证照标识 (GB/T 36904). */
  @Column({ type: 'varchar', length: 128 })
  identifier!: string;

  /** The number sent as certificate_number: the department's, or the identifier when it sends none. */
  @Column({ name: 'certificate_no', type: 'varchar', length: 200 })
  certificateNo!: string;

  /** DEPARTMENT (sent with 办结) or GATEWAY (the department's system sends none). */
  @Column({ name: 'number_from', type: 'varchar', length: 16 })
  numberFrom!: string;

  /** Keyed hash (HMAC-SM3) of the holder's ID number or credit code, for `?holder=` lookups. */
  @Column({ name: 'holder_hash', type: 'varchar', length: 64, nullable: true })
  holderHash!: string | null;

  /** The holder (kind, name, certType, certNo), encrypted. */
  @Column({ name: 'holder_enc', type: 'text' })
  holderEnc!: string;

  /** yyyy-MM-dd, Beijing time. */
  @Column({ name: 'issue_date', type: 'varchar', length: 10 })
  issueDate!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** The last serial given per licence type, issuer and year (the `<serial>` of the identifier). */
@Entity('licence_serial')
export class LicenceSerialEntity {
  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 32 })
  typeCode!: string;

  @PrimaryColumn({ name: 'issuer_code', type: 'varchar', length: 18 })
  issuerCode!: string;

  @PrimaryColumn({ type: 'int' })
  year!: number;

  @Column({ name: 'last_serial', type: 'int' })
  lastSerial!: number;
}
