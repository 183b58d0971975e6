/** The city platform simulator as a process: configuration from the environment, then listen. */
import { SimulatorEnvError, simulatorOptionsFromEnv, startPlatformSimulator } from '#gw/simulator';

async function main(): Promise<void> {
  let options;
  try {
    options = simulatorOptionsFromEnv(process.env);
  } catch (e) {
    if (!(e instanceof SimulatorEnvError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
  const simulator = await startPlatformSimulator(options);
  simulator.app.enableShutdownHooks();
  const apps = Object.keys(options.apps).join(', ');
  console.log(
    `City platform simulator: ${simulator.url} (apps: ${apps}; admin: ${simulator.origin}/admin; health: ${simulator.origin}/health)`,
  );
}

main().catch((e: unknown) => {
  console.error('platform simulator failed to start:', e);
  process.exit(1);
});
