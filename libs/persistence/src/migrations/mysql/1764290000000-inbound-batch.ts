import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InboundBatch1764290000000 implements MigrationInterface {
  name = 'InboundBatch1764290000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`inbound_batch\` (
      \`id\` varchar(36) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`batch_key\` varchar(120) NOT NULL,
      \`body_sha256\` varchar(64) NOT NULL,
      \`received_at\` datetime(3) NOT NULL,
      \`completed_at\` datetime(3) NULL,
      \`rows\` int NOT NULL DEFAULT 0,
      \`accepted\` int NOT NULL DEFAULT 0,
      \`duplicate\` int NOT NULL DEFAULT 0,
      \`rejected\` int NOT NULL DEFAULT 0,
      \`result_json\` longtext NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_batch_dept_key\` (\`department\`, \`batch_key\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`inbound_batch\``);
  }
}
