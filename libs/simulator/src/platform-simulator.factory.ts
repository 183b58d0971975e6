import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { PLATFORM_BASE_PATH } from './platform-endpoints';
import { resolveSimulatorOptions, type SimulatorOptions } from './simulator-options';
import { SimulatorModule } from './simulator.module';

/** A simulator app, configured but not yet listening. */
export async function createPlatformSimulatorApp(options: SimulatorOptions): Promise<INestApplication> {
  const resolved = resolveSimulatorOptions(options);
  const app = await NestFactory.create<NestExpressApplication>(SimulatorModule.forRoot(resolved), {
    bodyParser: false,
    logger: resolved.logger ? ['log', 'warn', 'error'] : false,
  });
  // Signatures cover the exact bytes sent, so bodies stay raw and are parsed after verification.
  // `type: () => true` (rather than '*/*') also keeps a body sent without a Content-Type.
  app.useBodyParser('raw', { type: () => true, limit: '2mb' });
  return app;
}

export interface StartSimulatorOptions extends SimulatorOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningSimulator {
  app: INestApplication;
  /** Base URL of the platform interface, including /zwfw/api/v1 (what the gateway calls CITY_PLATFORM_URL). */
  url: string;
  /** Scheme, host and port: /admin and /health hang off it. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

export async function startPlatformSimulator(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const { port, host = '127.0.0.1', ...simulatorOptions } = options;
  const app = await createPlatformSimulatorApp(simulatorOptions);
  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${address.port}`;
  return { app, url: `${origin}${PLATFORM_BASE_PATH}`, origin, port: address.port, close: () => app.close() };
}
