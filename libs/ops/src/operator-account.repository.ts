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
      em.insert(OperatorAccountEntity, { ...a, disabled: false, createdAt: now, updatedAt: now, lastLoginAt: null }),
    );
  }

  async update(
    username: string,
    patch: Partial<Pick<OperatorAccountEntity, 'passwordHash' | 'role' | 'disabled' | 'lastLoginAt'>>,
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

  /** The failed sign-ins counted for a key (user name and address, hashed), if any. */
  findThrottle(keyHash: string): Promise<LoginThrottleEntity | null> {
    return this.db.manager.findOne(LoginThrottleEntity, { where: { keyHash } });
  }

  /**
   * Counts one failed sign-in of a key and locks it when the count reaches the rule's limit. The
   * row is read locked inside the transaction, so instances counting at the same moment add up;
   * two first failures of a key race on its primary key (or deadlock on MySQL), and the loser
   * counts again.
   */
  async recordLoginFailure(keyHash: string, now: Date, rule: ThrottleRule): Promise<LoginThrottleEntity> {
    // A lost race on the new row's key, or InnoDB's deadlock victim between two first failures, counts again.
    const counted = await Database.retryingConflicts(() =>
      this.db.transaction(async (em) => {
        // MySQL: locked until commit. SQLite: one process, whose transactions already run one at a time.
        const lock = this.db.dialect === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
        const found = await em.findOne(LoginThrottleEntity, { where: { keyHash }, ...lock });
        const fresh = !found || now.getTime() - found.firstAt.getTime() >= rule.windowMs;
        const next: LoginThrottleEntity = Object.assign(new LoginThrottleEntity(), {
          keyHash,
          failures: fresh ? 1 : found.failures + 1,
          firstAt: fresh ? now : found.firstAt,
          lockedUntil: fresh ? null : found.lockedUntil,
        });
        if (next.failures >= rule.limit) next.lockedUntil = new Date(now.getTime() + rule.lockMs);
        if (found) await em.update(LoginThrottleEntity, { keyHash }, { failures: next.failures, firstAt: next.firstAt, lockedUntil: next.lockedUntil });
        else await em.insert(LoginThrottleEntity, next);
        return next;
      }),
    );
    // Keys whose window and lock are both over are forgotten as new failures come in (as
    // expired sessions are when new ones are made).
    const stale = LessThan(new Date(now.getTime() - rule.windowMs));
    await this.db
      .transaction((em) =>
        em.delete(LoginThrottleEntity, [
          { firstAt: stale, lockedUntil: IsNull() },
          { firstAt: stale, lockedUntil: LessThan(now) },
        ]),
      )
      .catch(() => undefined);
    return counted;
  }

  /** A successful sign-in forgets the key's failures. */
  async clearLoginFailures(keyHash: string): Promise<void> {
    await this.db.transaction((em) => em.delete(LoginThrottleEntity, { keyHash }));
  }
}
