/**
 * Authentication of the generic HTTP connector, shared by the client (to sign) and the simulator (to verify).
 *
 * | auth     | what is sent                                                                          |
 * |----------|---------------------------------------------------------------------------------------|
 * | none     | nothing                                                                               |
 * | bearer   | `Authorization: Bearer <token>`                                                       |
 * | basic    | `Authorization: Basic base64(<username>:<password>)`                                  |
 * | header   | `<header_name>: <header_value>` (an API key header, default `X-Api-Key`)              |
 * | hmac     | `<hmac_timestamp_header>: <unix seconds>` and `<hmac_header>: HMAC(secret, "<ts>.<body>")` |
 *
 * HMAC: algorithm sha256 (or sha1, sha512, md5), hex (or base64) digest; the signed text is the exact request body
 * bytes (for GET: the query string without `?`), prefixed with `<timestamp>.` unless `hmac_timestamp_header` is
 * set to "" (then the body alone is signed).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type AuthMode = 'none' | 'bearer' | 'basic' | 'header' | 'hmac';
export const AUTH_MODES: AuthMode[] = ['none', 'bearer', 'basic', 'header', 'hmac'];
export const HMAC_ALGORITHMS = ['sha256', 'sha1', 'sha512', 'md5'] as const;

export interface AuthConfig {
  mode: AuthMode;
  token?: string;
  username?: string;
  password?: string;
  headerName?: string;
  headerValue?: string;
  hmacSecret?: string;
  hmacHeader?: string;
  hmacAlgorithm?: (typeof HMAC_ALGORITHMS)[number];
  hmacEncoding?: 'hex' | 'base64';
  /** Header carrying the signing timestamp; '' signs the body alone. */
  hmacTimestampHeader?: string;
}

export const DEFAULT_HEADER_NAME = 'X-Api-Key';
export const DEFAULT_HMAC_HEADER = 'X-Signature';
export const DEFAULT_HMAC_TIMESTAMP_HEADER = 'X-Timestamp';

export function hmacSign(cfg: AuthConfig, payload: string, timestamp: string | undefined): string {
  const text = timestamp === undefined ? payload : `${timestamp}.${payload}`;
  return createHmac(cfg.hmacAlgorithm ?? 'sha256', cfg.hmacSecret ?? '')
    .update(text, 'utf8')
    .digest(cfg.hmacEncoding ?? 'hex');
}

const tsHeader = (cfg: AuthConfig) => (cfg.hmacTimestampHeader === undefined ? DEFAULT_HMAC_TIMESTAMP_HEADER : cfg.hmacTimestampHeader);

/** Headers that authenticate a request whose signed payload (body, or query string for GET) is `payload`. */
export function authHeaders(cfg: AuthConfig, payload: string, nowMs: number): Record<string, string> {
  switch (cfg.mode) {
    case 'bearer':
      return { authorization: `Bearer ${cfg.token ?? ''}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${cfg.username ?? ''}:${cfg.password ?? ''}`, 'utf8').toString('base64')}` };
    case 'header':
      return { [(cfg.headerName || DEFAULT_HEADER_NAME).toLowerCase()]: cfg.headerValue ?? '' };
    case 'hmac': {
      const th = tsHeader(cfg);
      const ts = th ? String(Math.floor(nowMs / 1000)) : undefined;
      const out: Record<string, string> = { [(cfg.hmacHeader || DEFAULT_HMAC_HEADER).toLowerCase()]: hmacSign(cfg, payload, ts) };
      if (th && ts) out[th.toLowerCase()] = ts;
      return out;
    }
    default:
      return {};
  }
}

/** Header names whose values are secrets (masked in traces). */
export function secretHeaders(cfg: AuthConfig): string[] {
  switch (cfg.mode) {
    case 'bearer':
    case 'basic':
      return ['authorization'];
    case 'header':
      return [(cfg.headerName || DEFAULT_HEADER_NAME).toLowerCase()];
    case 'hmac':
      return [(cfg.hmacHeader || DEFAULT_HMAC_HEADER).toLowerCase()];
    default:
      return [];
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Verifies a request (simulator side). Returns undefined when it passes, else the reason.
 * `skewSeconds` bounds the HMAC timestamp against the real clock.
 */
export function verifyAuth(
  cfg: AuthConfig,
  headers: Record<string, string | string[] | undefined>,
  payload: string,
  nowMs: number,
  skewSeconds = 300,
): string | undefined {
  const h = (name: string) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  switch (cfg.mode) {
    case 'none':
      return undefined;
    case 'bearer': {
      const a = h('authorization');
      if (!a?.startsWith('Bearer ')) return 'missing bearer token';
      return safeEqual(a.slice(7).trim(), cfg.token ?? '') ? undefined : 'invalid bearer token';
    }
    case 'basic': {
      const a = h('authorization');
      if (!a?.startsWith('Basic ')) return 'missing basic credentials';
      const want = Buffer.from(`${cfg.username ?? ''}:${cfg.password ?? ''}`, 'utf8').toString('base64');
      return safeEqual(a.slice(6).trim(), want) ? undefined : 'invalid username or password';
    }
    case 'header': {
      const name = cfg.headerName || DEFAULT_HEADER_NAME;
      const v = h(name);
      if (v === undefined) return `missing ${name} header`;
      return safeEqual(v, cfg.headerValue ?? '') ? undefined : `invalid ${name}`;
    }
    case 'hmac': {
      const sigName = cfg.hmacHeader || DEFAULT_HMAC_HEADER;
      const sig = h(sigName);
      if (!sig) return `missing ${sigName} header`;
      const th = tsHeader(cfg);
      let ts: string | undefined;
      if (th) {
        ts = h(th);
        if (!ts || !/^\d{9,12}$/.test(ts)) return `missing or malformed ${th} header`;
        if (Math.abs(nowMs / 1000 - Number(ts)) > skewSeconds) return `${th} is more than ${skewSeconds} s away from the server clock`;
      }
      return safeEqual(sig, hmacSign(cfg, payload, ts)) ? undefined : 'signature mismatch';
    }
  }
}
