import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch files are kept once, whole and sealed; their taken rows no longer each keep a copy. */
export class InboundBatchFile1764350000000 implements MigrationInterface {
  name = 'InboundBatchFile1764350000000';

  async up(q: QueryRunner): Promise<void> {
    // mediumblob: a part is up to 256 KiB sealed (blob stops at 64 KiB).
    await q.query(`CREATE TABLE \`inbound_batch_file\` (
      \`batch_id\` varchar(36) NOT NULL,
      \`part_no\` int NOT NULL,
      \`body\` mediumblob NOT NULL,
      PRIMARY KEY (\`batch_id\`, \`part_no\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`ALTER TABLE \`inbound_batch\` ADD \`headers\` text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`inbound_batch\` DROP COLUMN \`headers\``);
    await q.query(`DROP TABLE \`inbound_batch_file\``);
  }
}
