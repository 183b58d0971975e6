import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from './gateway-config';
import { resolveSecrets } from './secrets';

const KEY_A = '3f9a1c7e5b2d8046af1e9c3b7d5a2f8e0c4b6d9a1e3f5c7b9d2a4e6f8b0c1d3e';
const KEY_B = '8c2e4a6f0b1d3c5e7a9f2b4d6e8c0a1f3b5d7e9c2a4f6b8d0e1c3a5f7b9d2e4c';

describe('GATEWAY_DATA_KEY_PREVIOUS (data-key rotation)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-keyrot-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is validated like the data key, and must differ from it', () => {
    expect(loadGatewayConfig({ DATA_DIR: dir, GATEWAY_DATA_KEY: KEY_B, GATEWAY_DATA_KEY_PREVIOUS: KEY_A }).previousPersonalDataKey).toBe(KEY_A);
    expect(() => loadGatewayConfig({ DATA_DIR: dir, GATEWAY_DATA_KEY: KEY_B, GATEWAY_DATA_KEY_PREVIOUS: 'abc' })).toThrow(/GATEWAY_DATA_KEY_PREVIOUS=\(hidden\): .*64/);
    expect(() => loadGatewayConfig({ DATA_DIR: dir, GATEWAY_DATA_KEY: KEY_B, GATEWAY_DATA_KEY_PREVIOUS: KEY_B.toUpperCase() })).toThrow(/GATEWAY_DATA_KEY_PREVIOUS.*same value/);
  });

  it('embedded: keeps the audit chain on the old key (pinned in secrets.json), so the later start with the new key alone still verifies it', () => {
    const rotating = resolveSecrets(loadGatewayConfig({ DATA_DIR: dir, GATEWAY_DATA_KEY: KEY_B, GATEWAY_DATA_KEY_PREVIOUS: KEY_A }), []);
    expect(rotating.previousPersonalDataKey).toBe(KEY_A);
    expect(rotating.auditKey).toBe(KEY_A);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')).auditKey).toBe(KEY_A);
    const after = resolveSecrets(loadGatewayConfig({ DATA_DIR: dir, GATEWAY_DATA_KEY: KEY_B }), []);
    expect(after.previousPersonalDataKey).toBeUndefined();
    expect(after.auditKey).toBe(KEY_A);
  });

  it('production: a rotation without GATEWAY_AUDIT_KEY is refused, naming what to set', () => {
    const env = {
      GATEWAY_MODE: 'production',
      DATA_DIR: dir,
      DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/x',
      GATEWAY_DATA_KEY: KEY_B,
      GATEWAY_DATA_KEY_PREVIOUS: KEY_A,
      PLATFORM_CALLBACK_SECRET: 'callback-Qm4Rt7Yx2Kp9Lw3Nz6Bv1Cj8Hd5Fs0Ga',
      GATEWAY_OPERATOR_TOKEN: 'operator-7Hq2vK9pLz3xW8rT5mN1bC6dF4gJ0sYa',
    };
    expect(() => resolveSecrets(loadGatewayConfig(env), [])).toThrow(/GATEWAY_AUDIT_KEY: 轮换数据密钥时.*set it to the old data key/);
    const ok = resolveSecrets(loadGatewayConfig({ ...env, GATEWAY_AUDIT_KEY: KEY_A }), []);
    expect(ok).toMatchObject({ personalDataKey: KEY_B, previousPersonalDataKey: KEY_A, auditKey: KEY_A });
  });
});
