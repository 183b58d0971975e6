import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AdapterRegistry } from '#gw/adapters';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { CALLBACK_SECRETS, CALLBACK_SECRET_OWNER, CredentialRegistry, GatewayContext } from '#gw/ingress';
import { AuditRepository, CallbackRepository, OutboxRepository } from '#gw/persistence';
import { BreakerRegistry, DEFAULT_BREAKER_SETTINGS } from '#gw/resilience';
import { CallbackQueryController, INBOX_SETTINGS, InboxController, PlatformCallbackController } from './callbacks.controller';
import { CallbackService } from './callback.service';
import { DepartmentDispatcher } from './department-dispatcher';

class DepartmentDispatcherLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DepartmentDispatcher) private readonly dispatcher: DepartmentDispatcher,
    @Inject('DEPT_DISPATCH_RUN') private readonly run: boolean,
  ) {}
  onApplicationBootstrap(): void {
    if (this.run) this.dispatcher.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
  }
}

/** Platform callbacks in, department deliveries out (push behind per-department breakers, or an inbox). */
@Module({})
export class CallbacksModule {
  /**
   * `runDelivery`: push routed callbacks from this process (the embedded gateway, a dispatcher).
   * `http`: serve the callback endpoint, the YBJ inbox and the callback queries (embedded, ingress).
   */
  static forRoot(ctx: GatewayContext, options: { runDelivery?: boolean; http?: boolean } = {}): DynamicModule {
    const logger = new Logger('DepartmentDelivery');
    const c = ctx.config;
    const urlOf = (code: string) => c.env[`DEPT_${code}_URL`] || ctx.catalogue.department(code)?.deliveryUrl;
    const inboxDepartments = ctx.adapters.all().filter((a) => a.deliveryMode === 'inbox').map((a) => a.department.code);
    return {
      module: CallbacksModule,
      controllers: options.http === false ? [] : [PlatformCallbackController, CallbackQueryController, InboxController],
      providers: [
        { provide: 'DEPT_DISPATCH_RUN', useValue: options.runDelivery !== false },
        {
          provide: DepartmentDispatcher,
          useFactory: (cb: CallbackRepository, ob: OutboxRepository, reg: AdapterRegistry, cat: Catalogue, cipher: PersonalDataCipher) =>
            new DepartmentDispatcher(
              cb,
              ob,
              reg,
              cat,
              cipher,
              new BreakerRegistry(
                { ...DEFAULT_BREAKER_SETTINGS, timeoutMs: c.breaker.timeoutMs, resetTimeoutMs: c.breaker.resetTimeoutMs },
                { onStateChange: (name, state) => (state === 'OPEN' ? logger.warn(`department ${name}: breaker OPEN`) : logger.log(`department ${name}: breaker ${state}`)) },
              ),
              urlOf,
              { concurrency: 8, pollIntervalMs: c.dispatch.pollIntervalMs, leaseMs: c.dispatch.leaseMs, retryBaseMs: c.dispatch.retryBaseMs, retryMaxMs: c.dispatch.retryMaxMs },
              { warn: (m) => logger.warn(m), error: (m, e) => logger.error({ err: e }, m) },
            ),
          inject: [CallbackRepository, OutboxRepository, AdapterRegistry, Catalogue, PersonalDataCipher],
        },
        {
          provide: CallbackService,
          useFactory: (cb: CallbackRepository, cat: Catalogue, reg: AdapterRegistry, cipher: PersonalDataCipher, audit: AuditRepository, d: DepartmentDispatcher, secrets: CredentialRegistry) =>
            new CallbackService(cb, cat, reg, cipher, audit, { appId: c.callbacks.appId, secret: () => secrets.validSecrets(CALLBACK_SECRET_OWNER), refreshSecrets: () => secrets.refreshIfStale(), signAlg: c.platform.signAlg }, () => d.wake()),
          inject: [CallbackRepository, Catalogue, AdapterRegistry, PersonalDataCipher, AuditRepository, DepartmentDispatcher, CALLBACK_SECRETS],
        },
        { provide: INBOX_SETTINGS, useValue: { inboxLeaseMs: c.callbacks.inboxLeaseMs, inboxDepartments } },
        DepartmentDispatcherLifecycle,
      ],
      exports: [CallbackService, DepartmentDispatcher],
    };
  }
}
