import { randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadGatewayConfig, resolveSecrets } from '#gw/common';
import { OperatorAccountEntity } from '#gw/persistence';
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

describe('10c: operator passwords hashed with scrypt N=2^17; old hashes still sign in and are made again', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { GATEWAY_ADMIN_USER: 'hash-admin', GATEWAY_ADMIN_PASSWORD: 'Hash-pass-2026!' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('stores new hashes at N=2^17 and replaces a 2^14 hash at the next successful login', async () => {
    const account = () => gw.db.manager.findOneByOrFail(OperatorAccountEntity, { username: 'hash-admin' });
    expect((await account()).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    // As the gateway hashed before this fix.
    const salt = randomBytes(16);
    const key = scryptSync('Hash-pass-2026!', salt, 32, { N: 16384, r: 8, p: 1 });
    await gw.db.manager.update(OperatorAccountEntity, { username: 'hash-admin' }, { passwordHash: ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$') });
    const login = await fetch(`${gw.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'hash-admin', password: 'Hash-pass-2026!' }) });
    expect(login.status).toBe(200);
    expect((await account()).passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
  });
});
