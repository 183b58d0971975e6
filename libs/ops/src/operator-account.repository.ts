import { LessThan } from 'typeorm';
import { Database, OperatorAccountEntity, OperatorRole, OperatorSessionEntity } from '#gw/persistence';

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
}
