/**
 * AES-256-GCM for secrets at rest. A sealed value is text: `q1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts),
 * so it fits a JSON column and names its key. The caller's context string (what the secret belongs to, e.g.
 * `connector:wdt-prod:appsecret`) is authenticated as AAD: a sealed value copied onto another connector does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'q1';

export function encryptWith(k: { id: string; key: Buffer }, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [PREFIX, k.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function decryptWith(k: { id: string; key: Buffer }, sealed: string, context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX || parts[1] !== k.id) throw new Error('not a sealed secret of this key');
  const decipher = createDecipheriv('aes-256-gcm', k.key, Buffer.from(parts[2]!, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(parts[4]!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('secret does not decrypt (wrong key, wrong context or tampered)');
  }
}

export function isSealed(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(`${PREFIX}.`) && v.split('.').length === 5;
}

export function keyIdOfSealed(sealed: string): string | undefined {
  return isSealed(sealed) ? sealed.split('.')[1] : undefined;
}
