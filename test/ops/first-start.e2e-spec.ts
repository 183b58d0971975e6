import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { APP_SCRIPTS, AppProcess, artifactsDir, ensureBuilt } from '../support/processes';
import { REPO_ROOT } from '../support/test-gateway';
import { waitFor } from '../support/wait-for';

jest.setTimeout(180_000);

const BANNER = '平江县政务服务集成网关已启动  Pingjiang gateway is running';

function runNode(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
}

/** The embedded gateway as `npm start` runs it, its output (not a terminal) in a file. */
async function startEmbedded(name: string, env: Record<string, string>): Promise<{ proc: AppProcess; base: string }> {
  const port = await freePort();
  const simulatorPort = await freePort();
  const dir = artifactsDir('first-start');
  const proc = new AppProcess(
    name,
    APP_SCRIPTS.gateway,
    { DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-first-')), PORT: String(port), HOST: '127.0.0.1', SIMULATOR_PORT: String(simulatorPort), ...env },
    join(dir, `${name}.log`),
    `http://127.0.0.1:${port}/health/live`,
  );
  await proc.start(120_000);
  await waitFor('the banner', async () => proc.log().includes('Metrics'), 30_000);
  return { proc, base: `http://127.0.0.1:${port}` };
}

/** What was printed since the process started (the log file's header line dropped). */
const output = (proc: AppProcess) => proc.log().split(/===== .* =====\n/).pop()!;

describe('a first start that is quiet and readable', () => {
  beforeAll(() => ensureBuilt());

  it('prints the banner last: Nest lists no module or route at the default level (JSON, not a terminal)', async () => {
    const { proc } = await startEmbedded('json', {});
    try {
      const out = output(proc);
      expect(out).toContain(BANNER);
      const afterBanner = out.slice(out.indexOf(BANNER));
      expect(afterBanner).not.toMatch(/^\{/m); // nothing logged after it
      expect(out).not.toMatch(/Mapped \{|RoutesResolver|RouterExplorer|InstanceLoader/);
      // What is logged stays JSON, one object a line, for log collectors.
      for (const line of out.slice(0, out.indexOf(BANNER)).split('\n').filter((l) => l.startsWith('{'))) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await proc.stop();
    }
  });

  it('writes readable lines with LOG_FORMAT=pretty: a refused request is shown, a successful one is detail', async () => {
    const { proc, base } = await startEmbedded('pretty', { LOG_FORMAT: 'pretty' });
    try {
      expect((await fetch(`${base}/dashboard/`)).status).toBe(200);
      expect((await fetch(`${base}/no-such-page`)).status).toBe(404);
      await waitFor('the 404 line', async () => output(proc).includes('/no-such-page'), 15_000);
      const out = output(proc);
      expect(out).toMatch(/^\d\d:\d\d:\d\d INFO  GET \/no-such-page 404 \d+ms/m);
      expect(out).not.toContain('GET /dashboard/');
      expect(out).not.toMatch(/^\{/m);
    } finally {
      await proc.stop();
    }
  });
});

describe('the Node version and the engines of the locked packages', () => {
  it('npm start refuses a Node older than the README names, in Chinese and English', async () => {
    // A copy of the script beside a copy of package.json and no lockfile: should the check ever not
    // refuse, its `npm ci` fails there at once instead of installing into the repository.
    const sandbox = mkdtempSync(join(tmpdir(), 'gw-node-'));
    mkdirSync(join(sandbox, 'scripts'));
    copyFileSync(join(REPO_ROOT, 'scripts/ensure-installed.js'), join(sandbox, 'scripts/ensure-installed.js'));
    copyFileSync(join(REPO_ROOT, 'package.json'), join(sandbox, 'package.json'));
    const preload = join(sandbox, 'old-node.js');
    writeFileSync(preload, "Object.defineProperty(process, 'version', { value: 'v18.20.4' });\n");
    const r = await runNode(['-r', preload, join(sandbox, 'scripts/ensure-installed.js')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Node.js 版本过低：当前 v18.20.4，本网关需要 >=20.19');
    expect(r.out).toContain('Node.js is too old');
  });

  it('every locked package accepts this Node (npm ci prints no EBADENGINE)', async () => {
    const r = await runNode(['scripts/check-engines.js']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
