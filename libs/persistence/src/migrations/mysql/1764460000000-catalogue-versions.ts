import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The catalogue's versions, saved from the dashboard (the newest is in force; the others for rollback). */
export class CatalogueVersions1764460000000 implements MigrationInterface {
  name = 'CatalogueVersions1764460000000';

  async up(q: QueryRunner): Promise<void> {
    // mediumtext: a catalogue of a few dozen departments with their mappings passes TEXT's 64 KB.
    await q.query(`CREATE TABLE \`catalogue_version\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`document\` mediumtext NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`created_by\` varchar(64) NOT NULL,
      \`comment\` varchar(500) NOT NULL,
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`catalogue_version\``);
  }
}
