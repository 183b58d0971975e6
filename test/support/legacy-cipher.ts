import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Values sealed as the gateway did before key ids (`IV ‖ ct ‖ tag`, no header), written
 * independently of PersonalDataCipher: the data a database holds from before key rotation.
 */
export function legacySeal(masterHex: string, plain: Buffer): Buffer {
  const master = Buffer.from(masterHex, 'hex');
  const derive = (label: string) => createHmac('sm3', master).update(label).digest();
  const iv = randomBytes(16);
  const c = createCipheriv('sm4-cbc', derive('gw-sm4-enc').subarray(0, 16), iv);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, ct, createHmac('sm3', derive('gw-sm3-mac')).update(iv).update(ct).digest()]);
}

/** An `sm4.` text token of the same, older format. */
export const legacyToken = (masterHex: string, text: string) => 'sm4.' + legacySeal(masterHex, Buffer.from(text, 'utf8')).toString('base64');
