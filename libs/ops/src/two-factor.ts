import { generateSecret, generateURI, verify } from 'otplib';
import { toDataURL } from 'qrcode';

/**
 * Operators' second factor: TOTP (RFC 6238) as every authenticator app reads it by default —
 * HMAC-SHA-1, 30-second steps, 6 digits — accepting the step before and after the server's
 * (clock drift). A code is good once: the caller records the step it matched and refuses any
 * step not after it (`afterStep`).
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_ISSUER = '平江县政务服务集成网关';

/** A fresh secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32. */
export const newTotpSecret = (): string => generateSecret({ length: 20 });

/** The `otpauth://totp/…` URI an authenticator app reads from the QR code. */
export const totpUri = (username: string, secret: string): string =>
  generateURI({ issuer: TOTP_ISSUER, label: username, secret, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_SECONDS });

/** The QR code of a URI as a PNG `data:` URL, drawn here: the dashboard loads nothing from elsewhere. */
export const qrCodeDataUrl = (text: string): Promise<string> => toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });

/** Six digits, as typed (spaces and dashes some apps show are dropped). */
export function normaliseTotpCode(code: unknown): string | null {
  const digits = String(code ?? '').replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The time step a code matches (the current one ±1), or null. `afterStep`: the last step already
 * used, whose code and any earlier one are refused.
 */
export async function matchTotpStep(secret: string, code: unknown, nowMs: number, afterStep?: number | null): Promise<number | null> {
  const token = normaliseTotpCode(code);
  if (!token) return null;
  try {
    const r = await verify({
      secret,
      token,
      algorithm: 'sha1',
      digits: 6,
      period: TOTP_PERIOD_SECONDS,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterStep !== null && afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
    });
    return r.valid ? (r as { timeStep: number }).timeStep : null;
  } catch {
    return null;
  }
}
