import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Small named values the gateway keeps between runs: for now each process's last recorded
 * configuration fingerprint (`config:<process>@<port>`), compared at start-up (CONFIG_CHANGED).
 */
export class GatewayState1764430000000 implements MigrationInterface {
  name = 'GatewayState1764430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway_state" ("name" varchar(100) PRIMARY KEY NOT NULL, "value" text NOT NULL, "updated_at" datetime NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway_state"`);
  }
}
