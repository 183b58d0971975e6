import { ConfigError } from '#gw/common';
import type { GatewayContext } from '#gw/ingress';
import { startPlatformSimulator } from '#gw/simulator';

export interface PlatformEndpoint {
  url: string;
  simulated: boolean;
  close?: () => Promise<void>;
}

/**
 * Where the gateway delivers: CITY_PLATFORM_URL, or — embedded mode only — the city platform
 * simulator, started in this process on 127.0.0.1. The simulator signs callbacks with the real
 * callback secret, so its admin API always needs its own token (`secrets.simulatorAdminToken`,
 * generated into secrets.json); production mode never starts it.
 */
export async function platformFor(ctx: GatewayContext): Promise<PlatformEndpoint> {
  if (ctx.config.platform.url) return { url: ctx.config.platform.url, simulated: false };
  if (ctx.config.mode !== 'embedded' || !ctx.secrets.simulatorAdminToken) {
    throw new ConfigError('生产模式从不启动平台模拟器，请设置 CITY_PLATFORM_URL production mode never starts the platform simulator: set CITY_PLATFORM_URL');
  }
  const sim = await startPlatformSimulator({
    port: ctx.config.simulatorPort,
    host: '127.0.0.1',
    apps: { [ctx.config.platform.appId]: ctx.secrets.platformSecret },
    signAlg: ctx.config.platform.signAlg,
    rateLimitPerSecond: ctx.config.platform.rateLimitPerSecond,
    // The simulator calls back this gateway, signed with the callback secret both share (over
    // HTTPS when the gateway serves it: NODE_EXTRA_CA_CERTS must then trust its certificate).
    callbackUrl: `${ctx.config.tls ? 'https' : 'http'}://127.0.0.1:${ctx.config.port}/api/v1/platform/callbacks`,
    callbackAppId: ctx.config.callbacks.appId,
    callbackSecret: ctx.secrets.callbackSecret,
    adminToken: ctx.secrets.simulatorAdminToken,
  });
  return { url: sim.url, simulated: true, close: () => sim.close() };
}
