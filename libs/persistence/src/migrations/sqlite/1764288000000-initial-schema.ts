import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764288000000 implements MigrationInterface {
  name = 'InitialSchema1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "inbound_message" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "department" varchar(16) NOT NULL,
      "channel" varchar(16) NOT NULL,
      "received_at" datetime NOT NULL,
      "media_type" varchar(100),
      "headers" text,
      "body" blob,
      "body_sha256" varchar(64),
      "source_event_id" varchar(128),
      "outcome" varchar(16) NOT NULL,
      "http_status" integer NOT NULL,
      "error_code" varchar(64),
      "errors" text,
      "event_id" varchar(36),
      "case_id" varchar(36),
      "correlation_id" varchar(64),
      "batch_id" varchar(100),
      "row_no" integer,
      "replay_of" varchar(36),
      "resolved_at" datetime)`);
    await q.query(`CREATE INDEX "ix_inbound_dept_received" ON "inbound_message" ("department", "received_at")`);
    await q.query(`CREATE INDEX "ix_inbound_outcome" ON "inbound_message" ("outcome", "resolved_at")`);
    await q.query(`CREATE INDEX "ix_inbound_batch" ON "inbound_message" ("department", "batch_id")`);

    await q.query(`CREATE TABLE "gw_case" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "department" varchar(16) NOT NULL,
      "source_case_no" varchar(64) NOT NULL,
      "platform_project_no" varchar(64),
      "online" boolean NOT NULL DEFAULT (0),
      "matter_code" varchar(36) NOT NULL,
      "matter_name" varchar(200) NOT NULL,
      "location" varchar(12),
      "current_stage" varchar(32) NOT NULL,
      "closed" boolean NOT NULL DEFAULT (0),
      "opened_at" datetime NOT NULL,
      "last_stage_time" datetime NOT NULL,
      "closed_at" datetime,
      "parties_enc" text NOT NULL,
      "applicant_id_hash" varchar(64),
      "warnings" text,
      "platform_last_seq" integer NOT NULL DEFAULT (0),
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX "ux_case_dept_no" ON "gw_case" ("department", "source_case_no")`);
    await q.query(`CREATE INDEX "ix_case_project_no" ON "gw_case" ("platform_project_no")`);
    await q.query(`CREATE INDEX "ix_case_applicant_hash" ON "gw_case" ("applicant_id_hash")`);

    await q.query(`CREATE TABLE "case_event" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "case_id" varchar(36) NOT NULL,
      "department" varchar(16) NOT NULL,
      "source_event_id" varchar(128) NOT NULL,
      "stage" varchar(32) NOT NULL,
      "stage_name" varchar(50),
      "stage_time" datetime NOT NULL,
      "source_seq" integer,
      "payload_enc" text NOT NULL,
      "warnings" text,
      "inbound_id" varchar(36) NOT NULL,
      "created_at" datetime NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX "ux_event_dept_source" ON "case_event" ("department", "source_event_id")`);
    await q.query(`CREATE INDEX "ix_event_case" ON "case_event" ("case_id", "stage_time")`);

    await q.query(`CREATE TABLE "outbox" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "target" varchar(32) NOT NULL,
      "kind" varchar(32) NOT NULL,
      "case_id" varchar(36),
      "event_id" varchar(36),
      "order_time" datetime NOT NULL,
      "order_seq" integer,
      "order_key" varchar(64) NOT NULL,
      "status" varchar(16) NOT NULL DEFAULT ('PENDING'),
      "attempts" integer NOT NULL DEFAULT (0),
      "next_attempt_at" datetime NOT NULL,
      "lease_owner" varchar(64),
      "lease_until" datetime,
      "platform_seq" integer,
      "last_error_code" varchar(32),
      "last_error" text,
      "parked_reason" text,
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL,
      "done_at" datetime)`);
    await q.query(`CREATE INDEX "ix_outbox_claim" ON "outbox" ("status", "next_attempt_at")`);
    await q.query(`CREATE INDEX "ix_outbox_case" ON "outbox" ("case_id", "status", "order_key")`);

    await q.query(`CREATE TABLE "delivery_attempt" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "outbox_id" integer NOT NULL,
      "attempted_at" datetime NOT NULL,
      "duration_ms" integer NOT NULL,
      "endpoint" varchar(100) NOT NULL,
      "http_status" integer,
      "business_code" varchar(16),
      "outcome" varchar(16) NOT NULL,
      "message" text)`);
    await q.query(`CREATE INDEX "ix_attempt_outbox" ON "delivery_attempt" ("outbox_id")`);

    await q.query(`CREATE TABLE "audit_log" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "at" datetime NOT NULL,
      "actor" varchar(64) NOT NULL,
      "action" varchar(64) NOT NULL,
      "target_type" varchar(32),
      "target_id" varchar(64),
      "detail" text,
      "correlation_id" varchar(64))`);
    await q.query(`CREATE INDEX "ix_audit_at" ON "audit_log" ("at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'delivery_attempt', 'outbox', 'case_event', 'gw_case', 'inbound_message']) {
      await q.query(`DROP TABLE "${t}"`);
    }
  }
}
