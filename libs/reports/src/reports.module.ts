import { DynamicModule, Module } from '@nestjs/common';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import type { GatewayContext } from '#gw/ingress';
import { Database } from '#gw/persistence';
import { loadReportConfig } from './report-config';
import { ReportRepository } from './report.repository';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** The reform's figures: overdue cases, online share, satisfaction, and their exports. */
@Module({})
export class ReportsModule {
  static forRoot(ctx: GatewayContext): DynamicModule {
    // Checked while the app is composed, so a bad setting stops start-up with a readable message.
    const config = loadReportConfig(ctx.config.env);
    return {
      module: ReportsModule,
      controllers: [ReportsController],
      providers: [
        { provide: ReportRepository, useFactory: (db: Database) => new ReportRepository(db), inject: [Database] },
        {
          provide: ReportsService,
          useFactory: (repo: ReportRepository, catalogue: Catalogue, cipher: PersonalDataCipher) => new ReportsService(repo, catalogue, ctx.calendar, cipher, config),
          inject: [ReportRepository, Catalogue, PersonalDataCipher],
        },
      ],
      exports: [ReportsService],
    };
  }
}
