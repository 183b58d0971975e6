import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { startTestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

/**
 * The test gateway's ports are picked before they are bound, so another process can take one in
 * between. A start that fails must close what it opened: an open server keeps jest from exiting,
 * and CI then hangs until its time limit instead of reporting the failure.
 */
describe('test gateway start-up (test support)', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => taken.close(r));
  });

  /** The TCP ports this process listens on (Linux: its socket inodes in LISTEN state). */
  const listening = (): number[] => {
    const inodes = new Set<string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
      }
    }
    return ports.sort((a, b) => a - b);
  };

  it('gives up on a port that stays taken, after closing everything it had opened', async () => {
    const before = listening();
    expect(before).toContain(port);
    await expect(startTestGateway({ env: { WAKE_URL: `tcp://127.0.0.1:${port}` } })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(listening()).toEqual(before);
  });

  it('starts normally otherwise', async () => {
    const before = listening();
    const gw = await startTestGateway();
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
    expect(listening().length).toBeGreaterThan(before.length);
    await gw.close();
    expect(listening()).toEqual(before);
  });
});
