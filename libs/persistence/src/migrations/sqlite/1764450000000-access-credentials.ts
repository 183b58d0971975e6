import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Department tokens and platform callback secrets issued from the dashboard, with their overlap. */
export class AccessCredentials1764450000000 implements MigrationInterface {
  name = 'AccessCredentials1764450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "access_credential" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "kind" varchar(16) NOT NULL,
      "owner" varchar(16) NOT NULL,
      "source" varchar(16) NOT NULL,
      "token_hash" varchar(64) NOT NULL,
      "secret_sealed" text,
      "created_at" datetime NOT NULL,
      "created_by" varchar(64) NOT NULL,
      "expires_at" datetime,
      "revoked_at" datetime,
      "revoked_by" varchar(64),
      "last_used_at" datetime)`);
    await q.query(`CREATE UNIQUE INDEX "ux_access_credential_hash" ON "access_credential" ("token_hash")`);
    await q.query(`CREATE INDEX "ix_access_credential_owner" ON "access_credential" ("kind", "owner")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_access_credential_owner"`);
    await q.query(`DROP INDEX "ux_access_credential_hash"`);
    await q.query(`DROP TABLE "access_credential"`);
  }
}
