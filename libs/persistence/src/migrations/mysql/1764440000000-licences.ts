import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Electronic licences the gateway registers (holder encrypted and hashed) and their serial counters. */
export class Licences1764440000000 implements MigrationInterface {
  name = 'Licences1764440000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`licence\` (
      \`id\` varchar(36) NOT NULL,
      \`outbox_id\` bigint NOT NULL,
      \`case_id\` varchar(36) NOT NULL,
      \`event_id\` varchar(36) NOT NULL,
      \`department\` varchar(16) NOT NULL,
      \`matter_code\` varchar(36) NOT NULL,
      \`type_code\` varchar(32) NOT NULL,
      \`type_name\` varchar(100) NOT NULL,
      \`identifier\` varchar(128) NOT NULL,
      \`certificate_no\` varchar(200) NOT NULL,
      \`number_from\` varchar(16) NOT NULL,
      \`holder_hash\` varchar(64) NULL,
      \`holder_enc\` text NOT NULL,
      \`issue_date\` varchar(10) NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_licence_outbox\` (\`outbox_id\`),
      UNIQUE KEY \`ux_licence_identifier\` (\`identifier\`),
      UNIQUE KEY \`ux_licence_event\` (\`event_id\`),
      KEY \`ix_licence_case\` (\`case_id\`),
      KEY \`ix_licence_holder\` (\`holder_hash\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE \`licence_serial\` (
      \`type_code\` varchar(32) NOT NULL,
      \`issuer_code\` varchar(18) NOT NULL,
      \`year\` int NOT NULL,
      \`last_serial\` int NOT NULL,
      PRIMARY KEY (\`type_code\`, \`issuer_code\`, \`year\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`licence_serial\``);
    await q.query(`DROP TABLE \`licence\``);
  }
}
