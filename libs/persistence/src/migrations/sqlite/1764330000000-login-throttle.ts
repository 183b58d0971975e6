import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed dashboard sign-ins, shared by every gateway instance (see `LoginThrottleEntity`). */
export class LoginThrottle1764330000000 implements MigrationInterface {
  name = 'LoginThrottle1764330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "login_throttle" (
      "key_hash" varchar(64) PRIMARY KEY NOT NULL,
      "failures" integer NOT NULL,
      "first_at" datetime NOT NULL,
      "locked_until" datetime)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "login_throttle"`);
  }
}
