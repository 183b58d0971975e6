import { Column, Entity, PrimaryColumn } from 'typeorm';

/** viewer reads · operator operates · admin administers accounts · auditor reads the audit log (separate duties). */
export type OperatorRole = 'viewer' | 'operator' | 'admin' | 'auditor';

/** A person who signs in to the dashboard. Only a salted scrypt hash of the password is kept. */
@Entity('operator_account')
export class OperatorAccountEntity {
  /** Lower-case ASCII (`[a-z0-9_.-]`, 2–32 characters). */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  username!: string;

  /** `scrypt$N$r$p$<salt b64>$<hash b64>` */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  /** viewer · operator · admin · auditor */
  @Column({ type: 'varchar', length: 16 })
  role!: OperatorRole;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'last_login_at', type: 'datetime', precision: 3, nullable: true })
  lastLoginAt!: Date | null;

  /** The TOTP secret (base32), SM4-encrypted (`sm4.…`); set at enrolment, before it is confirmed. */
  @Column({ name: 'totp_secret', type: 'varchar', length: 255, nullable: true })
  totpSecret!: string | null;

  /** The second factor is active: enrolment was confirmed with a code. */
  @Column({ name: 'totp_enabled', type: 'boolean', default: false })
  totpEnabled!: boolean;

  /** An admin asked for a second factor on this (non-admin) account; admins always need one. */
  @Column({ name: 'totp_required', type: 'boolean', default: false })
  totpRequired!: boolean;

  /** The last TOTP time step accepted: a code is good once (RFC 6238 §5.2). */
  @Column({ name: 'totp_last_step', type: 'bigint', nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | number | null) => (v === null || v === undefined ? null : Number(v)) } })
  totpLastStep!: number | null;

  /** When the password was last set (expiry after PASSWORD_MAX_AGE_DAYS). */
  @Column({ name: 'password_changed_at', type: 'datetime', precision: 3, nullable: true })
  passwordChangedAt!: Date | null;

  /** The password before the current one, hashed: a change may not go back to it. */
  @Column({ name: 'previous_password_hash', type: 'varchar', length: 255, nullable: true })
  previousPasswordHash!: string | null;
}
