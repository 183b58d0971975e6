import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { AuditRepository, CaseReadRepository, IngestRepository } from '#gw/persistence';
import { CaseViewService } from './case-view.service';
import { DepartmentAuth } from './department-auth';
import { GatewayContext } from './gateway-context';
import { CasesController } from './http/cases.controller';
import { HealthController } from './http/health.controller';
import { IngressController } from './http/ingress.controller';
import { IngestService } from './ingest.service';
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
      imports: [TerminusModule],
      controllers: [IngressController, CasesController, HealthController],
      providers: [
        { provide: DepartmentAuth, useValue: new DepartmentAuth(ctx.secrets.deptTokens) },
        { provide: OutboxSignal, useValue: options.signal ?? new NoopOutboxSignal() },
        {
          provide: IngestService,
          useFactory: (cat: Catalogue, reg: AdapterRegistry, auth: DepartmentAuth, ing: IngestRepository, aud: AuditRepository, c: PersonalDataCipher, s: OutboxSignal) =>
            new IngestService(cat, reg, auth, ing, aud, c, s),
          inject: [Catalogue, AdapterRegistry, DepartmentAuth, IngestRepository, AuditRepository, PersonalDataCipher, OutboxSignal],
        },
        {
          provide: CaseViewService,
          useFactory: (r: CaseReadRepository, c: PersonalDataCipher, cat: Catalogue) => new CaseViewService(r, c, cat),
          inject: [CaseReadRepository, PersonalDataCipher, Catalogue],
        },
      ],
      exports: [DepartmentAuth, IngestService, CaseViewService, OutboxSignal],
    };
  }
}
