import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The catalogue's versions, saved from the dashboard (the newest is in force; the others for rollback). */
export class CatalogueVersions1764460000000 implements MigrationInterface {
  name = 'CatalogueVersions1764460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "catalogue_version" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "document" text NOT NULL,
      "created_at" datetime NOT NULL,
      "created_by" varchar(64) NOT NULL,
      "comment" varchar(500) NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "catalogue_version"`);
  }
}
