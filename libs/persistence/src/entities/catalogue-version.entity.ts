import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One version of the catalogue (departments and matters), as an admin saved it from the dashboard.
 * The newest row is the catalogue in force on every instance (each polls the newest id); older rows
 * are kept for rollback, which writes a new row equal to an old one. `config/catalogue.yaml` is
 * only the seed: used while this table is empty.
 */
@Entity('catalogue_version')
export class CatalogueVersionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** The whole catalogue in its file's shape, as JSON: `{ departments: [...], matters: [...] }`. */
  @Column({ type: 'text' })
  document!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  /** What changed, in words (e.g. `部门 ABC 新增 department ABC added`). */
  @Column({ type: 'varchar', length: 500 })
  comment!: string;
}
