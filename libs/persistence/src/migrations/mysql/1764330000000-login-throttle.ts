import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed dashboard sign-ins, shared by every gateway instance (see `LoginThrottleEntity`). */
export class LoginThrottle1764330000000 implements MigrationInterface {
  name = 'LoginThrottle1764330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`login_throttle\` (
      \`key_hash\` varchar(64) NOT NULL,
      \`failures\` int NOT NULL,
      \`first_at\` datetime(3) NOT NULL,
      \`locked_until\` datetime(3) NULL,
      PRIMARY KEY (\`key_hash\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`login_throttle\``);
  }
}
