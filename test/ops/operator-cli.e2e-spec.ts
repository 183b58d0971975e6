import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import request from 'supertest';
import { ConfigError } from '#gw/common';
import { createGatewayContext } from '#gw/ingress';
import { AuditLogEntity } from '#gw/persistence';
import { buildGatewayApp } from '../../apps/gateway/src/gateway.app';
import { CliIo, runCli } from '../../apps/gateway/src/cli';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { REPO_ROOT, startTestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

describe('the first admin: from the command line, or from the environment (never a default password)', () => {
  let testDb: TestDatabase;
  const env = () => ({
    GATEWAY_MODE: 'embedded',
    CATALOGUE_FILE: resolve(REPO_ROOT, 'config/catalogue.yaml'),
    GATEWAY_DATA_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    GATEWAY_OPERATOR_TOKEN: 'test-operator-token-0123456789',
    ...testDb.env,
  });
  const cli = async (argv: string[], stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: env(),
      stdin: Readable.from([stdin]),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
    };
    const code = await runCli(argv, io);
    return { code, out: out.join(''), err: err.join('') };
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('creates an admin with the password read from standard input, and the admin can sign in', async () => {
    expect(await cli(['create-operator', '--user', 'ChenCan', '--role', 'admin'], 'short\n')).toMatchObject({
      code: 1,
      err: expect.stringContaining('至少 12 个字符'),
    });
    expect(await cli(['create-operator', '--user', 'ChenCan', '--role', 'admin'], 'Cli-password-2026\n')).toMatchObject(
      { code: 0, out: expect.stringContaining('chencan (admin)') },
    );
    expect(
      (await cli(['create-operator', '--user', 'chencan', '--role', 'viewer'], 'Other-password-2026\n')).code,
    ).toBe(1);
    expect(await cli(['list-operators'])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^chencan\tadmin\tactive\t-\ttotp:off\n$/),
    });
    expect((await cli(['frobnicate'])).code).toBe(2);

    const gw = await startTestGateway({ testDb });
    try {
      await request(gw.url)
        .post('/api/v1/auth/login')
        .send({ username: 'chencan', password: 'Cli-password-2026' })
        .expect(200);
      expect((await cli(['set-password', '--user', 'chencan'], 'New-cli-password-2026\n')).code).toBe(0);
      await request(gw.url)
        .post('/api/v1/auth/login')
        .send({ username: 'chencan', password: 'Cli-password-2026' })
        .expect(401);
      await request(gw.url)
        .post('/api/v1/auth/login')
        .send({ username: 'chencan', password: 'New-cli-password-2026' })
        .expect(200);
      const audit = await gw.db.manager.find(AuditLogEntity, { where: { actor: 'cli' } });
      expect(audit.map((a) => a.action)).toEqual(['OPERATOR_CREATED', 'OPERATOR_UPDATED']);
      expect(JSON.stringify(audit)).not.toContain('password-2026');
    } finally {
      await gw.close();
    }
  });

  it('refuses to start with GATEWAY_ADMIN_PASSWORD shorter than 12 characters, saying which variable', async () => {
    const ctx = createGatewayContext({ ...env(), GATEWAY_ADMIN_USER: 'admin', GATEWAY_ADMIN_PASSWORD: 'admin123' });
    const started = buildGatewayApp(ctx, { logs: false, platformUrl: 'http://127.0.0.1:9/zwfw/api/v1' });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/GATEWAY_ADMIN_PASSWORD.*至少 12 个字符/);
  });
});
