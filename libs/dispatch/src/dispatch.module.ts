import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Catalogue } from '#gw/catalogue';
import { PersonalDataCipher } from '#gw/common';
import { GatewayContext } from '#gw/ingress';
import { OutboxRepository } from '#gw/persistence';
import { CityPlatformPort, NationalPlatformAdapter } from '#gw/platform';
import type { BreakerSettings } from '#gw/resilience';
import { DEFAULT_DISPATCHER_SETTINGS, Dispatcher, DispatcherSettings } from './dispatcher';
import { DispatchStatusController } from './dispatch-status.controller';
import { ParkedController } from './parked.controller';
import { WakeController } from './wake.controller';

export interface DispatchModuleOptions {
  /** Base URL of the city platform (the embedded simulator's when none is configured). */
  platformUrl: string;
  dispatcher?: Partial<DispatcherSettings>;
  breaker?: Partial<BreakerSettings>;
  /** Run the dispatch loop in this process (false: only the parked API, e.g. an ingress-only app). */
  run?: boolean;
}

class DispatcherLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(CityPlatformPort) private readonly platform: CityPlatformPort,
    @Inject('DISPATCH_RUN') private readonly run: boolean,
  ) {}
  onApplicationBootstrap(): void {
    if (this.run) this.dispatcher.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.platform.close();
  }
}

/** Delivery to the city platform: the platform port, the dispatcher loop, the parked-message API. */
@Module({})
export class DispatchModule {
  static forRoot(ctx: GatewayContext, options: DispatchModuleOptions): DynamicModule {
    const logger = new Logger('Dispatcher');
    const c = ctx.config;
    const dispatcherSettings: DispatcherSettings = { ...DEFAULT_DISPATCHER_SETTINGS, ...c.dispatch, ...options.dispatcher };
    const breaker = { timeoutMs: c.breaker.timeoutMs, resetTimeoutMs: c.breaker.resetTimeoutMs, ...options.breaker };
    return {
      module: DispatchModule,
      controllers: [ParkedController, DispatchStatusController, WakeController],
      providers: [
        { provide: 'DISPATCH_RUN', useValue: options.run !== false },
        {
          provide: CityPlatformPort,
          useFactory: () =>
            new NationalPlatformAdapter({
              baseUrl: options.platformUrl,
              appId: ctx.config.platform.appId,
              secret: ctx.secrets.platformSecret,
              signAlg: ctx.config.platform.signAlg,
              rateLimitPerSecond: ctx.config.platform.rateLimitPerSecond,
              breaker,
              onBreakerStateChange: (endpoint, state) =>
                (state === 'OPEN' ? logger.warn.bind(logger) : logger.log.bind(logger))(`city platform endpoint ${endpoint}: breaker ${state}`),
            }),
        },
        {
          provide: Dispatcher,
          useFactory: (outbox: OutboxRepository, platform: CityPlatformPort, catalogue: Catalogue, cipher: PersonalDataCipher) =>
            new Dispatcher(outbox, platform, catalogue, cipher, dispatcherSettings, {
              log: (m) => logger.log(m),
              warn: (m) => logger.warn(m),
              error: (m, e) => logger.error({ err: e }, m),
            }),
          inject: [OutboxRepository, CityPlatformPort, Catalogue, PersonalDataCipher],
        },
        DispatcherLifecycle,
      ],
      exports: [Dispatcher, CityPlatformPort],
    };
  }
}
