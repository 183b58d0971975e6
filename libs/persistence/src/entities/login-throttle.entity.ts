import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed dashboard sign-ins of one user name from one address, in the database so that every
 * gateway instance counts the same failures (behind a load balancer, a count per process let
 * each instance grant its own five tries). Only a keyed hash of the pair is stored: a password
 * typed into the name box is not kept, nor can it be guessed back without the gateway's key.
 */
@Entity('login_throttle')
export class LoginThrottleEntity {
  /** Keyed hash (HMAC-SM3, hex) of `user name|address`. */
  @PrimaryColumn({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  /** Failures since `firstAt`. */
  @Column({ type: 'int' })
  failures!: number;

  /** The first failure of the current window. */
  @Column({ name: 'first_at', type: 'datetime', precision: 3 })
  firstAt!: Date;

  /** Set once the failures reach the limit: sign-in refused until then. */
  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil!: Date | null;
}
