/** The county department simulators as a process (demo): BDC, SCJG, RSJ receiving pushes; YBJ polling its inbox. */
import {
  DeptSimulatorsEnvError,
  deptSimulatorsOptionsFromEnv,
  gatewayBase,
  startDepartmentSimulators,
} from '#gw/dept-simulators';

async function main(): Promise<void> {
  let options;
  try {
    options = deptSimulatorsOptionsFromEnv(process.env);
  } catch (e) {
    if (!(e instanceof DeptSimulatorsEnvError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
  let lastYbjError = '';
  const sims = await startDepartmentSimulators({
    ...options,
    // A gateway that is down fails every poll: say so once, not every interval.
    onYbjError: (e) => {
      if (e.message !== lastYbjError) console.warn(`YBJ inbox poll failed: ${e.message}`);
      lastYbjError = e.message;
    },
  });
  console.log('Department simulators (point the gateway at these):');
  for (const [code, url] of Object.entries(sims.urls)) console.log(`  DEPT_${code}_URL=${url}`);
  console.log(
    sims.ybj.isRunning
      ? `  YBJ polls ${gatewayBase(options.gatewayUrl ?? '')}/api/v1/departments/ybj/inbox every ${options.ybjPollIntervalMs ?? 5000} ms`
      : '  YBJ inbox polling off (set GATEWAY_URL and GATEWAY_DEPT_TOKEN_YBJ to turn it on)',
  );
  const shutdown = () => {
    sims.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error('department simulators failed to start:', e);
  process.exit(1);
});
