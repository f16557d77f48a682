/**
 * OpenAPI access tokens. A token is `base64url(payload).base64url(hmac)` signed with a key kept in the data
 * folder (created 0600 on first start), so tokens survive restarts without a token table, and nothing about the
 * app secret is inside. Payload: app key, scopes, expiry.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppDef, AppScope } from '../metadata/types.ts';

export const TOKEN_TTL_SECONDS = 7200;

export interface TokenClaims {
  app: string;
  scopes: AppScope[];
  exp: number;
}

export function loadOrCreateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'token.key');
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  return key;
}

export class TokenIssuer {
  constructor(private readonly key: Buffer) {}

  issue(app: AppDef, nowSeconds = Math.floor(Date.now() / 1000)): { access_token: string; expires_in: number } {
    const claims: TokenClaims = { app: app.app_key, scopes: app.scopes, exp: nowSeconds + TOKEN_TTL_SECONDS };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { access_token: `${payload}.${this.mac(payload)}`, expires_in: TOKEN_TTL_SECONDS };
  }

  /** The claims of a valid, unexpired token, or the reason it is not. */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): TokenClaims | { error: string } {
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return { error: 'malformed access token' };
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { error: 'invalid access token' };
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return { error: 'malformed access token' };
    }
    if (claims.exp <= nowSeconds) return { error: 'access token expired' };
    return claims;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** Constant-time comparison of app secrets. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
