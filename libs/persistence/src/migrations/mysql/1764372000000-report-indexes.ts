import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reform's figures read cases by the month they were opened (covering: department, matter,
 * online, place), open cases by department, and 好差评 by the platform's time.
 */
export class ReportIndexes1764372000000 implements MigrationInterface {
  name = 'ReportIndexes1764372000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX `ix_case_opened` ON `gw_case` (`opened_at`, `department`, `matter_code`, `online`, `location`)');
    await q.query('CREATE INDEX `ix_case_open_dept` ON `gw_case` (`closed`, `department`)');
    await q.query('CREATE INDEX `ix_callback_type_occurred` ON `platform_callback` (`type`, `occurred_at`)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX `ix_callback_type_occurred` ON `platform_callback`');
    await q.query('DROP INDEX `ix_case_open_dept` ON `gw_case`');
    await q.query('DROP INDEX `ix_case_opened` ON `gw_case`');
  }
}
