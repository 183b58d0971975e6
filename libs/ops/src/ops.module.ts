import { CodesController } from './codes.controller';
import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationBootstrap,
  RequestMethod,
} from '@nestjs/common';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { DELIVERY_OBSERVER } from '#gw/dispatch';
import { CALLBACK_SECRETS, CaseViewService, CatalogueSync, CredentialRegistry, DepartmentAuth, GatewayContext, INGEST_OBSERVER, ReadinessProbe } from '#gw/ingress';
import { AccessCredentialRepository, AuditRepository, CaseReadRepository, CatalogueVersionRepository, Database, KeyRotationJob, OutboxRepository } from '#gw/persistence';
import { CredentialAdminService } from './credential-admin.service';
import { CredentialsController } from './credentials.controller';
import { AuthController } from './auth.controller';
import { CatalogueAdminService } from './catalogue-admin.service';
import { CatalogueController } from './catalogue.controller';
import { ConnectionTestService } from './connection-test.service';
import { DashboardController } from './dashboard.controller';
import { DeliveryRuntime } from './delivery-runtime';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OpsConfig, loadOpsConfig } from './ops-config';
import { OpsReadRepository } from './ops-read.repository';
import { OpsController } from './ops.controller';
import { OpsService } from './ops.service';
import { OPS_CONFIG } from './ops.tokens';
import { OperatorAccountRepository } from './operator-account.repository';
import { OperatorAccountService } from './operator-account.service';
import { OperatorsController } from './operators.controller';
import { ReadinessService } from './readiness.service';
import { SessionMiddleware } from './session.middleware';

/** Creates the first admin from GATEWAY_ADMIN_USER / GATEWAY_ADMIN_PASSWORD once the database is open. */
class FirstAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('Operators');
  constructor(@Inject(OperatorAccountService) private readonly accounts: OperatorAccountService) {}
  async onApplicationBootstrap(): Promise<void> {
    const r = await this.accounts.ensureFirstAdmin();
    if (r === 'created') this.logger.log('first admin created from GATEWAY_ADMIN_USER');
  }
}

/**
 * The operators' side: dashboard (`/dashboard`), sign-in and accounts, overview and case search,
 * drain switch, readiness (`/health/ready`) and Prometheus metrics (`/metrics`). Global, so the
 * ingress and dispatch modules find its observers (metrics) and the readiness probe.
 * Needs CoreModule and PersistenceModule; uses the dispatcher when the app runs one.
 */
@Global()
@Module({})
export class OpsModule implements NestModule {
  static forRoot(ctx: GatewayContext): DynamicModule {
    // Checked while the app is composed, so a bad setting stops start-up with a readable message.
    const config = loadOpsConfig(ctx.config.env);
    return {
      module: OpsModule,
      controllers: [DashboardController, CodesController, AuthController, OperatorsController, CredentialsController, CatalogueController, OpsController, MetricsController],
      providers: [
        { provide: OPS_CONFIG, useValue: config },
        DeliveryRuntime,
        { provide: OpsReadRepository, useFactory: (db: Database) => new OpsReadRepository(db), inject: [Database] },
        {
          provide: OperatorAccountRepository,
          useFactory: (db: Database) => new OperatorAccountRepository(db),
          inject: [Database],
        },
        {
          provide: OperatorAccountService,
          useFactory: (repo: OperatorAccountRepository, audit: AuditRepository, c: OpsConfig, cipher: PersonalDataCipher) =>
            new OperatorAccountService(repo, audit, c, (s) => cipher.lookupHash(s), Date.now, cipher),
          inject: [OperatorAccountRepository, AuditRepository, OPS_CONFIG, PersonalDataCipher],
        },
        {
          provide: OpsService,
          useFactory: (
            db: Database,
            outbox: OutboxRepository,
            read: OpsReadRepository,
            cat: Catalogue,
            rt: DeliveryRuntime,
            c: OpsConfig,
            k: KeyRotationJob,
          ) => new OpsService(db, outbox, read, cat, rt, c, k),
          inject: [Database, OutboxRepository, OpsReadRepository, Catalogue, DeliveryRuntime, OPS_CONFIG, KeyRotationJob],
        },
        {
          provide: ReadinessService,
          useFactory: (db: Database, ops: OpsService, rt: DeliveryRuntime, c: OpsConfig) =>
            new ReadinessService(db, ops, rt, c),
          inject: [Database, OpsService, DeliveryRuntime, OPS_CONFIG],
        },
        { provide: ReadinessProbe, useExisting: ReadinessService },
        {
          provide: MetricsService,
          useFactory: (cat: Catalogue, ops: OpsService, rt: DeliveryRuntime, db: Database, r: ReadinessService) =>
            new MetricsService(cat, ops, rt, db, () => r.isDraining),
          inject: [Catalogue, OpsService, DeliveryRuntime, Database, ReadinessService],
        },
        { provide: INGEST_OBSERVER, useExisting: MetricsService },
        { provide: DELIVERY_OBSERVER, useExisting: MetricsService },
        {
          provide: CaseViewService,
          useFactory: (r: CaseReadRepository, c: PersonalDataCipher, cat: Catalogue) => new CaseViewService(r, c, cat),
          inject: [CaseReadRepository, PersonalDataCipher, Catalogue],
        },
        {
          provide: ConnectionTestService,
          useFactory: (rt: DeliveryRuntime, cat: Catalogue, audit: AuditRepository) =>
            // The same receiving URL the department dispatcher uses: DEPT_<code>_URL, else the catalogue's.
            new ConnectionTestService(rt, cat, audit, (code) => ctx.config.env[`DEPT_${code}_URL`] || cat.department(code)?.deliveryUrl),
          inject: [DeliveryRuntime, Catalogue, AuditRepository],
        },
        {
          provide: CredentialAdminService,
          useFactory: (repo: AccessCredentialRepository, audit: AuditRepository, cat: Catalogue, auth: DepartmentAuth, cb: CredentialRegistry, cipher: PersonalDataCipher) =>
            new CredentialAdminService(repo, audit, cat, auth, cb, cipher),
          inject: [AccessCredentialRepository, AuditRepository, Catalogue, DepartmentAuth, CALLBACK_SECRETS, PersonalDataCipher],
        },
        {
          provide: CatalogueAdminService,
          useFactory: (cat: Catalogue, sync: CatalogueSync, credentials: CredentialAdminService, repo: CatalogueVersionRepository, audit: AuditRepository) =>
            new CatalogueAdminService(cat, sync, credentials, repo, audit),
          inject: [Catalogue, CatalogueSync, CredentialAdminService, CatalogueVersionRepository, AuditRepository],
        },
        SessionMiddleware,
        FirstAdmin,
      ],
      exports: [
        OPS_CONFIG,
        OperatorAccountService,
        MetricsService,
        ReadinessService,
        ReadinessProbe,
        INGEST_OBSERVER,
        DELIVERY_OBSERVER,
        OpsService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SessionMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
