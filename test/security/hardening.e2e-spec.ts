import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadGatewayConfig, resolveSecrets } from '#gw/common';
import { REPO_ROOT, TestGateway, startTestGateway } from '../support/test-gateway';
import { YBJ_HEADER, postBatch } from '../departments/department-support';

jest.setTimeout(90_000);

/**
 * The smaller holes of the outside review (issue 18, item 10), each tried against a running
 * gateway where it can be.
 */

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A one-row YBJ file (valid). */
const ybjFile = (serial: string) =>
  Buffer.from(
    `\uFEFF${YBJ_HEADER}\r\n${serial},YB-${serial},,11430626MB456789960000150001000,异地就医备案,申报,2026/10/23 9:05,李四,430626198503120040,13800000000,,,,430626\r\n`,
    'utf8',
  );

describe('10a: the data folder and the files holding personal data or secrets are the owner\'s only', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    // The usual umask, which left folders 0755 and files 0644.
    umask = process.umask(0o022);
    root = mkdtempSync(join(tmpdir(), 'gw-modes-'));
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the data folder 0700, the SQLite database, -wal and -shm 0600, and the batch spool folder 0700', async () => {
    const dataDir = join(root, 'gateway', 'data');
    const gw: TestGateway = await startTestGateway({ env: { DATA_DIR: dataDir } });
    try {
      const reply = await postBatch(gw, 'ybj', ybjFile('YB-MODES-0001'), { 'X-Batch-Id': 'YBJ-MODES-1' });
      expect(reply.status).toBe(200);
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, 'spool'))).toBe(0o700);
      if (gw.testDb.kind === 'sqlite') {
        const db = join(dataDir, 'gateway.sqlite');
        expect(existsSync(`${db}-wal`)).toBe(true);
        for (const file of [db, `${db}-wal`, `${db}-shm`]) expect({ file, mode: modeOf(file) }).toEqual({ file, mode: 0o600 });
      }
    } finally {
      await gw.close();
    }
  });

  it('writes the generated secrets.json 0600 into a 0700 folder, and tightens one left 0644', () => {
    const dataDir = join(root, 'embedded', 'data');
    const config = loadGatewayConfig({ GATEWAY_MODE: 'embedded', DATA_DIR: dataDir, CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml') });
    const secrets = resolveSecrets(config, ['SCJG']);
    expect(secrets.generatedFile).toBe(join(dataDir, 'secrets.json'));
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(secrets.generatedFile!)).toBe(0o600);
    // As older versions could leave it: read again, it is made the owner's only.
    chmodSync(secrets.generatedFile!, 0o644);
    chmodSync(dataDir, 0o755);
    resolveSecrets(config, ['SCJG']);
    expect(modeOf(secrets.generatedFile!)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
  });
});
