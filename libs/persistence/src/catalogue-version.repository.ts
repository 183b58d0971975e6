import { Database } from './database';
import { CatalogueVersionEntity } from './entities/catalogue-version.entity';

/** A stored catalogue version, read back. */
export interface CatalogueVersion {
  id: string;
  document: unknown;
  createdAt: Date;
  createdBy: string;
  comment: string;
}

/** A version as listed (no document). */
export type CatalogueVersionSummary = Omit<CatalogueVersion, 'document'>;

const read = (row: CatalogueVersionEntity): CatalogueVersion => ({
  id: String(row.id),
  document: JSON.parse(row.document),
  createdAt: row.createdAt,
  createdBy: row.createdBy,
  comment: row.comment,
});

/** The catalogue's versions (`catalogue_version`): the newest is in force. */
export class CatalogueVersionRepository {
  constructor(private readonly db: Database) {}

  /** The newest version's id, or null when none was ever saved (the file is in force). Cheap: polled. */
  async latestId(): Promise<string | null> {
    const rows: { id: string | number }[] = await this.db.manager
      .createQueryBuilder(CatalogueVersionEntity, 'v')
      .select('v.id', 'id')
      .orderBy('v.id', 'DESC')
      .limit(1)
      .getRawMany();
    return rows.length ? String(rows[0].id) : null;
  }

  async latest(): Promise<CatalogueVersion | null> {
    const row = await this.db.manager.findOne(CatalogueVersionEntity, { where: {}, order: { id: 'DESC' } });
    return row ? read(row) : null;
  }

  async get(id: string): Promise<CatalogueVersion | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const row = await this.db.manager.findOne(CatalogueVersionEntity, { where: { id } });
    return row ? read(row) : null;
  }

  async list(limit = 50): Promise<CatalogueVersionSummary[]> {
    const rows = await this.db.manager.find(CatalogueVersionEntity, {
      select: { id: true, createdAt: true, createdBy: true, comment: true },
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((r) => ({ id: String(r.id), createdAt: r.createdAt, createdBy: r.createdBy, comment: r.comment }));
  }

  async add(v: { document: unknown; createdBy: string; comment: string }): Promise<CatalogueVersion> {
    const row = this.db.manager.create(CatalogueVersionEntity, {
      document: JSON.stringify(v.document),
      createdAt: new Date(),
      createdBy: v.createdBy.slice(0, 64),
      comment: v.comment.slice(0, 500),
    });
    const saved = await this.db.manager.save(row);
    return read(saved);
  }
}
