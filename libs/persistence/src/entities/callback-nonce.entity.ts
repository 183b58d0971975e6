import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Nonces seen on signed callbacks in the last 10 minutes, shared by every gateway instance. */
@Entity('callback_nonce')
@Index('ix_nonce_expires', ['expiresAt'])
export class CallbackNonceEntity {
  /** `<appId>:<nonce>` */
  @PrimaryColumn({ type: 'varchar', length: 140 })
  key!: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
