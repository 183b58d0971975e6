import { maskFreeText } from '#gw/case';
import type { EntityManager } from 'typeorm';
import { Database } from './database';
import { AuditLogEntity } from './entities';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
  correlationId?: string;
}

/** Appends to the audit log. Detail is masked: the log is shown to operators. */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async append(entry: AuditEntry, em?: EntityManager): Promise<void> {
    const row = {
      at: new Date(),
      actor: entry.actor.slice(0, 64),
      action: entry.action.slice(0, 64),
      targetType: entry.targetType ?? null,
      targetId: entry.targetId?.slice(0, 64) ?? null,
      detail: entry.detail ? maskFreeText(JSON.stringify(entry.detail)) : null,
      correlationId: entry.correlationId ?? null,
    };
    if (em) await em.insert(AuditLogEntity, row);
    else await this.db.transaction((m) => m.insert(AuditLogEntity, row));
  }

  async list(filter: { limit?: number; action?: string; since?: Date } = {}): Promise<AuditLogEntity[]> {
    const q = this.db.manager.createQueryBuilder(AuditLogEntity, 'a').orderBy('a.id', 'DESC').take(Math.min(filter.limit ?? 100, 1000));
    if (filter.action) q.andWhere('a.action = :action', { action: filter.action });
    if (filter.since) q.andWhere('a.at >= :since', { since: filter.since });
    return q.getMany();
  }
}
