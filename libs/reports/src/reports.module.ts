import { DynamicModule, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Catalogue } from '#gw/catalogue';
import { ConfigError, PersonalDataCipher } from '#gw/common';
import { CaseSearch, type GatewayContext } from '#gw/ingress';
import { AuditRepository, Database, OutboxRepository } from '#gw/persistence';
import { CityPlatformPort } from '#gw/platform';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationSchedule, ReconciliationService, parseReconcileAt } from './reconciliation.service';
import { loadReportConfig } from './report-config';
import { ReportRepository } from './report.repository';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

class ScheduleLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ReconciliationSchedule) private readonly schedule: ReconciliationSchedule) {}
  onApplicationBootstrap(): void {
    this.schedule.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.schedule.stop();
  }
}

/** The platform port of this process, when it has one (looked up lazily: delivery is composed elsewhere). */
function platformOf(moduleRef: ModuleRef): () => CityPlatformPort | undefined {
  return () => {
    try {
      return moduleRef.get(CityPlatformPort, { strict: false });
    } catch {
      return undefined;
    }
  };
}

/** The reform's figures: overdue cases, online share, satisfaction, reconciliation, and their exports. */
@Module({})
export class ReportsModule {
  static forRoot(ctx: GatewayContext): DynamicModule {
    // Checked while the app is composed, so a bad setting stops start-up with a readable message.
    const config = loadReportConfig(ctx.config.env);
    let reconcileAt: ReturnType<typeof parseReconcileAt>;
    try {
      reconcileAt = parseReconcileAt(ctx.config.env.RECONCILE_AT);
    } catch (e) {
      throw new ConfigError(`配置有误 configuration is invalid:\n  - ${(e as Error).message}`);
    }
    return {
      module: ReportsModule,
      controllers: [ReportsController, ReconciliationController],
      providers: [
        { provide: ReportRepository, useFactory: (db: Database) => new ReportRepository(db), inject: [Database] },
        {
          provide: ReportsService,
          useFactory: (repo: ReportRepository, catalogue: Catalogue, cipher: PersonalDataCipher) => new ReportsService(repo, catalogue, ctx.calendar, cipher, config),
          inject: [ReportRepository, Catalogue, PersonalDataCipher],
        },
        // Its own instance (stateless): the ingress module's is not exported to this one.
        {
          provide: CaseSearch,
          useFactory: (db: Database, cipher: PersonalDataCipher, catalogue: Catalogue) => new CaseSearch(db, cipher, catalogue),
          inject: [Database, PersonalDataCipher, Catalogue],
        },
        { provide: ReconciliationRepository, useFactory: (db: Database) => new ReconciliationRepository(db), inject: [Database] },
        {
          provide: ReconciliationService,
          useFactory: (repo: ReconciliationRepository, outbox: OutboxRepository, audit: AuditRepository, catalogue: Catalogue, moduleRef: ModuleRef) =>
            new ReconciliationService(repo, outbox, audit, catalogue, platformOf(moduleRef)),
          inject: [ReconciliationRepository, OutboxRepository, AuditRepository, Catalogue, ModuleRef],
        },
        {
          provide: ReconciliationSchedule,
          useFactory: (service: ReconciliationService, repo: ReconciliationRepository) => new ReconciliationSchedule(service, repo, reconcileAt),
          inject: [ReconciliationService, ReconciliationRepository],
        },
        ScheduleLifecycle,
      ],
      exports: [ReportsService, ReconciliationService],
    };
  }
}
