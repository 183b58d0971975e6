import { DynamicModule, Module } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { ForegroundWork, PersonalDataCipher, spoolDirOf } from '#gw/common';
import { AuditRepository, BatchRepository, CaseReadRepository, IngestRepository, LicenceRepository, QuarantineRepository, Database } from '#gw/persistence';
import { BatchIngestService } from './batch-ingest.service';
import { CaseViewService } from './case-view.service';
import { CaseSearch } from './case-search';
import { BatchController } from './http/batch.controller';
import { QuarantineController } from './http/quarantine.controller';
import { QuarantineService } from './quarantine.service';
import { DepartmentAuth } from './department-auth';
import { GatewayContext } from './gateway-context';
import { CasesController } from './http/cases.controller';
import { LicencesController } from './http/licences.controller';
import { LicenceSearch } from './licence-view';
import { HealthModule } from './health.module';
import { IngressController } from './http/ingress.controller';
import { INGEST_OBSERVER, IngestObserver, IngestService } from './ingest.service';
import { IngressThrottle } from './ingress-throttle';
import { NoopOutboxSignal, OutboxSignal } from './outbox-signal';

/**
 * Department ingress, case reads and health. Needs CoreModule and PersistenceModule (global) in the same app.
 * `signal` tells a dispatcher about new work; without one the dispatcher's poll finds it.
 */
@Module({})
export class IngressModule {
  static forRoot(ctx: GatewayContext, options: { signal?: OutboxSignal } = {}): DynamicModule {
    return {
      module: IngressModule,
      imports: [HealthModule],
      controllers: [IngressController, BatchController, CasesController, LicencesController, QuarantineController],
      providers: [
        { provide: OutboxSignal, useValue: options.signal ?? new NoopOutboxSignal() },
        {
          provide: IngestService,
          useFactory: (cat: Catalogue, reg: AdapterRegistry, auth: DepartmentAuth, ing: IngestRepository, aud: AuditRepository, c: PersonalDataCipher, s: OutboxSignal, o?: IngestObserver) =>
            new IngestService(cat, reg, auth, ing, aud, c, s, o, new IngressThrottle(ctx.config.ingressLimits)),
          inject: [Catalogue, AdapterRegistry, DepartmentAuth, IngestRepository, AuditRepository, PersonalDataCipher, OutboxSignal, { token: INGEST_OBSERVER, optional: true }],
        },
        {
          provide: QuarantineService,
          useFactory: (q: QuarantineRepository, reg: AdapterRegistry, ing: IngestService, aud: AuditRepository) => new QuarantineService(q, reg, ing, aud),
          inject: [QuarantineRepository, AdapterRegistry, IngestService, AuditRepository],
        },
        {
          provide: BatchIngestService,
          useFactory: (ing: IngestService, b: BatchRepository, f: ForegroundWork) => new BatchIngestService(ing, b, ctx.cipher, spoolDirOf(ctx.config.dataDir), ctx.config.maxBatchBytes, f, ctx.config.batchRowsUnderWay),
          inject: [IngestService, BatchRepository, ForegroundWork],
        },
        {
          provide: CaseViewService,
          useFactory: (r: CaseReadRepository, c: PersonalDataCipher, cat: Catalogue) => new CaseViewService(r, c, cat),
          inject: [CaseReadRepository, PersonalDataCipher, Catalogue],
        },
        {
          provide: CaseSearch,
          useFactory: (db: Database, c: PersonalDataCipher, cat: Catalogue) => new CaseSearch(db, c, cat),
          inject: [Database, PersonalDataCipher, Catalogue],
        },
        {
          provide: LicenceSearch,
          useFactory: (r: LicenceRepository, c: PersonalDataCipher, cat: Catalogue) => new LicenceSearch(r, c, cat),
          inject: [LicenceRepository, PersonalDataCipher, Catalogue],
        },
      ],
      exports: [IngestService, CaseViewService, OutboxSignal, QuarantineService, BatchIngestService],
    };
  }
}
