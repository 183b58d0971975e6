import { In, type EntityManager } from 'typeorm';
import { Database } from './database';
import { AccessCredentialEntity, type CredentialKind, type CredentialSource } from './entities';

export interface NewCredential {
  kind: CredentialKind;
  owner: string;
  tokenHash: string;
  secretSealed?: string | null;
  createdBy: string;
  at: Date;
}

/**
 * Department tokens and callback secrets (`access_credential`). The table holds a handful of rows
 * per department (one per rotation), so readers load a kind whole and filter in memory: no date
 * comparison in SQL, which SQLite and MariaDB store differently.
 */
export class AccessCredentialRepository {
  constructor(private readonly db: Database) {}

  /** Every row of a kind (revoked and expired ones too: they let a refusal say "expired"). */
  all(kind: CredentialKind): Promise<AccessCredentialEntity[]> {
    return this.db.manager.find(AccessCredentialEntity, { where: { kind }, order: { id: 'ASC' } });
  }

  list(kind: CredentialKind, owner: string): Promise<AccessCredentialEntity[]> {
    return this.db.manager.find(AccessCredentialEntity, { where: { kind, owner }, order: { id: 'ASC' } });
  }

  get(kind: CredentialKind, owner: string, id: string): Promise<AccessCredentialEntity | null> {
    if (!/^\d{1,18}$/.test(id)) return Promise.resolve(null);
    return this.db.manager.findOne(AccessCredentialEntity, { where: { kind, owner, id } });
  }

  /**
   * Records a configured value (environment or secrets.json) once, by its hash, so the dashboard
   * can give it an expiry, revoke it, and show when it was last used. Instances starting together
   * may race: the unique hash keeps one row, the loser's insert is ignored.
   */
  async recordConfigured(kind: CredentialKind, owner: string, tokenHash: string, source: Exclude<CredentialSource, 'database'>, at: Date): Promise<void> {
    const existing = await this.db.manager.findOne(AccessCredentialEntity, { where: { tokenHash } });
    if (existing) {
      if (existing.source !== source && existing.source !== 'database') await this.db.transaction((em) => em.update(AccessCredentialEntity, { id: existing.id }, { source }));
      return;
    }
    try {
      await this.db.transaction((em) =>
        em.insert(AccessCredentialEntity, { kind, owner, source, tokenHash, secretSealed: null, createdAt: at, createdBy: 'configuration', expiresAt: null, revokedAt: null, revokedBy: null, lastUsedAt: null }),
      );
    } catch (e) {
      if (!(await this.db.manager.findOne(AccessCredentialEntity, { where: { tokenHash } }))) throw e;
    }
  }

  /**
   * Stores a new credential and shortens the owner's other live ones to `overlapUntil` (those
   * expiring earlier keep their expiry; sources in `keepSources` — the environment's value in
   * production — are left alone). `inTransaction` runs in the same transaction (the audit entry).
   * Returns the new row's id.
   */
  async issue(c: NewCredential, overlapUntil: Date, keepSources: CredentialSource[], inTransaction: (em: EntityManager, id: string, shortened: string[]) => Promise<void>): Promise<string> {
    return this.db.transaction(async (em) => {
      const others = await em.find(AccessCredentialEntity, { where: { kind: c.kind, owner: c.owner } });
      const shortened = others.filter((o) => !o.revokedAt && !keepSources.includes(o.source) && (!o.expiresAt || o.expiresAt.getTime() > overlapUntil.getTime()));
      if (shortened.length) await em.update(AccessCredentialEntity, { id: In(shortened.map((o) => o.id)) }, { expiresAt: overlapUntil });
      const r = await em.insert(AccessCredentialEntity, {
        kind: c.kind,
        owner: c.owner,
        source: 'database',
        tokenHash: c.tokenHash,
        secretSealed: c.secretSealed ?? null,
        createdAt: c.at,
        createdBy: c.createdBy.slice(0, 64),
        expiresAt: null,
        revokedAt: null,
        revokedBy: null,
        lastUsedAt: null,
      });
      const id = String(r.identifiers[0]?.id ?? (await em.findOneOrFail(AccessCredentialEntity, { where: { tokenHash: c.tokenHash } })).id);
      await inTransaction(em, id, shortened.map((o) => String(o.id)));
      return id;
    });
  }

  /** Revokes one credential now (false: it was revoked already); `inTransaction` as for `issue`. */
  async revoke(id: string, by: string, at: Date, inTransaction: (em: EntityManager) => Promise<void>): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const r = await em
        .createQueryBuilder()
        .update(AccessCredentialEntity)
        .set({ revokedAt: at, revokedBy: by.slice(0, 64) })
        .where('id = :id AND revoked_at IS NULL', { id })
        .execute();
      if (!r.affected) return false;
      await inTransaction(em);
      return true;
    });
  }

  /** Notes when tokens were last used (coarse: the caller writes each at most once a minute). */
  async touch(used: ReadonlyMap<string, Date>): Promise<void> {
    if (!used.size) return;
    await this.db.transaction(async (em) => {
      for (const [id, at] of used) await em.update(AccessCredentialEntity, { id }, { lastUsedAt: at });
    });
  }
}
