/** Child process: the city platform simulator (apps/platform-simulator's module) at a given rate limit. */
import { startPlatformSimulator } from '#gw/simulator';
import { PLATFORM_APP_ID, PLATFORM_SECRET, childArgs, onParentMessage, peakRssMiB } from './lib';

interface Args {
  rateLimitPerSecond: number;
}

async function main(): Promise<void> {
  const args = childArgs<Args>();
  const sim = await startPlatformSimulator({
    port: 0,
    host: '127.0.0.1',
    apps: { [PLATFORM_APP_ID]: PLATFORM_SECRET },
    rateLimitPerSecond: args.rateLimitPerSecond,
    maxReceivedCalls: 1000,
  });
  onParentMessage(async (m) => {
    if (m.type === 'stats') return { peakRssMiB: peakRssMiB() };
    if (m.type === 'stop') {
      await sim.close();
      process.exit(0);
    }
    return undefined;
  });
  process.send!({ type: 'ready', url: sim.url, origin: sim.origin });
}

main().catch((e) => {
  process.stderr.write(`bench simulator failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
