import { generate } from 'otplib';
import { matchTotpStep, newTotpSecret, qrCodeDataUrl, totpUri } from './two-factor';

const at = (step: number) => step * 30_000 + 7_000;

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 6238 test vector (SHA-1, 8 digits truncated to the 6 an app shows)', async () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits); 6 digits: 287082.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(await matchTotpStep(secret, '287082', 59_000)).toBe(1);
  });

  it('accepts the current step and one either side, nothing further', async () => {
    const secret = newTotpSecret();
    const code = (step: number) => generate({ secret, epoch: step * 30 });
    expect(await matchTotpStep(secret, await code(1000), at(1000))).toBe(1000);
    expect(await matchTotpStep(secret, await code(999), at(1000))).toBe(999);
    expect(await matchTotpStep(secret, await code(1001), at(1000))).toBe(1001);
    expect(await matchTotpStep(secret, await code(998), at(1000))).toBeNull();
    expect(await matchTotpStep(secret, await code(1002), at(1000))).toBeNull();
  });

  it('refuses a step already used, and malformed codes', async () => {
    const secret = newTotpSecret();
    const code = await generate({ secret, epoch: 1000 * 30 });
    expect(await matchTotpStep(secret, code, at(1000), 1000)).toBeNull();
    expect(await matchTotpStep(secret, code, at(1000), 999)).toBe(1000);
    expect(await matchTotpStep(secret, '12345', at(1000))).toBeNull();
    expect(await matchTotpStep(secret, 'abcdef', at(1000))).toBeNull();
    expect(await matchTotpStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, at(1000))).toBe(1000);
  });

  it('draws the otpauth URI as a PNG data URL', async () => {
    const uri = totpUri('chencan', newTotpSecret());
    expect(uri).toMatch(/^otpauth:\/\/totp\/.*chencan\?secret=[A-Z2-7]+/);
    expect(await qrCodeDataUrl(uri)).toMatch(/^data:image\/png;base64,/);
  });
});
