import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Department tokens and platform callback secrets issued from the dashboard, with their overlap. */
export class AccessCredentials1764450000000 implements MigrationInterface {
  name = 'AccessCredentials1764450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`access_credential\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`kind\` varchar(16) NOT NULL,
      \`owner\` varchar(16) NOT NULL,
      \`source\` varchar(16) NOT NULL,
      \`token_hash\` varchar(64) NOT NULL,
      \`secret_sealed\` text NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`created_by\` varchar(64) NOT NULL,
      \`expires_at\` datetime(3) NULL,
      \`revoked_at\` datetime(3) NULL,
      \`revoked_by\` varchar(64) NULL,
      \`last_used_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`ux_access_credential_hash\` (\`token_hash\`),
      KEY \`ix_access_credential_owner\` (\`kind\`, \`owner\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`access_credential\``);
  }
}
