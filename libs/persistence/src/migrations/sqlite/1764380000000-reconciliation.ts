import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Reconciliation (对账) results per department and date, and the lease that lets one instance run a job. */
export class Reconciliation1764380000000 implements MigrationInterface {
  name = 'Reconciliation1764380000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "reconciliation_run" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "business_date" varchar(10) NOT NULL,
      "department" varchar(16) NOT NULL,
      "org_code" varchar(32) NOT NULL,
      "run_by" varchar(64) NOT NULL,
      "checked" integer NOT NULL DEFAULT (0),
      "matching" integer NOT NULL DEFAULT (0),
      "repaired" integer NOT NULL DEFAULT (0),
      "unexplained" integer NOT NULL DEFAULT (0),
      "in_progress" integer NOT NULL DEFAULT (0),
      "details" text,
      "error" text,
      "started_at" datetime NOT NULL,
      "finished_at" datetime NOT NULL)`);
    await q.query(`CREATE INDEX "ix_reconciliation_date" ON "reconciliation_run" ("business_date", "department")`);
    await q.query(`CREATE TABLE "job_lease" (
      "name" varchar(64) PRIMARY KEY NOT NULL,
      "owner" varchar(64) NOT NULL,
      "lease_until" datetime NOT NULL,
      "done_at" datetime)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "job_lease"`);
    await q.query(`DROP INDEX "ix_reconciliation_date"`);
    await q.query(`DROP TABLE "reconciliation_run"`);
  }
}
