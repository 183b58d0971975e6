import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OperatorRole = 'viewer' | 'operator' | 'admin';

/** A person who signs in to the dashboard. Only a salted scrypt hash of the password is kept. */
@Entity('operator_account')
export class OperatorAccountEntity {
  /** Lower-case ASCII (`[a-z0-9_.-]`, 2–32 characters). */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  username!: string;

  /** `scrypt$N$r$p$<salt b64>$<hash b64>` */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  /** viewer · operator · admin */
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
}
