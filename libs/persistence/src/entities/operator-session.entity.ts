import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A signed-in dashboard session, in the database so several gateway instances share it. Only the
 * SHA-256 of the cookie value is stored: a copy of the table does not let anyone sign in.
 */
@Entity('operator_session')
@Index('ix_session_expires', ['expiresAt'])
@Index('ix_session_user', ['username'])
export class OperatorSessionEntity {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash!: string;

  @Column({ type: 'varchar', length: 32 })
  username!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** Sliding: moved forward while the operator keeps using the dashboard. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
