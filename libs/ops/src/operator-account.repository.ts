import { IsNull, LessThan } from 'typeorm';
import { Database, LoginThrottleEntity, OperatorAccountEntity, OperatorRole, OperatorSessionEntity } from '#gw/persistence';

/** When failed sign-ins lock a key: `limit` failures within `windowMs` lock it for `lockMs`. */
export interface ThrottleRule {
  limit: number;
  windowMs: number;
  lockMs: number;
}

export interface SessionWithAccount {
  session: OperatorSessionEntity;
  account: OperatorAccountEntity;
}

/** Operator accounts and their sessions, in the gateway's database. */
export class OperatorAccountRepository {
  constructor(private readonly db: Database) {}

  find(username: string): Promise<OperatorAccountEntity | null> {
    return this.db.manager.findOne(OperatorAccountEntity, { where: { username } });
  }

  list(): Promise<OperatorAccountEntity[]> {
    return this.db.manager.find(OperatorAccountEntity, { order: { username: 'ASC' } });
  }

  countActiveAdmins(): Promise<number> {
    return this.db.manager.count(OperatorAccountEntity, { where: { role: 'admin', disabled: false } });
  }

  async insert(a: { username: string; passwordHash: string; role: OperatorRole }): Promise<void> {
    const now = new Date();
    await this.db.transaction((em) =>
      em.insert(OperatorAccountEntity, { ...a, disabled: false, createdAt: now, updatedAt: now, lastLoginAt: null, passwordChangedAt: now }),
    );
  }

  /**
   * Records a TOTP time step as used, only if it is later than the last one used: one
   * conditional UPDATE, so two requests with the same code (or instances sharing the database)
   * cannot both pass. False: the code was used already.
   */
  async claimTotpStep(username: string, step: number): Promise<boolean> {
    const r = await this.db.transaction((em) =>
      em
        .createQueryBuilder()
        .update(OperatorAccountEntity)
        .set({ totpLastStep: step })
        .where('username = :username AND (totp_last_step IS NULL OR totp_last_step < :step)', { username, step })
        .execute(),
    );
    return !!r.affected;
  }

  async update(
    username: string,
    patch: Partial<
      Pick<
        OperatorAccountEntity,
        | 'passwordHash'
        | 'role'
        | 'disabled'
        | 'lastLoginAt'
        | 'totpSecret'
        | 'totpEnabled'
        | 'totpRequired'
        | 'totpLastStep'
        | 'passwordChangedAt'
        | 'previousPasswordHash'
      >
    >,
  ): Promise<void> {
    await this.db.transaction((em) =>
      em.update(OperatorAccountEntity, { username }, { ...patch, updatedAt: new Date() }),
    );
  }

  async createSession(idHash: string, username: string, expiresAt: Date): Promise<void> {
    const now = new Date();
    await this.db.transaction(async (em) => {
      // Expired sessions are cleared as new ones are made (the table stays small).
      await em.delete(OperatorSessionEntity, { expiresAt: LessThan(now) });
      await em.insert(OperatorSessionEntity, { idHash, username, createdAt: now, expiresAt });
    });
  }

  async findSession(idHash: string): Promise<SessionWithAccount | null> {
    const session = await this.db.manager.findOne(OperatorSessionEntity, { where: { idHash } });
    if (!session) return null;
    const account = await this.find(session.username);
    return account ? { session, account } : null;
  }

  async extendSession(idHash: string, expiresAt: Date): Promise<void> {
    await this.db.transaction((em) => em.update(OperatorSessionEntity, { idHash }, { expiresAt }));
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.transaction((em) => em.delete(OperatorSessionEntity, { idHash }));
  }

  async deleteSessionsOf(username: string): Promise<void> {
    await this.db.transaction((em) => em.delete(OperatorSessionEntity, { username }));
  }

  /** The sign-in attempts counted for a key (a user name or an address, hashed), if any. */
  findThrottle(keyHash: string): Promise<LoginThrottleEntity | null> {
    return this.db.manager.findOne(LoginThrottleEntity, { where: { keyHash } });
  }

  /**
   * Reserves one sign-in attempt of a key BEFORE its password is checked, in one conditional
   * UPDATE, so that parallel requests cannot all pass a check made before any of them counted
   * (30 parallel wrong passwords got 28 checks when failures were counted afterwards). The
   * database decides: every instance sharing it, and SQLite's single writer, see the same count.
   * The attempt that reaches the rule's limit sets the lock; a successful sign-in gives its
   * reservation back (`releaseAttempt`) or clears the key (`clearLoginFailures`).
   *
   * A new window starts once the old one is over or the lock has run out. Refused: the key is
   * locked, and `lockedUntil` says until when.
   */
  async reserveAttempt(keyHash: string, now: Date, rule: ThrottleRule): Promise<{ reserved: true } | { reserved: false; lockedUntil: Date }> {
    const windowStart = new Date(now.getTime() - rule.windowMs);
    const lockEnd = new Date(now.getTime() + rule.lockMs);
    for (let attempt = 0; ; attempt++) {
      // The row first, in its own statement (an INSERT IGNORE and an UPDATE of the same row in
      // one MySQL transaction deadlock against a second such transaction).
      await this.db.transaction((em) =>
        em.createQueryBuilder().insert().into(LoginThrottleEntity).values({ keyHash, failures: 0, firstAt: now, lockedUntil: null }).orIgnore().execute(),
      );
      const reserved = await this.db.transaction(async (em) => {
        const update = () => em.createQueryBuilder().update(LoginThrottleEntity);
        // A fresh window: the last one is over, or its lock has run out.
        const fresh = await update()
          .set({ failures: 1, firstAt: now, lockedUntil: null })
          .where('key_hash = :keyHash AND (locked_until <= :now OR (locked_until IS NULL AND first_at <= :windowStart))', { keyHash, now, windowStart })
          .execute();
        if (fresh.affected) return true;
        // Within the window and not locked: one more, only while under the limit.
        const counted = await update()
          .set({ failures: () => 'failures + 1' })
          .where('key_hash = :keyHash AND locked_until IS NULL AND failures < :limit AND first_at > :windowStart', { keyHash, limit: rule.limit, windowStart })
          .execute();
        if (!counted.affected) return false;
        // The attempt that reaches the limit locks the key (in the same transaction: MySQL holds the row).
        await update()
          .set({ lockedUntil: lockEnd })
          .where('key_hash = :keyHash AND locked_until IS NULL AND failures >= :limit', { keyHash, limit: rule.limit })
          .execute();
        return true;
      });
      if (reserved) return { reserved: true };
      const row = await this.findThrottle(keyHash);
      // The row was cleared in between (a sign-in, or the clean-up of stale rows): count again.
      if (!row && attempt < 3) continue;
      return { reserved: false, lockedUntil: row?.lockedUntil ?? lockEnd };
    }
  }

  /** Gives a reserved attempt back (it was not a failure); a lock its count no longer reaches is lifted. */
  async releaseAttempt(keyHash: string, rule: ThrottleRule): Promise<void> {
    await this.db.transaction(async (em) => {
      const update = () => em.createQueryBuilder().update(LoginThrottleEntity);
      await update().set({ failures: () => 'failures - 1' }).where('key_hash = :keyHash AND failures > 0', { keyHash }).execute();
      await update()
        .set({ lockedUntil: null })
        .where('key_hash = :keyHash AND locked_until IS NOT NULL AND failures < :limit', { keyHash, limit: rule.limit })
        .execute();
    });
  }

  /**
   * Keys whose window and lock are both over are forgotten as new failures come in (as expired
   * sessions are when new ones are made).
   */
  async forgetStaleThrottles(now: Date, windowMs: number): Promise<void> {
    const stale = LessThan(new Date(now.getTime() - windowMs));
    await this.db
      .transaction((em) =>
        em.delete(LoginThrottleEntity, [
          { firstAt: stale, lockedUntil: IsNull() },
          { firstAt: stale, lockedUntil: LessThan(now) },
        ]),
      )
      .catch(() => undefined);
  }

  /** A successful sign-in forgets the key's failures. */
  async clearLoginFailures(keyHash: string): Promise<void> {
    await this.db.transaction((em) => em.delete(LoginThrottleEntity, { keyHash }));
  }
}
