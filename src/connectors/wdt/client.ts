/**
 * WdtClient: calls 旺店通·企业版 openapi2 the way the official SDK does (form POST, code-point sign), on a
 * keep-alive undici Pool, and turns every answer into what the engine decides on:
 *
 * - transport error, timeout, HTTP 5xx/429/408, unparsable body          → throw TransientError (with trace)
 * - `code != 0` listed in transient_codes / rate_limit_codes             → throw TransientError (rateLimited)
 * - other `code != 0`                                                    → WriteOutcome { ok: false, code, message }
 * - HTTP 4xx (wrong base_url / API name)                                 → throw PermanentError
 *
 * Secrets (appsecret, sign) never appear in traces or error messages.
 */
import { Pool } from 'undici';
import type { CallTrace, PlatformClient, QueryOutcome, WriteOutcome } from '../types.ts';
import { PermanentError, TransientError, ValidationError } from '../../errors.ts';
import { wdtSign } from './sign.ts';
import { catalogueByName, type WdtApiSpec } from './catalogue.ts';

export const MASK = '***';
/** Business codes the sandbox uses for "slow down" and "operation in progress" (see docs/connectors/wdt.md). */
export const DEFAULT_RATE_LIMIT_CODES: Array<string | number> = [1030, '调用过于频繁', '频率超限', '限流'];
export const DEFAULT_TRANSIENT_CODES: Array<string | number> = [1030, 1020, '请勿重复操作', '系统繁忙'];
const MAX_TRACE_BODY = 100_000;

export interface WdtClientOptions {
  /** Base URL ending in `/openapi2/`; the API URL is `<baseUrl><api>.php`. */
  baseUrl: string;
  sid: string;
  appkey: string;
  appsecret: string;
  timeoutMs?: number;
  /** Business codes (numbers) or message substrings (strings) that mean "try again later". */
  transientCodes?: Array<string | number>;
  /** Like transientCodes, and additionally mark the error as a rate limit (the connector backs off). */
  rateLimitCodes?: Array<string | number>;
  /** Max sockets to the origin. */
  connections?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Connector name, only used in error messages. */
  name?: string;
}

export interface WdtCallResult {
  body: Record<string, unknown>;
  trace: CallTrace;
  /** Seconds the server clock is ahead of ours (from the Date header), when known. */
  skewSeconds?: number;
}

/**
 * Business params as the official SDK sends them: empty values (null, undefined, '', [], {}) dropped,
 * numbers and booleans stringified, objects and arrays as one JSON string (Unicode unescaped).
 */
export function encodeBusinessParams(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'bigint') out[k] = String(v);
    else if (typeof v === 'boolean') out[k] = v ? '1' : '0';
    else if (v instanceof Date) out[k] = v.toISOString();
    else if (Array.isArray(v)) {
      if (v.length) out[k] = JSON.stringify(v);
    } else if (typeof v === 'object') {
      if (Object.keys(v as object).length) out[k] = JSON.stringify(v);
    } else out[k] = String(v);
  }
  return out;
}

/** Parse a `transient_codes` param: array, or comma/whitespace separated string; numeric entries become numbers. */
export function parseCodeList(v: unknown, fallback: Array<string | number>): Array<string | number> {
  if (v === undefined || v === null || v === '') return fallback;
  const list = Array.isArray(v) ? v : String(v).split(/[,，\s]+/);
  return list
    .map((x) => (typeof x === 'number' ? x : String(x).trim()))
    .filter((x) => x !== '')
    .map((x) => (typeof x === 'string' && /^-?\d+$/.test(x) ? Number(x) : x));
}

function matches(list: Array<string | number>, code: unknown, message: string): boolean {
  for (const c of list) {
    if (typeof c === 'number') {
      if (Number(code) === c) return true;
    } else if (c && message.includes(c)) return true;
  }
  return false;
}

export class WdtClient implements PlatformClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly transient: Array<string | number>;
  private readonly rateLimit: Array<string | number>;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: WdtClientOptions) {
    for (const k of ['baseUrl', 'sid', 'appkey', 'appsecret'] as const) {
      if (!opts[k]) throw new ValidationError([{ path: `params.${k === 'baseUrl' ? 'base_url' : k}`, message: 'required' }]);
    }
    const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
    const u = new URL(base);
    this.baseUrl = base;
    this.origin = u.origin;
    this.basePath = u.pathname;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.transient = opts.transientCodes ?? DEFAULT_TRANSIENT_CODES;
    this.rateLimit = opts.rateLimitCodes ?? DEFAULT_RATE_LIMIT_CODES;
    this.now = opts.now ?? Date.now;
    this.pool = new Pool(this.origin, {
      connections: opts.connections ?? 32,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Removes the appsecret from any text that might echo it (error messages, odd server bodies). */
  private scrub(s: string): string {
    const secret = this.opts.appsecret;
    return secret.length >= 3 && s.includes(secret) ? s.split(secret).join(MASK) : s;
  }

  /** System params + sign for a set of encoded business params. */
  signedParams(business: Record<string, string>): Record<string, string> {
    const all: Record<string, string> = {
      ...business,
      sid: this.opts.sid,
      appkey: this.opts.appkey,
      timestamp: String(Math.floor(this.now() / 1000)),
    };
    all.sign = wdtSign(all, this.opts.appsecret);
    return all;
  }

  /**
   * One signed call. Returns the parsed body whatever its `code`; throws TransientError for transport trouble
   * and PermanentError for HTTP 4xx.
   */
  async call(api: string, params: Record<string, unknown>): Promise<WdtCallResult> {
    if (this.closed) throw new TransientError(`WDT client ${this.opts.name ?? ''} is closed`.replace('  ', ' '));
    const form = this.signedParams(encodeBusinessParams(params));
    const url = `${this.baseUrl}${api}.php`;
    const request: Record<string, unknown> = { ...form, sign: MASK };
    if ('appsecret' in request) request.appsecret = MASK;
    const trace: CallTrace = { api, url, method: 'POST', request, durationMs: 0 };
    const started = performance.now();
    let status: number;
    let text: string;
    let dateHeader: string | undefined;
    try {
      const res = await this.pool.request({
        path: `${this.basePath}${api}.php`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      const d = res.headers['date'];
      dateHeader = Array.isArray(d) ? d[0] : d;
      text = await res.body.text();
    } catch (err) {
      trace.durationMs = Math.round(performance.now() - started);
      const e = err as Error & { code?: string; name?: string };
      const timedOut = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
      const msg = this.scrub(timedOut ? `timeout after ${this.timeoutMs} ms` : `${e.code ?? e.name}: ${e.message}`);
      trace.error = msg;
      throw new TransientError(`WDT ${api}: ${msg}`, { cause: err, trace });
    }
    trace.durationMs = Math.round(performance.now() - started);
    trace.status = status;
    const safe = this.scrub(text);
    trace.response = safe.length > MAX_TRACE_BODY ? `${safe.slice(0, MAX_TRACE_BODY)}…(${safe.length} chars)` : safe;
    if (status >= 500 || status === 429 || status === 408) {
      trace.error = `HTTP ${status}`;
      throw new TransientError(`WDT ${api}: HTTP ${status}`, { trace, rateLimited: status === 429 });
    }
    let body: unknown;
    try {
      // Parse the scrubbed text: a body echoing the secret must not carry it into traces or records.
      body = JSON.parse(safe);
      if (safe === text && this.opts.appsecret.length >= 3 && JSON.stringify(body).includes(this.opts.appsecret)) {
        body = JSON.parse(this.scrub(JSON.stringify(body)));
      }
    } catch {
      trace.error = 'unparsable response body';
      throw new TransientError(`WDT ${api}: unparsable response (HTTP ${status}, ${text.length} bytes)`, { trace });
    }
    if (status >= 400) {
      const m = (body as { message?: unknown })?.message;
      trace.error = `HTTP ${status}`;
      throw new PermanentError(`WDT ${api}: HTTP ${status}${m ? ` ${this.scrub(String(m))}` : ''}`, { code: status, trace });
    }
    if (!body || typeof body !== 'object' || Array.isArray(body) || !('code' in body)) {
      trace.error = 'response without code';
      throw new TransientError(`WDT ${api}: response is not a WDT answer (no code)`, { trace });
    }
    let skewSeconds: number | undefined;
    if (dateHeader) {
      const t = Date.parse(dateHeader);
      if (Number.isFinite(t)) skewSeconds = Math.round((t - Date.now()) / 1000);
    }
    return { body: body as Record<string, unknown>, trace, skewSeconds };
  }

  /** code != 0: a TransientError if configured so, else undefined (a business error for the caller). */
  private transientFor(api: string, body: Record<string, unknown>, trace: CallTrace): TransientError | undefined {
    const message = this.scrub(String(body.message ?? ''));
    const rateLimited = matches(this.rateLimit, body.code, message);
    if (rateLimited || matches(this.transient, body.code, message)) {
      trace.error = `${body.code} ${message}`;
      return new TransientError(`WDT ${api}: ${body.code} ${message}`, { trace, rateLimited });
    }
    return undefined;
  }

  private spec(api: string, direction: 'write' | 'query'): WdtApiSpec | undefined {
    const spec = catalogueByName.get(api);
    if (spec && spec.direction !== direction) {
      throw new PermanentError(`WDT ${api} is a ${spec.direction} API, not a ${direction} API`);
    }
    return spec;
  }

  async write(api: string, callParams: Record<string, unknown>, items: unknown[]): Promise<WriteOutcome> {
    const spec = this.spec(api, 'write');
    if (!spec?.batch) throw new PermanentError(`WDT API ${api} is not in the catalogue`);
    const { param, max, single } = spec.batch;
    if (items.length === 0) throw new ValidationError([{ path: param, message: 'no items to send' }]);
    if (single && items.length !== 1) {
      throw new ValidationError([{ path: param, message: `${api} takes one document per call, got ${items.length}` }]);
    }
    if (items.length > max) throw new ValidationError([{ path: param, message: `${api} takes at most ${max} items per call, got ${items.length}` }]);
    const { body, trace } = await this.call(api, { ...callParams, [param]: single ? items[0] : items });
    const code = body.code;
    if (Number(code) !== 0) {
      const t = this.transientFor(api, body, trace);
      if (t) throw t;
      const message = this.scrub(String(body.message ?? ''));
      trace.error = `${code} ${message}`;
      return { ok: false, code: code as string | number, message, response: body, trace };
    }
    const itemErrors = this.itemErrors(spec, body, items);
    return itemErrors ? { ok: true, itemErrors, response: body, trace } : { ok: true, response: body, trace };
  }

  /** Per-item failures reported with code 0 (logistics_sync_ack errors[], trade_push non-strict errors[]). */
  private itemErrors(spec: WdtApiSpec, body: Record<string, unknown>, items: unknown[]): Map<number, string> | undefined {
    const errors = body.errors;
    if (!Array.isArray(errors) || errors.length === 0) return undefined;
    const key = spec.itemKey ?? 'rec_id';
    const index = new Map<string, number[]>();
    items.forEach((it, i) => {
      const k = (it as Record<string, unknown> | null)?.[key];
      if (k === undefined || k === null) return;
      const list = index.get(String(k));
      if (list) list.push(i);
      else index.set(String(k), [i]);
    });
    const out = new Map<number, string>();
    for (const e of errors as Array<Record<string, unknown>>) {
      const k = e?.[key];
      const msg = this.scrub(String(e?.error ?? e?.message ?? JSON.stringify(e)));
      for (const i of index.get(String(k)) ?? []) out.set(i, msg);
    }
    return out.size ? out : undefined;
  }

  async query(api: string, params: Record<string, unknown>): Promise<QueryOutcome> {
    const spec = this.spec(api, 'query');
    const { body, trace } = await this.call(api, params);
    if (Number(body.code) !== 0) {
      const t = this.transientFor(api, body, trace);
      if (t) throw t;
      const message = this.scrub(String(body.message ?? ''));
      trace.error = `${body.code} ${message}`;
      throw new PermanentError(`WDT ${api}: ${body.code} ${message}`, { code: body.code as string | number, trace });
    }
    let listKey = spec?.query?.listKey;
    if (!listKey) listKey = Object.keys(body).find((k) => Array.isArray(body[k]));
    const rows = listKey && Array.isArray(body[listKey]) ? (body[listKey] as unknown[]) : [];
    const tc = body.total_count;
    const total = tc === undefined || tc === null || tc === '' || !Number.isFinite(Number(tc)) ? undefined : Number(tc);
    if (total !== undefined) body.total_count = total;
    return total === undefined ? { rows, response: body, trace } : { rows, total, response: body, trace };
  }

  /** A harmless signed call (a one-row stock page over the last hour) that proves sid/appkey/appsecret and clock. */
  async test(): Promise<{ ok: boolean; message: string; trace?: CallTrace }> {
    const end = this.now();
    const fmt = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    try {
      const { body, trace, skewSeconds } = await this.call('stock_query', {
        start_time: fmt(end - 3600_000),
        end_time: fmt(end),
        page_no: 0,
        page_size: 1,
      });
      if (Number(body.code) !== 0) {
        return { ok: false, message: `${body.code} ${this.scrub(String(body.message ?? ''))}`, trace };
      }
      const skew = skewSeconds !== undefined && Math.abs(skewSeconds) > 60 ? `; 注意: 服务器时钟相差 ${skewSeconds} 秒` : '';
      return { ok: true, message: `连接成功 (sid ${this.opts.sid}, appkey ${this.opts.appkey})${skew}`, trace };
    } catch (err) {
      const e = err as Error & { trace?: CallTrace };
      return { ok: false, message: this.scrub(e.message), trace: e.trace };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}
