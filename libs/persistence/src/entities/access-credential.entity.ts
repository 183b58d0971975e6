import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What a credential opens: a department's ingress (bearer token) or the platform's callbacks (signing secret). */
export type CredentialKind = 'DEPARTMENT' | 'CALLBACK';
/**
 * Where a credential's value lives: `database` (issued from the dashboard, stored here hashed or
 * sealed), `env` (an environment variable) or `stored` (data/secrets.json, embedded mode). Rows of
 * the last two only record what the dashboard decided about a configured value (its overlap
 * expiry, its revocation, when it was last used); its value is never here.
 */
export type CredentialSource = 'database' | 'env' | 'stored';

/**
 * One department token or platform callback secret (令牌/密钥轮换). Department tokens are kept as
 * `tokenHash` only; a callback secret must be usable to check HMAC signatures, so it is kept
 * sealed with the data key (`secretSealed`) beside its hash.
 */
@Entity('access_credential')
@Index('ix_access_credential_owner', ['kind', 'owner'])
export class AccessCredentialEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: CredentialKind;

  /** The department code, or `PLATFORM` for the callback secret. */
  @Column({ type: 'varchar', length: 16 })
  owner!: string;

  @Column({ type: 'varchar', length: 16 })
  source!: CredentialSource;

  /** SM3 of a purpose label and the value (hex): how a presented token is found. Unique. */
  @Index('ux_access_credential_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** The callback secret sealed with the data key (base64); null for department tokens and configured values. */
  @Column({ name: 'secret_sealed', type: 'text', nullable: true })
  secretSealed!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 64, nullable: true })
  revokedBy!: string | null;

  /** Written at most once a minute per token and instance: the event path does not write per request. */
  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true })
  lastUsedAt!: Date | null;
}
