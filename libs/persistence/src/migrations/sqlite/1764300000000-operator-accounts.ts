import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dashboard sign-in (operator accounts and their sessions), plus two time indexes the dashboard's
 * "last hours" queries need (delivery attempts and inbound messages by time, across departments).
 */
export class OperatorAccounts1764300000000 implements MigrationInterface {
  name = 'OperatorAccounts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "operator_account" (
      "username" varchar(32) PRIMARY KEY NOT NULL,
      "password_hash" varchar(255) NOT NULL,
      "role" varchar(16) NOT NULL,
      "disabled" boolean NOT NULL DEFAULT (0),
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL,
      "last_login_at" datetime)`);
    await q.query(`CREATE TABLE "operator_session" (
      "id_hash" varchar(64) PRIMARY KEY NOT NULL,
      "username" varchar(32) NOT NULL,
      "created_at" datetime NOT NULL,
      "expires_at" datetime NOT NULL)`);
    await q.query(`CREATE INDEX "ix_session_expires" ON "operator_session" ("expires_at")`);
    await q.query(`CREATE INDEX "ix_session_user" ON "operator_session" ("username")`);
    await q.query(`CREATE INDEX "ix_attempt_at" ON "delivery_attempt" ("attempted_at")`);
    await q.query(`CREATE INDEX "ix_inbound_received" ON "inbound_message" ("received_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_inbound_received"`);
    await q.query(`DROP INDEX "ix_attempt_at"`);
    await q.query(`DROP TABLE "operator_session"`);
    await q.query(`DROP TABLE "operator_account"`);
  }
}
